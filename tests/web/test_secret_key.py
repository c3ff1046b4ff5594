"""Processes that start together (the web workers and the consumer of ``wms run``) all
read the same generated secret key: none signs sessions with an empty or other key."""
from __future__ import annotations

import multiprocessing

from web.config import secret_key


def _read(instance, queue):
    queue.put(secret_key(instance))


def test_processes_starting_together_agree_on_one_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("WMS_SECRET_KEY", raising=False)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_read, args=(tmp_path / "instance", queue)) for _ in range(8)]
    for worker in workers:
        worker.start()
    keys = {queue.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join()
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert not list((tmp_path / "instance").glob(".secret_key.*"))


def test_a_key_being_written_is_waited_for_not_read_empty(tmp_path, monkeypatch):
    """The race seen on a first ``make run``: one process had created the file and not yet
    written it when a web worker read it, signed its sessions with an empty key, and every
    login answered 400 (the CSRF token could not be checked)."""
    import threading
    import time
    monkeypatch.delenv("WMS_SECRET_KEY", raising=False)
    path = tmp_path / "secret_key"
    path.write_text("")

    def finish_writing():
        time.sleep(0.2)
        path.write_text("k" * 64)
    writer = threading.Thread(target=finish_writing)
    writer.start()
    assert secret_key(tmp_path) == "k" * 64
    writer.join()
