"""An API intake in a separate process that is killed between the idempotency claim and the order's creation
(not collected by pytest).

    python _intake_process.py URL BODY_JSON
        parse BODY_JSON as an order and submit it; when the order is about to be inserted (the intake record is
        claimed by then) print "claimed" and wait for the parent to kill the process.
"""
from __future__ import annotations

import json
import sys
import time


def main(url: str, body: str) -> int:
    from config.settings import Settings
    from engine.clock import VirtualClock, parse_instant
    from engine.intake.orders import parse_order
    from engine.persistence.store import SqlTransaction
    from workflows.bootstrap import build_engine
    from workflows.intake.service import submit

    engine = build_engine(Settings(worker_id="doomed"), clock=VirtualClock(parse_instant("2026-06-01T08:00:00+08:00")),
                          database_url=url)
    def hang(self: SqlTransaction, *args: object, **kwargs: object) -> None:
        print("claimed", flush=True)
        while True:
            time.sleep(60)  # until SIGKILL

    SqlTransaction.insert_order = hang  # type: ignore[method-assign]
    order, errors = parse_order(json.loads(body), now=engine.clock.now())
    assert order is not None, errors
    submit(engine, order, "doomed-client")
    print("submitted", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
