"""Every timer fires exactly once: through a crash mid-firing, after downtime, on worker start, and
with two workers racing on one PostgreSQL schema.

Time passes by moving virtual clocks; no test sleeps waiting for a timer. The background scheduler
test waits on an event set by its ticks, bounded to a few seconds.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config.settings import Settings
from engine.clock import VirtualClock
from engine.persistence.tables import actions, outbox, supervisor_tasks, timer_firings, workflow_instances
from engine.services import Engine
from tests.timeline import DISPATCH, DUE_SOON, OVERDUE, RED, SIGN_OVERDUE, YELLOW
from tests.conftest import ROOT, local
from workflows import scheduler as scheduler_module
from workflows.bootstrap import build_sms
from workflows.scheduler import WorkerHealth, build_scheduler, serve_health

HELPER = Path(__file__).with_name("_engine_process.py")
PHONES = ("+8613800138001", "+8613800138002")



@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def open_orders(engine: Engine, count: int, *, unit: str = "U01") -> list[str]:
    engine.register_unit(unit, "市住建局", list(PHONES))
    numbers = [f"GD20260601{i:04d}" for i in range(count)]
    for number in numbers:
        engine.open_work_order(number=number, unit_code=unit, category="咨询", urgency="一般", source="12345",
                               at=DISPATCH)
    return numbers


def rows(engine: Engine, query: Any) -> list[Any]:
    with engine.store.engine.connect() as connection:
        return list(connection.execute(query))


def scalar(engine: Engine, query: Any) -> Any:
    with engine.store.engine.connect() as connection:
        return connection.execute(query).scalar()


def count(engine: Engine, table: sa.Table, *where: Any) -> int:
    return int(scalar(engine, sa.select(sa.func.count()).select_from(table).where(*where)))


def run_helper(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(HELPER), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, **kwargs)


def drain(engine: Engine, *, seconds: float = 5.0) -> int:
    """Fire until nothing is due. Bounded: on PostgreSQL a killed process's locks go when its backend notices."""
    fired = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fired += engine.fire_due_timers()
        if engine.backlog()["due_now"] == 0:
            return fired
    raise AssertionError(f"backlog not drained in {seconds} s: {engine.backlog()}")


def assert_each_timer_fired_once(engine: Engine, expected: set[tuple[int, datetime]]) -> None:
    fired = [(r.instance_id, r.due_at) for r in rows(engine, sa.select(timer_firings.c.instance_id,
                                                                          timer_firings.c.due_at))]
    duplicates = [key for key, n in Counter(fired).items() if n > 1]
    assert not duplicates, f"timers fired twice: {duplicates}"
    assert set(fired) == expected


def assert_no_instance_error(engine: Engine) -> None:
    errors = rows(engine, sa.select(workflow_instances.c.id, workflow_instances.c.last_error)
                  .where(workflow_instances.c.last_error.is_not(None)))
    assert errors == []


def sms_rows_per_step(engine: Engine) -> Counter[tuple[str, str, str]]:
    query = sa.select(outbox.c.order_number, outbox.c.template, outbox.c.recipient).where(outbox.c.channel == "sms")
    return Counter((r.order_number, r.template, r.recipient) for r in rows(engine, query))


def instance_ids(engine: Engine) -> dict[str, int]:
    query = (sa.select(workflow_instances.c.order_number, workflow_instances.c.id)
             .where(workflow_instances.c.kind == "work_order"))
    return {r.order_number: r.id for r in rows(engine, query)}


