"""Bench: GET /api/v1/scan/{code} under an open-loop offered load (issue 18: >= 300/s,
p95 <= 50 ms, p50 <= 4x /healthz), behind gunicorn, from a separate process; the floor is
/healthz under the same offered load in the same run.
"""
from __future__ import annotations

from common import Database, Server, arguments, open_loop, report  # noqa: I001

CODES = ("APT-PRE-800", "LZB-A-01-01", "4008746009123")


def lookup(i, headers):
    return "GET", f"/api/v1/scan/{CODES[i % len(CODES)]}", {"headers": headers}


def health(i, headers):
    return "GET", "/healthz", {}


def main() -> None:
    args = arguments(__doc__.splitlines()[0], 20, 5)  # seconds of offered load
    db = Database()
    server = Server(db)
    try:
        headers = db.token("operator")
        rate = 300
        import functools
        floor = open_loop(server.base, functools.partial(health, headers=headers), rate,
                          args.size)
        got = open_loop(server.base, functools.partial(lookup, headers=headers), rate,
                        args.size)
        note = (f"p95 {got['p95']:.1f} ms, p99 {got['p99']:.1f} ms, {got['rate']:.0f}/s "
                f"offered {rate}/s, {got['failed']} failed of {got['count']}; /healthz p50 "
                f"{floor['p50']:.1f} p95 {floor['p95']:.1f}")
        report(f"scan lookup p50, {rate}/s open loop", got["p50"], floor["p50"], "ms",
               "p95 <= 50 ms, p50 <= 4x /healthz",
               got["p95"] <= 50 and got["p50"] <= 4 * floor["p50"] and not got["failed"],
               note)
    finally:
        server.stop()
        db.drop()


if __name__ == "__main__":
    main()
