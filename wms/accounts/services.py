"""Creating users, logging in with lock-out, and API tokens."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, contains_eager, joinedload

from wms.core.context import Actor
from wms.core.db import utcnow
from wms.core.errors import N_, Conflict, NotFound, ValidationError
from wms.core.parsing import check_text
from wms.partners.models import Enterprise

from .models import LOCALES, USER_ROLES, ApiToken, User, UserOwner, UserRole
from .passwords import DUMMY_HASH, hash_password, verify_password

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_PREFIX = "wms_"
# A token's last use is written at most this often, in a transaction of its own.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
# A user with roles and owners in one query (joined, not one SELECT per collection).
WITH_ROLES_AND_OWNERS = (joinedload(User.role_rows), joinedload(User.owner_rows))


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(N_("Password must have at least %(n)s characters"),
                              field="password", n=MIN_PASSWORD)
    if password.isdigit() or password.isalpha():
        raise ValidationError(N_("Password must mix letters with digits or symbols"),
                              field="password")


def create_user(session: Session, *, login: str, password: str, roles: Iterable[str],
                owner_codes: Iterable[str] = (), display_name: str | None = None,
                locale: str = "zh_CN") -> User:
    login = (login or "").strip().lower()
    if not LOGIN_RE.match(login):
        raise ValidationError(N_("Login must be 2-64 lower-case letters, digits, '.', '_' or '-'"),
                              field="login")
    roles = sorted(set(roles))
    if not roles:
        raise ValidationError(N_("A user needs at least one role"), field="role")
    for role in roles:
        if role not in USER_ROLES:
            raise ValidationError(N_("Unknown role: %(role)s"), field="role", role=role)
    if locale not in LOCALES:
        raise ValidationError(N_("Unknown language: %(locale)s"), field="locale", locale=locale)
    validate_password(password)
    owners = []
    for code in sorted(set(owner_codes)):
        enterprise = session.scalar(select(Enterprise).where(Enterprise.customs_code == code.upper()))
        if enterprise is None:
            raise ValidationError(N_("Unknown owner: %(code)s"), field="owner", code=code)
        owners.append(enterprise)
    if "owner_viewer" in roles and not owners:
        raise ValidationError(N_("An owner viewer must be bound to at least one owner"),
                              field="owner")
    if session.scalar(select(User.id).where(User.login == login)):
        raise Conflict(N_("Login %(login)s is taken"), field="login", login=login)
    user = User(login=login, display_name=display_name or login, locale=locale,
                password_hash=hash_password(password),
                role_rows=[UserRole(role=r) for r in roles],
                owner_rows=[UserOwner(enterprise_id=e.id) for e in owners])
    session.add(user)
    session.flush()
    return user


def actor_for(user: User) -> Actor:
    """The acting identity of a user: staff see every owner, owner viewers only theirs."""
    roles = user.roles
    staff = roles - {"owner_viewer"}
    owner_ids = None if staff else user.owner_ids
    return Actor(user_id=user.id, login=user.login, roles=roles, owner_ids=owner_ids)


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The user if login and password match and the account is usable, else None.

    Unknown logins, wrong passwords, locked and inactive accounts all give None after the
    same amount of hashing work, so the caller cannot tell them apart and neither can an
    attacker. Five failures lock the account for fifteen minutes.
    """
    try:
        check_text(login or "", "login")
        check_text(password or "", "password")
    except ValidationError:  # text no login or password can hold: like an unknown login
        verify_password("", DUMMY_HASH)
        return None
    user = session.scalar(select(User).where(User.login == (login or "").strip().lower()))
    if user is None:
        verify_password(password or "", DUMMY_HASH)
        return None
    now = utcnow()
    ok = verify_password(password or "", user.password_hash)
    if not user.active or (user.locked_until and user.locked_until > now):
        return None
    if not ok:
        _count_failed_login(session, user, now)
        return None
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _count_failed_login(session: Session, user: User, now) -> None:
    """Count a failure in the database itself (``failed_logins + 1``), so parallel guesses
    cannot overwrite each other's counts; the one that reaches the limit locks."""
    table = User.__table__
    failures = session.execute(
        update(table).where(table.c.id == user.id)
        .values(failed_logins=table.c.failed_logins + 1)
        .returning(table.c.failed_logins)).scalar_one()
    if failures >= MAX_FAILED_LOGINS:
        session.execute(update(table).where(table.c.id == user.id,
                                            table.c.failed_logins >= MAX_FAILED_LOGINS)
                        .values(failed_logins=0, locked_until=now + LOCKOUT))
    session.expire(user, ["failed_logins", "locked_until"])


