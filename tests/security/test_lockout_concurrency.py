"""The lock-out under concurrency: parallel wrong passwords are all counted (PostgreSQL)."""
from __future__ import annotations

import threading

from sqlalchemy import select

from wms.accounts import services as accounts
from wms.accounts.models import User


def test_twenty_parallel_wrong_passwords_lock_the_account(committing_engine):
    """PostgreSQL, real commits from 20 connections: no failure is lost."""
    from sqlalchemy.orm import sessionmaker

    from wms.core.context import SYSTEM, acting_as
    from wms.core.db import run_in_transaction
    factory = sessionmaker(bind=committing_engine, expire_on_commit=False)
    with factory() as session, acting_as(SYSTEM):
        accounts.create_user(session, login="li.ming", password="Scan-2026-ok",
                             roles=["operator"])
        session.commit()
    committing_engine.pool.dispose()
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def guess():
        try:
            with acting_as(SYSTEM):
                barrier.wait()
                run_in_transaction(factory, lambda s: accounts.authenticate(
                    s, "li.ming", "wrong-password"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        user = session.scalar(select(User).where(User.login == "li.ming"))
        assert user.locked_until is not None
        assert accounts.authenticate(session, "li.ming", "Scan-2026-ok") is None
