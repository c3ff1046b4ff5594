"""Uploads (issue 17.6): checked by content and size, written only when the use case
commits (wms/core/uploads.py, used by the tally's photos and, at merge, the returns')."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from wms.core import uploads
from wms.core.errors import ValidationError
from wms.inbound import photos

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


@pytest.mark.parametrize("data", [b"", b"GIF89a" + b"\0" * 64, b"<svg onload=alert(1)>",
                                  b"%PDF-1.7", b"\0" * (uploads.MAX_IMAGE_BYTES + 1)])
def test_a_file_that_is_no_image_or_too_big_is_refused_by_its_content(tmp_path, data):
    with pytest.raises(ValidationError) as refused:
        photos.store_photo(tmp_path, data)
    assert refused.value.field == "photo"
    assert list(tmp_path.iterdir()) == []


def test_an_image_is_known_by_its_bytes_not_its_name(tmp_path):
    name = photos.store_photo(tmp_path, JPEG)
    assert name.endswith(".jpg") and (tmp_path / name).read_bytes() == JPEG
    assert uploads.check_image(PNG) == "png"


def test_written_only_when_the_use_case_commits(db, tmp_path):
    db.execute(text("SELECT 1"))
    uploads.write_on_commit(db, tmp_path, "refused.png", PNG)
    db.rollback()
    db.execute(text("SELECT 1"))
    db.commit()
    assert not (tmp_path / "refused.png").exists()
    db.execute(text("SELECT 1"))
    uploads.write_on_commit(db, tmp_path, "kept.png", PNG)
    assert not (tmp_path / "kept.png").exists()
    db.commit()
    assert (tmp_path / "kept.png").read_bytes() == PNG