# ---------------------------------------------------------------------------------------- a. crash
@pytest.mark.parametrize("method,limit", [
    ("record_firings", 1),  # instance 1 commits; dies in instance 2 right after recording its timer firings
    ("add_outbox", 1),     # instance 1 commits; dies in instance 2 once its SMS rows are written
    ("add_outbox", 50),    # one batch for all: dies in instance 2, instance 1's savepoint is lost with it
], ids=["record_firings-batch-of-1", "add_outbox-batch-of-1", "add_outbox-whole-batch"])
def test_worker_killed_mid_firing_fires_each_timer_once(make_engine: Callable[..., Engine], db_url: str,
                                                        method: str, limit: int) -> None:
    clock = VirtualClock(DISPATCH)
    engine = make_engine(clock=clock, database_url=db_url)
    numbers = open_orders(engine, 3)
    ids = instance_ids(engine)
    wake_at = local(2026, 6, 3, 10, 0)  # due_soon (06-02 09:00) and sign-overdue (06-03 09:00) are due

    crashed = run_helper("crash", db_url, wake_at.isoformat(), "crasher", str(limit), method, "2")
    assert crashed.returncode == 1, (crashed.stdout, crashed.stderr)
    assert "no crash" not in crashed.stdout
    committed_batches = crashed.stdout.count("committed")
    assert committed_batches == (1 if limit == 1 else 0)
    survivors = count(engine, timer_firings)
    assert survivors == 2 * committed_batches  # what the dead process committed, nothing of what it did not
    assert count(engine, outbox, outbox.c.template == "due_soon") == 2 * committed_batches

    clock.set(wake_at)
    drain(engine)

    assert_each_timer_fired_once(engine, {(ids[n], due) for n in numbers for due in (DUE_SOON, SIGN_OVERDUE)})
    per_step = sms_rows_per_step(engine)
    assert per_step == Counter({(n, template, phone): 1 for n in numbers for phone in PHONES
                                for template in ("dispatched", "due_soon", "sign_overdue")})
    assert count(engine, actions) == 3 * (2 + 2 + 2 + 1)  # dispatched, due_soon, sign_overdue SMS + phone task
    assert count(engine, supervisor_tasks) == 3
    workers = Counter(r.worker for r in rows(engine, sa.select(timer_firings.c.worker)))
    assert workers == Counter({"crasher": 2 * committed_batches, "test-worker": 6 - 2 * committed_batches})
    assert engine.backlog()["failed_instances"] == 0
    assert_no_instance_error(engine)
    assert all(r.next_due_at == OVERDUE for r in rows(engine, sa.select(workflow_instances.c.next_due_at)))


# -------------------------------------------------------------------------------------- b. restart
def test_timers_due_during_downtime_fire_in_order_each_at_its_time(make_engine: Callable[..., Engine]) -> None:
    clock = VirtualClock(DISPATCH)
    engine = make_engine(clock=clock)
    numbers = open_orders(engine, 3)
    signed = numbers[1]
    engine.record_event(signed, "signed", at=local(2026, 6, 1, 15, 0))

    clock.set(local(2026, 6, 8, 10, 0))  # no worker ran through due_soon, sign-overdue, overdue and yellow
    assert engine.backlog()["due_now"] == 3
    assert engine.fire_due_timers() == 4 + 3 + 4  # one call, as a worker does on start
    assert engine.backlog()["due_now"] == 0

    ids = instance_ids(engine)
    expected_steps = {"due_soon": DUE_SOON, "sign_overdue": SIGN_OVERDUE, "overdue": OVERDUE, "yellow": YELLOW}
    for number in numbers:
        recorded = rows(engine, sa.select(actions.c.step, actions.c.kind, actions.c.at)
                        .where(actions.c.order_number == number, actions.c.step != "dispatched")
                        .order_by(actions.c.id))
        steps = [r.step for r in recorded]
        want = ["due_soon"] * 2 + ([] if number == signed else ["sign_overdue"] * 3) + ["overdue"] * 4 + ["yellow"] * 3
        assert steps == want, number
        assert all(r.at == expected_steps[r.step] for r in recorded), recorded
        assert [r.at for r in recorded] == sorted(r.at for r in recorded)  # recorded in time order
        fired = rows(engine, sa.select(timer_firings.c.due_at, timer_firings.c.fired_at)
                     .where(timer_firings.c.instance_id == ids[number]).order_by(timer_firings.c.id))
        assert [r.due_at for r in fired] == [t for s, t in expected_steps.items()
                                             if not (s == "sign_overdue" and number == signed)]
        assert {r.fired_at for r in fired} == {clock.now()}
        # every SMS is held to its own step's time (09:00 is inside the sending window)
        for r in rows(engine, sa.select(outbox.c.template, outbox.c.send_at)
                      .where(outbox.c.order_number == number, outbox.c.channel == "sms",
                             outbox.c.template != "dispatched")):
            step = {"yellow_card": "yellow"}.get(r.template, r.template)
            assert r.send_at == expected_steps[step]
    assert engine.next_due() == RED
    assert engine.fire_due_timers() == 0
    assert_no_instance_error(engine)


