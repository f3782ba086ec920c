"""An engine in a separate process, for the exactly-once tests (not collected by pytest).

    python _engine_process.py crash  URL AT WORKER_ID LIMIT METHOD N
        fire due timers at virtual time AT in batches of LIMIT instances; while the Nth instance fires, its
        first call of SqlTransaction.METHOD executes and then the process dies with os._exit(1), before the
        transaction commits. Prints one line per committed batch.
    python _engine_process.py worker URL AT WORKER_ID LIMIT
        print "ready", wait for a line on stdin, then fire due timers in batches of LIMIT until no timer
        is due; print {"worker": …, "fired": …, "batches": …} and exit 0.
"""
from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def build(url: str, at: str, worker_id: str) -> Any:
    from config.settings import Settings
    from engine.clock import VirtualClock, parse_instant
    from workflows.bootstrap import build_engine

    return build_engine(Settings(worker_id=worker_id), clock=VirtualClock(parse_instant(at)), database_url=url)


def crash(url: str, at: str, worker_id: str, limit: str, method: str, nth: str) -> int:
    from engine.persistence import store
    from engine.services import Engine

    original_method, original_fire = getattr(store.SqlTransaction, method), Engine._fire
    firing = 0  # which instance is being fired (1-based, across batches)

    def counting_fire(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal firing
        firing += 1
        return original_fire(self, *args, **kwargs)

    def dying(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original_method(self, *args, **kwargs)  # the rows are written inside the open transaction ...
        if firing == int(nth):
            sys.stdout.flush()
            os._exit(1)  # ... and the process dies before the commit
        return result

    engine = build(url, at, worker_id)
    Engine._fire = counting_fire  # type: ignore[method-assign]
    setattr(store.SqlTransaction, method, dying)
    while True:
        fired = engine.fire_due_timers(limit=int(limit))
        print(f"committed {fired}", flush=True)
        if fired == 0:
            break
    print("no crash", flush=True)
    return 0


def worker(url: str, at: str, worker_id: str, limit: str) -> int:
    engine = build(url, at, worker_id)
    print("ready", flush=True)
    sys.stdin.readline()  # the test starts every worker at once
    fired = batches = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        count = engine.fire_due_timers(limit=int(limit))
        fired += count
        batches += 1
        if count == 0 and engine.backlog()["due_now"] == 0:
            print(json.dumps({"worker": worker_id, "fired": fired, "batches": batches}), flush=True)
            return 0
    print(json.dumps({"worker": worker_id, "error": "backlog not drained in 60 s"}), flush=True)
    return 3


if __name__ == "__main__":
    mode, *rest = sys.argv[1:]
    sys.exit({"crash": crash, "worker": worker}[mode](*rest))
