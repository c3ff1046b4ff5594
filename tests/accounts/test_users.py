"""Users, passwords, lock-out and API tokens."""
from __future__ import annotations

from datetime import timedelta

import pytest

from wms.accounts import services as accounts
from wms.accounts.passwords import hash_password, verify_password
from wms.core.db import utcnow
from wms.core.errors import Conflict, ValidationError


def test_password_hash_is_salted_scrypt_and_verifies():
    one, two = hash_password("Lanzhou-2026"), hash_password("Lanzhou-2026")
    assert one != two and one.startswith("scrypt$")
    assert verify_password("Lanzhou-2026", one)
    assert not verify_password("lanzhou-2026", one)
    assert not verify_password("Lanzhou-2026", "md5$garbage")


@pytest.mark.parametrize("kwargs, field", [
    (dict(roles=["wizard"]), "role"),
    (dict(roles=[]), "role"),
    (dict(password="short1"), "password"),
    (dict(password="onlyletterslong"), "password"),
    (dict(login="Bad Login!"), "login"),
    (dict(owner_codes=["0000000000"]), "owner"),
    (dict(roles=["owner_viewer"]), "owner"),
    (dict(locale="fr"), "locale"),
])
def test_create_user_names_the_bad_field(db, kwargs, field):
    args = dict(login="li.ming", password="Scan-2026-ok", roles=["operator"])
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        accounts.create_user(db, **args)
    assert err.value.field == field


def test_duplicate_login_is_a_conflict(db):
    accounts.create_user(db, login="li.ming", password="Scan-2026-ok", roles=["operator"])
    with pytest.raises(Conflict) as err:
        accounts.create_user(db, login="LI.MING", password="Scan-2026-ok", roles=["operator"])
    assert err.value.field == "login"


def test_wrong_password_unknown_user_and_locked_account_look_the_same(db):
    user = accounts.create_user(db, login="li.ming", password="Scan-2026-ok", roles=["operator"])
    assert accounts.authenticate(db, "nobody", "Scan-2026-ok") is None
    for _ in range(accounts.MAX_FAILED_LOGINS):
        assert accounts.authenticate(db, "li.ming", "wrong-password-1") is None
    assert user.locked_until is not None and user.locked_until > utcnow()
    # locked: even the right password is refused, with the same answer
    assert accounts.authenticate(db, "li.ming", "Scan-2026-ok") is None
    user.locked_until = utcnow() - timedelta(seconds=1)
    assert accounts.authenticate(db, "li.ming", "Scan-2026-ok") is user
    assert user.failed_logins == 0 and user.last_login_at is not None


def test_owner_viewer_acts_only_for_its_owners_and_staff_for_all(demo):
    owner = accounts.get_user(demo, "owner")
    actor = accounts.actor_for(owner)
    assert actor.owner_ids == owner.owner_ids and len(actor.owner_ids) == 1
    assert accounts.actor_for(accounts.get_user(demo, "supervisor")).owner_ids is None


def test_api_token_is_shown_once_stored_hashed_and_revocable(db):
    user = accounts.create_user(db, login="feed", password="Feed-2026-ok", roles=["supervisor"])
    token = accounts.create_token(db, user, "orders")
    from wms.accounts.models import ApiToken
    row = db.query(ApiToken).one()
    assert token not in (row.token_hash, row.prefix) and len(row.token_hash) == 64
    assert accounts.user_for_token(db, token) is user
    assert row.last_used_at is None  # reading the token writes nothing
    assert accounts.user_for_token(db, token + "x") is None
    accounts.revoke_token(db, row.id)
    assert accounts.user_for_token(db, token) is None
