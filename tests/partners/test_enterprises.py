"""Registering enterprises: every bad field named, nothing written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from wms.core.errors import Conflict, ValidationError
from wms.demo import demo_uscc
from wms.partners.models import Enterprise
from wms.partners.services import get_enterprise_by_code, register_enterprise

GOOD = dict(customs_code="6201W60099", uscc=demo_uscc("91620100MA71TE099"), name="测试货主",
            roles=["owner"])


def count(db):
    return db.scalar(select(func.count()).select_from(Enterprise))


def test_register_enterprise_with_roles(db):
    enterprise = register_enterprise(db, **{**GOOD, "roles": ["owner", "platform"],
                                            "credit_class": "advanced"})
    assert enterprise.roles == ["owner", "platform"]
    assert get_enterprise_by_code(db, "6201w60099") is enterprise


@pytest.mark.parametrize("field, value, error", [
    ("uscc", GOOD["uscc"][:-1] + ("0" if GOOD["uscc"][-1] != "0" else "1"), ValidationError),
    ("uscc", "12345", ValidationError),
    ("customs_code", "62-01", ValidationError),
    ("roles", ["owner", "smuggler"], ValidationError),
    ("roles", [], ValidationError),
    ("credit_class", "excellent", ValidationError),
    ("name", "  ", ValidationError),
])
def test_bad_field_is_named_and_nothing_is_written(db, field, value, error):
    before = count(db)
    with pytest.raises(error) as err:
        register_enterprise(db, **{**GOOD, field: value})
    assert err.value.field == field
    assert count(db) == before


def test_duplicate_customs_code_and_uscc_are_conflicts(db):
    register_enterprise(db, **GOOD)
    with pytest.raises(Conflict) as err:
        register_enterprise(db, **{**GOOD, "uscc": demo_uscc("91620100MA71TE098")})
    assert err.value.field == "customs_code"
    with pytest.raises(Conflict) as err:
        register_enterprise(db, **{**GOOD, "customs_code": "6201W60098"})
    assert err.value.field == "uscc"
    assert count(db) == 1


def test_wrong_uscc_check_character_message_says_why(db):
    bad = GOOD["uscc"][:-1] + ("0" if GOOD["uscc"][-1] != "0" else "1")
    with pytest.raises(ValidationError, match="checksum|check"):
        register_enterprise(db, **{**GOOD, "uscc": bad})
