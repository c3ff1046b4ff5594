"""Gapless names under real concurrency (PostgreSQL): 8 threads x 50 names."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import sessionmaker

from wms.core.sequence import next_reference

pytestmark = pytest.mark.postgres_only


def test_eight_threads_take_400_distinct_consecutive_names(committing_engine):
    factory = sessionmaker(bind=committing_engine)
    names: list[str] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker():
        try:
            start.wait()
            for _ in range(50):
                with factory() as session, session.begin():
                    name = next_reference(session, "LZB/IN")
                with lock:
                    names.append(name)
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    numbers = sorted(int(n.rsplit("/", 1)[1]) for n in names)
    assert numbers == list(range(1, 401))
