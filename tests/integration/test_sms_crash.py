"""No second SMS and no lost timer when workers are killed at random moments (`kill -9`), on PostgreSQL.

Two worker processes run the worker's timer tick and SMS pass against one schema, sending through the real
`twilio` client to the fake Twilio. Meanwhile the test opens 2,000 orders (each reminder goes to the unit's
number and to one busy duty number shared by every unit, which Twilio answers slowly, so kills often land
between Twilio's acceptance and our commit) and kills a worker every fraction of a second, starting a new one in
its place. The workers' clock runs 20x faster than the wall, so the 09:00 reminder timers of every order fall
due mid-run and the 5-minute sending lease of a killed worker's messages runs out while the others go on.
Afterwards a last worker catches up; then every message must have reached Twilio exactly once and every timer
must have fired exactly once.
"""
from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from engine.clock import VirtualClock
from engine.persistence.tables import outbox, timer_firings, workflow_instances
from tests.conftest import ROOT, local
from tests.integration._sms_crash_worker import ScaledClock, settings
from workflows.bootstrap import build_engine, build_sms
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from workflows.dev.fake_twilio import FakeTwilio

WORKER = Path(__file__).with_name("_sms_crash_worker.py")
ORDERS, UNITS, KILLS = int(os.environ.get("DUBAN_CRASH_ORDERS", 2000)), 400, 40
CHATTER = 600  # other messages to the busy number, 20 a second
BUSY = "+8613900009999"  # the duty number every unit lists: hundreds of messages in a few minutes
DISPATCHED = local(2026, 6, 1, 10, 0)
DUE_SOON = local(2026, 6, 2, 9, 0)  # every order's reminder timer
START = local(2026, 6, 2, 8, 58)    # the workers' clock at the origin
INTAKE_THREADS = 4  # orders arrive from several web requests at once
SENT = ("queued", "sent", "delivered")
SPEED = 20


