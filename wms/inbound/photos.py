"""Damage photos of the tally: stored before the scan that names them, checked by name.

The folder is the caller's setting (the instance folder); the domain keeps the rules: which
files are photos (by their magic bytes, not their name), how big, and how a scan refers to
one (``photos/<32 hex>.<ext>``).
"""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from wms.core.errors import N_, ValidationError

MAX_PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_DIR = "photos"
PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def photo_kind(data: bytes) -> str | None:
    """JPEG, PNG or WebP by the file's magic bytes (its name and the browser's word are
    not trusted)."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def too_big() -> ValidationError:
    return ValidationError(N_("The photo is larger than %(mb)s MB: take it again with a "
                              "lower resolution"), field="photo", mb=MAX_PHOTO_BYTES // 2**20)


def store_photo(folder: Path, data: bytes) -> str:
    """Write the photo under a new name (atomically) and return that name."""
    if not data:
        raise ValidationError(N_("Take or choose a photo"), field="photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise too_big()
    kind = photo_kind(data)
    if kind is None:
        raise ValidationError(N_("Only JPEG, PNG or WebP photos are accepted"), field="photo")
    name = f"{uuid.uuid4().hex}.{kind}"
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.part"
    with open(partial, "wb") as fh:
        fh.write(data)
    os.replace(partial, folder / name)
    return name


def photo_reference(folder: Path, name: str | None) -> str | None:
    """The photo id an earlier upload returned, as the relative path a tally scan keeps."""
    name = (name or "").strip()[:60]
    if not name:
        return None
    if not PHOTO_NAME.match(name) or not (folder / name).is_file():
        raise ValidationError(N_("Photo %(photo)s was not uploaded: take it again"),
                              field="photo", photo=name)
    return f"{PHOTO_DIR}/{name}"
