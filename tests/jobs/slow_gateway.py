"""A customs gateway for the worker subprocess tests: the file gateway, slowed down, with a
journal of every message handed to it (``WMS_CUSTOMS_GATEWAY=tests.jobs.slow_gateway:make``)."""
from __future__ import annotations

import os
import time
from pathlib import Path

from wms.customs.outbox import FileGateway


class SlowGateway(FileGateway):
    def __init__(self, base: Path, delay: float) -> None:
        super().__init__(base / "out", base / "in")
        self.journal, self.delay = base / "journal.txt", delay

    def send(self, message) -> None:
        time.sleep(self.delay)
        super().send(message)
        with self.journal.open("a") as fh:
            fh.write(message.guid + "\n")
            fh.flush()


def make() -> SlowGateway:
    return SlowGateway(Path(os.environ["SLOW_GATEWAY_DIR"]),
                       float(os.environ.get("SLOW_GATEWAY_DELAY", "0.2")))