class Workers:
    """Worker processes forked from one parent that has loaded everything (see _sms_crash_worker.py)."""

    def __init__(self, url: str, fake: FakeTwilio, origin: float) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.parent = subprocess.Popen(
            [sys.executable, str(WORKER), url, fake.url, START.isoformat(), repr(origin), str(SPEED)],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.pids: queue.Queue[int] = queue.Queue()
        self.working: set[str] = set()
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.ready.wait(120), "the worker parent did not start"
        self.spawned = 0

    def _read(self) -> None:
        assert self.parent.stdout is not None
        for line in self.parent.stdout:
            kind, _, value = line.strip().partition(" ")
            if kind == "ready":
                self.ready.set()
            elif kind == "pid":
                self.pids.put(int(value))
            elif kind == "working":
                self.working.add(value)

    def spawn(self) -> tuple[str, int]:
        assert self.parent.stdin is not None
        self.spawned += 1
        name = f"worker-{self.spawned}"
        self.parent.stdin.write(f"spawn {name}\n")
        self.parent.stdin.flush()
        return name, self.pids.get(timeout=60)

    def wait_working(self, name: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while name not in self.working:
            assert time.monotonic() < deadline, f"{name} never finished an outbox pass"
            time.sleep(0.01)

    def close(self) -> None:
        assert self.parent.stdin is not None
        self.parent.stdin.close()
        self.parent.wait(timeout=30)


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    for _ in range(1000):  # reaped by the kernel (the parent ignores SIGCHLD)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    raise AssertionError(f"worker {pid} survived kill -9")


def chatter(fake: FakeTwilio, stop: threading.Event) -> None:
    """Other traffic to the duty number (the hotline's own notices): a busy number at Twilio."""
    client = Client(fake.account_sid, fake.auth_token, http_client=TwilioHttpClient(timeout=10))
    client.api.base_url = fake.url
    for n in range(CHATTER):
        if stop.wait(0.05):
            return
        client.messages.create(to=BUSY, from_="+15005550006", body=f"【揭阳12345】值班通知{n}")


def rows(url_engine: Any, query: Any) -> list[Any]:
    with url_engine.store.engine.connect() as connection:
        return list(connection.execute(query))


@pytest.mark.slow
@pytest.mark.postgres
def test_workers_killed_at_random_send_every_sms_once_and_fire_every_timer_once(pg_url: str) -> None:
    origin = time.time()
    with FakeTwilio() as fake:
        fake.number_rules[BUSY] = "slow:0.1"  # Twilio holds the answer a moment after accepting
        intake = build_engine(settings("intake", fake.url), clock=ScaledClock(START, origin, SPEED),
                              database_url=pg_url)
        for u in range(UNITS):
            intake.register_unit(f"U{u:02d}", f"单位{u}", [f"+86139{u:08d}", BUSY])

        def open_orders(part: int) -> None:
            for n in range(part, ORDERS, INTAKE_THREADS):
                intake.open_work_order(number=f"GD{n:05d}", unit_code=f"U{n % UNITS:02d}", category="咨询",
                                       urgency="一般", source="12345", at=DISPATCHED)

        stop = threading.Event()
        threads = [threading.Thread(target=chatter, args=(fake, stop))]
        threads += [threading.Thread(target=open_orders, args=(part,)) for part in range(INTAKE_THREADS)]
        for thread in threads:
            thread.start()
        rng = random.Random(15)
        workers = Workers(pg_url, fake, origin)
        running = [workers.spawn(), workers.spawn()]
        kills = 0
        # kill one of the two at a random moment, start another, until enough kills, every order is in, and the
        # workers' clock is past the reminders' 09:00
        workers_clock = ScaledClock(START, origin, SPEED)
        while kills < KILLS or any(t.is_alive() for t in threads[1:]) or workers_clock.now() < DUE_SOON + timedelta(minutes=3):
            slot = rng.randrange(2)
            name, pid = running[slot]
            workers.wait_working(name)  # however loaded the machine, each worker gets to work before it dies
            time.sleep(rng.uniform(0.0, 1.0))
            kill(pid)
            kills += 1
            running[slot] = workers.spawn()
        for _, pid in running:
            kill(pid)
        kills += len(running)
        workers.close()
        stop.set()
        threads[0].join()

        # a last worker, after the lease and the check delay, settles what the dead ones left
        clock = VirtualClock(workers_clock.now() + timedelta(minutes=30))
        last = build_engine(settings("last", fake.url), clock=clock, database_url=pg_url, migrate=False)
        sms = build_sms(settings("last", fake.url), last)
        for _ in range(5):
            last.fire_due_timers(limit=500)
            sms.delivery.run(sms.gateway, limit=5000)
            clock.advance(minutes=11)

        messages = [m for m in fake.messages if m.status_callback]  # Duban's (the chatter asks for no receipts)
        chatter_count = len(fake.messages) - len(messages)
    sms_rows = {r.id: r for r in rows(last, sa.select(outbox).where(outbox.c.channel == "sms"))}
    per_row = Counter(int(parse_qs(urlsplit(m.status_callback or "").query)["m"][0]) for m in messages)
    duplicates = {m: n for m, n in per_row.items() if n > 1}
    by_sid = {m.sid: m for m in messages}

    def reached(row: Any) -> bool:
        """Sent, or covered by the message it was merged into or suppressed as a repeat of (followed to the end)."""
        for _ in range(10):
            if row.status not in ("merged", "suppressed"):
                return row.status in SENT and row.provider_id in by_sid
            row = sms_rows[row.related_id]
        return False
    missed = [r.id for r in sms_rows.values() if not reached(r)]
    by_workers = sum(1 for r in sms_rows.values() if r.status in SENT and r.claimed_by != "last")
    print(f"\n{kills} kills, {ORDERS} orders, {len(sms_rows)} outbox messages, {len(messages)} reached Twilio "
          f"({sum(1 for m in messages if m.to == BUSY)} to the busy number, which also had {chatter_count} others), "
          f"{len(duplicates)} sent twice, "
          f"{len(missed)} missed; {by_workers} sent by the killed workers, the rest by the last one")
    assert kills >= KILLS
    assert duplicates == {}
    assert missed == []
    assert set(per_row) == {r.id for r in sms_rows.values() if r.status in SENT}
    assert all(by_sid[r.provider_id].body == r.body for r in sms_rows.values() if r.status in SENT)

    instances = {r.order_number: r.id for r in rows(last, sa.select(workflow_instances.c.order_number,
                                                                    workflow_instances.c.id))}
    fired = Counter((r.instance_id, r.due_at) for r in rows(last, sa.select(timer_firings)))
    assert max(fired.values()) == 1
    assert set(fired) == {(instances[f"GD{n:05d}"], DUE_SOON) for n in range(ORDERS)}
