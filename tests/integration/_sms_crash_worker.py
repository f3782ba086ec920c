"""Worker processes for the crash test (not collected by pytest).

    python _sms_crash_worker.py URL PROVIDER FAKE_URL START ORIGIN SPEED

(PROVIDER is twilio or aliyun; FAKE_URL is where its local fake listens)

builds the engine once (rules, BPMN, templates; no database connection yet), prints "ready", then forks one
worker per line `spawn NAME` read from stdin and prints `pid PID` (the worker prints `working NAME` once its first
message has gone through the provider, or its first outbox pass is done), so a worker killed with `kill -9` is
replaced in milliseconds instead of the seconds an import takes. Each worker runs the `duban worker` jobs that matter here
— the timer tick and the SMS outbox pass, each in its own thread — on a clock that runs SPEED times faster than the wall from
a shared ORIGIN (so every worker and the test agree on "now").
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any


class ScaledClock:
    def __init__(self, start: datetime, origin: float, speed: float) -> None:
        self.start, self.origin, self.speed = start, origin, speed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.origin) * self.speed)


ALIYUN_KEY_ID, ALIYUN_SECRET = "LTAI5tFakeAccessKey0001", "fake-secret-0001"  # FakeAliyun's defaults


def settings(worker_id: str, provider: str, fake_url: str) -> Any:
    """A worker's settings: SMS through the real client of `provider` (twilio | aliyun) to its fake at `fake_url`."""
    from config.settings import Settings

    common = {"worker_id": worker_id, "secret_key": "crash-test-secret-0123456789",
              "public_url": "https://duban.example.gov.cn"}
    if provider == "aliyun":  # no push token: reports would be polled (the test does not need them)
        return Settings(**common, sms_gateway="aliyun", aliyun_access_key_id=ALIYUN_KEY_ID,
                        aliyun_access_key_secret=ALIYUN_SECRET, aliyun_api_url=fake_url, aliyun_timeout=10.0)
    return Settings(**common, sms_gateway="twilio", twilio_account_sid="AC" + "0" * 32,
                    twilio_auth_token="test_auth_token", twilio_from="+15005550006", twilio_api_url=fake_url,
                    twilio_timeout=10.0)


def work(engine: Any, sms: Any, name: str) -> None:
    """In the forked child: a fresh connection pool, this worker's name, then the worker's jobs until killed."""
    from workflows.scheduler import WorkerHealth, deliver_sms, tick

    engine.store.engine.dispose(close=False)
    engine.worker_id = sms.delivery.worker_id = name
    health = WorkerHealth(tick_seconds=1.0)

    def forever(job: Callable[[], Any]) -> None:
        while True:
            job()
            time.sleep(0.005)

    announced = threading.Lock()

    def working() -> None:  # from now on a kill lands in the middle of work, and every worker got something done
        if announced.acquire(blocking=False):
            print(f"working {name}", flush=True)

    send = sms.gateway.send

    def sending(message: Any) -> Any:
        result = send(message)
        working()  # one message through the provider: the rest of this pass's claimed messages are still to go
        return result

    sms.gateway.send = sending
    # as in `duban worker`, the timer tick and the outbox pass run side by side
    threading.Thread(target=forever, args=(lambda: tick(engine, health, 20),), daemon=True).start()
    deliver_sms(sms, health)
    working()  # or a whole pass done, when there was nothing to send
    forever(lambda: deliver_sms(sms, health))


def main(url: str, provider: str, fake_url: str, start: str, origin: str, speed: str) -> int:
    from engine.clock import parse_instant
    from workflows.bootstrap import build_engine, build_sms

    clock = ScaledClock(parse_instant(start), float(origin), float(speed))
    s = settings("parent", provider, fake_url)
    engine = build_engine(s, clock=clock, database_url=url, migrate=False)  # no connection before the forks
    sms = build_sms(s, engine)
    if provider == "twilio":
        assert sms.gateway.client.messages is not None  # twilio imports its REST modules lazily: do it once, here
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed workers are reaped by the kernel
    gc.freeze()  # what the parent loaded stays shared: no collection in a child touches (and so copies) it
    print("ready", flush=True)
    for line in sys.stdin:
        command, _, name = line.strip().partition(" ")
        if command != "spawn":
            break
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            sys.stdin.close()
            work(engine, sms, name)
            os._exit(0)
        print(f"pid {pid}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
