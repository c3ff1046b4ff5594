"""Uploaded files: checked by what they are (magic bytes) and how big, never by their name or
the browser's word, and written only once the use case that keeps them has committed.

``image_kind`` and ``check_image`` are the checks; ``write_file`` writes atomically (a
``.part`` file renamed into place); ``write_on_commit`` defers that write to the commit of
the session's transaction, so a refused use case (a grade the rules refuse, a scan on a
closed tally) leaves no file behind.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from .errors import N_, ValidationError

MAX_IMAGE_BYTES = 8 * 1024 * 1024
IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def image_kind(data: bytes) -> str | None:
    """JPEG, PNG or WebP by the file's magic bytes, else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def too_big(field: str = "photo", max_bytes: int = MAX_IMAGE_BYTES) -> ValidationError:
    return ValidationError(N_("The photo is larger than %(mb)s MB: take it again with a "
                              "lower resolution"), field=field, mb=max_bytes // 2**20)


def check_image(data: bytes, *, field: str = "photo",
                max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """The image's kind (its file extension), or a 422 naming ``field``: empty, too big,
    or not a JPEG, PNG or WebP by its content."""
    if not data:
        raise ValidationError(N_("Take or choose a photo"), field=field)
    if len(data) > max_bytes:
        raise too_big(field, max_bytes)
    kind = image_kind(data)
    if kind is None:
        raise ValidationError(N_("Only JPEG, PNG or WebP photos are accepted"), field=field)
    return kind


def new_image_name(kind: str) -> str:
    return f"{uuid.uuid4().hex}.{kind}"


def write_file(folder: Path, name: str, data: bytes) -> None:
    """Write ``data`` as ``folder/name`` atomically: readers see all of it or nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.part"
    with open(partial, "wb") as fh:
        fh.write(data)
    os.replace(partial, folder / name)


def write_on_commit(session: Session, folder: Path, name: str, data: bytes) -> None:
    """Write the file when ``session``'s transaction commits; on a rollback it is never
    written. The caller keeps ``name`` in the rows it adds in the same transaction."""
    def write(_session) -> None:
        write_file(folder, name, data)

    def forget(_session, _previous) -> None:
        if event.contains(session, "after_commit", write):
            event.remove(session, "after_commit", write)

    event.listen(session, "after_commit", write, once=True)
    event.listen(session, "after_soft_rollback", forget, once=True)