def end_sessions(session: Session, user: User) -> None:
    """End every login session of ``user`` (the web layer compares generations)."""
    table = User.__table__
    session.execute(update(table).where(table.c.id == user.id)
                    .values(session_generation=table.c.session_generation + 1))
    session.expire(user, ["session_generation"])


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """The user's own change: the current password first; every other session ends."""
    if not verify_password(current or "", user.password_hash):
        raise ValidationError(N_("The current password is wrong"), field="current_password")
    set_password(session, user, new)


def set_password(session: Session, user: User, new: str) -> None:
    """A new password (an admin's reset, or after ``change_password``'s check); ends every
    session of the user, since whoever knew the old one may be logged in."""
    validate_password(new)
    user.password_hash = hash_password(new)
    session.flush()
    end_sessions(session, user)


def lock_user(session: Session, user: User) -> None:
    """Deactivate an account: its sessions end now and its API tokens stop working."""
    user.active = False
    session.flush()
    end_sessions(session, user)


def unlock_user(session: Session, user: User) -> None:
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def set_locale(user: User, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationError(N_("Unknown language: %(locale)s"), field="locale", locale=locale)
    user.locale = locale


def get_user(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None:
        raise NotFound(N_("User %(login)s not found"), field="user", login=login)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, label: str | None = None) -> str:
    """A new API token; the clear text is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, prefix=token[:12], token_hash=_token_hash(token),
                         label=label, created_at=utcnow()))
    session.flush()
    return token


def load_user(session: Session, user_id: int) -> User | None:
    """The user behind a login session, roles and owners included: one query."""
    return session.get(User, user_id, options=WITH_ROLES_AND_OWNERS)


def token_for(session: Session, token: str) -> ApiToken | None:
    """The live token row with its user, roles and owners in one query, or None for an
    unknown, revoked or malformed token or an inactive user. Reading it writes nothing:
    see ``touch_token`` for the last use."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    stmt = (select(ApiToken).join(ApiToken.user)
            .options(contains_eager(ApiToken.user).joinedload(User.role_rows),
                     contains_eager(ApiToken.user).joinedload(User.owner_rows))
            .where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None),
                   User.active.is_(True)))
    return session.execute(stmt).unique().scalar_one_or_none()


def user_for_token(session: Session, token: str) -> User | None:
    row = token_for(session, token)
    return row.user if row is not None else None


def token_needs_touch(last_used_at, now) -> bool:
    return last_used_at is None or now - last_used_at >= TOKEN_TOUCH_INTERVAL


def touch_token(session: Session, token_id: int, now) -> bool:
    """Record a use of the token unless one was recorded less than a minute ago: a
    conditional UPDATE, so parallel requests of one client write it once. The caller runs
    it in a short transaction of its own, never in a request's read."""
    table = ApiToken.__table__
    done = session.execute(update(table).where(
        table.c.id == token_id,
        (table.c.last_used_at.is_(None)) | (table.c.last_used_at <= now - TOKEN_TOUCH_INTERVAL))
        .values(last_used_at=now))
    return bool(done.rowcount)


def revoke_token(session: Session, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(N_("Token %(id)s not found"), field="token", id=token_id)
    row.revoked_at = utcnow()
