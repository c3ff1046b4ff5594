"""Damage photos of the tally: stored before the scan that names them, checked by name.

The folder is the caller's setting (the instance folder); the domain keeps the rules: which
files are photos (by their magic bytes, not their name), how big, and how a scan refers to
one (``photos/<32 hex>.<ext>``).
"""
from __future__ import annotations

import re
from pathlib import Path

from wms.core import uploads
from wms.core.errors import N_, ValidationError

MAX_PHOTO_BYTES = uploads.MAX_IMAGE_BYTES
PHOTO_DIR = "photos"
PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")
PHOTO_TYPES = uploads.IMAGE_TYPES


def photo_kind(data: bytes) -> str | None:
    """JPEG, PNG or WebP by the file's magic bytes (its name and the browser's word are
    not trusted)."""
    return uploads.image_kind(data)


def too_big():
    return uploads.too_big("photo", MAX_PHOTO_BYTES)


def store_photo(folder: Path, data: bytes) -> str:
    """Check the photo by its content and size, write it under a new name (atomically) and
    return that name. A tally photo is its own upload, referred to by the scan after it."""
    name = uploads.new_image_name(uploads.check_image(data, field="photo",
                                                      max_bytes=MAX_PHOTO_BYTES))
    uploads.write_file(folder, name, data)
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