# ------------------------------------------------------------------------------ c. worker on start
def test_worker_fires_overdue_timers_on_start_and_reports_health(
        make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    clock = VirtualClock(DISPATCH)
    engine = make_engine(clock=clock)
    numbers = open_orders(engine, 3)
    clock.set(local(2026, 6, 8, 10, 0))

    ticks: list[int] = []
    ticked = threading.Condition()
    real_tick = scheduler_module.tick

    def observed_tick(*args: Any, **kwargs: Any) -> int:
        fired = real_tick(*args, **kwargs)
        with ticked:
            ticks.append(fired)
            ticked.notify_all()
        return fired

    monkeypatch.setattr(scheduler_module, "tick", observed_tick)
    settings = Settings(worker_id="test-worker", tick_seconds=0.05, outbox_seconds=30, batch_size=2)
    health = WorkerHealth(settings.tick_seconds)
    server = serve_health(engine, health, 0)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, before = get_json(url + "/healthz")
        assert status == 200
        assert before["timer_backlog"]["due_now"] == 3
        assert before["timer_backlog"]["oldest_due_at"] == DUE_SOON.astimezone(timezone.utc).isoformat()
        assert before["fired_total"] == 0

        scheduler = build_scheduler(engine, build_sms(settings, engine), settings, health, blocking=False)
        scheduler.start()
        try:
            with ticked:
                assert ticked.wait_for(lambda: len(ticks) >= 3, timeout=5), f"only {len(ticks)} ticks in 5 s"
        finally:
            scheduler.shutdown(wait=True)

        assert ticks[0] == 12  # the first tick, at start, fired everything that fell due (batches of 2)
        assert sum(ticks) == 12  # and no later tick fired anything again
        ids = instance_ids(engine)
        assert_each_timer_fired_once(engine, {(ids[n], due) for n in numbers
                                              for due in (DUE_SOON, SIGN_OVERDUE, OVERDUE, YELLOW)})
        assert health.fired_total == 12 and health.last_error is None
        assert_no_instance_error(engine)

        status, after = get_json(url + "/healthz")
        assert status == 200 and after["status"] == "ok"
        assert after["fired_total"] == 12
        backlog = after["timer_backlog"]
        assert backlog["due_now"] == 0 and backlog["oldest_due_at"] is None
        assert backlog["failed_instances"] == 0 and backlog["waiting_instances"] >= 3
        assert get_json(url + "/nothing-here")[0] == 404
    finally:
        server.shutdown()
        server.server_close()


def get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


# ---------------------------------------------------------------------- d. two workers, PostgreSQL
@pytest.mark.postgres
def test_two_worker_processes_fire_every_timer_exactly_once(make_engine: Callable[..., Engine], pg_url: str) -> None:
    orders = 300
    clock = VirtualClock(DISPATCH)
    engine = make_engine(clock=clock, database_url=pg_url)
    numbers = open_orders(engine, orders)
    wake_at = local(2026, 6, 4, 10, 0)  # due_soon, sign-overdue and overdue are due for every order
    clock.set(wake_at)
    assert engine.backlog()["due_now"] == orders

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, str(HELPER), "worker", pg_url, wake_at.isoformat(), name, "10"],
                                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for name in ("worker-a", "worker-b")]
    try:
        for worker in workers:
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line.strip() == "ready", (line, worker.stderr.read() if worker.stderr else "")
        for worker in workers:  # both start at once
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, (out, err)
            assert "Traceback" not in err, err
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()

    expected_firings = 3 * orders
    assert sum(r["fired"] for r in results) == expected_firings
    assert all(r["fired"] > 0 for r in results), results  # both workers really took part

    ids = instance_ids(engine)
    assert_each_timer_fired_once(engine, {(ids[n], due) for n in numbers
                                          for due in (DUE_SOON, SIGN_OVERDUE, OVERDUE)})
    by_worker = Counter(r.worker for r in rows(engine, sa.select(timer_firings.c.worker)))
    assert set(by_worker) == {"worker-a", "worker-b"}
    assert {r["worker"]: r["fired"] for r in results} == dict(by_worker)

    backlog = engine.backlog()
    assert backlog["due_now"] == 0 and backlog["failed_instances"] == 0
    # a second firing would have hit the unique (instance_id, due_at) and left an error on the instance
    assert_no_instance_error(engine)
    states = rows(engine, sa.select(workflow_instances.c.status, workflow_instances.c.next_due_at)
                  .where(workflow_instances.c.kind == "work_order"))
    assert len(states) == orders
    assert all(s.status == "waiting" and s.next_due_at == YELLOW > wake_at for s in states)

    # per order: SMS dispatched, due_soon, sign_overdue, overdue to both numbers; 2 phone tasks; 1 催办通知书
    assert count(engine, actions) == orders * (8 + 2 + 1)
    assert scalar(engine, sa.select(sa.func.count(sa.distinct(actions.c.key)))) == orders * 11
    assert count(engine, outbox) == orders * (8 + 1)
    assert scalar(engine, sa.select(sa.func.count(sa.distinct(outbox.c.key)))) == orders * 9
    assert sms_rows_per_step(engine) == Counter({(n, t, p): 1 for n in numbers for p in PHONES
                                                 for t in ("dispatched", "due_soon", "sign_overdue", "overdue")})
    assert count(engine, outbox, outbox.c.template == "urge_notice") == orders
    assert count(engine, supervisor_tasks) == 2 * orders
    action_keys = {r.key for r in rows(engine, sa.select(actions.c.key))}
    assert {r.key for r in rows(engine, sa.select(outbox.c.key))} <= action_keys  # each row from one action
