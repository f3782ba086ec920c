"""Firing lateness on the system clock (part 6 of `duban benchmark`).

Very urgent (特急) orders are opened so that their overdue timers fall due at a steady rate over at least a
minute in the near future; then a real worker (the APScheduler tick of `duban worker`, the system clock, its
own process) fires them. Lateness of a firing = when its batch's last action was written (the commit follows
within milliseconds) minus the timer's due time.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from config.loader import load_rules
from engine.clock import VirtualClock
from engine.persistence.tables import actions, timer_firings
from workflows.bench.common import Report, _settings, new_engine, register_units, run_in_processes

VERY_URGENT = "特急"


def lateness_worker(url: str, until: str, tick_seconds: float) -> dict[str, Any]:
    """`duban worker` in a fresh process (system clock, APScheduler tick) until `until`."""
    from workflows.bootstrap import build_engine, build_sms
    from workflows.scheduler import WorkerHealth, build_scheduler

    settings = replace(_settings("lateness-worker"), database_url=url, tick_seconds=tick_seconds)
    if not settings.secret_key:  # PostgreSQL needs one for SMS links; a benchmark's own is fine
        settings = replace(settings, secret_key="duban-benchmark-secret-key-0123456789")
    engine = build_engine(settings, database_url=url, migrate=False)
    health = WorkerHealth(tick_seconds)
    scheduler = build_scheduler(engine, build_sms(settings, engine), settings, health, blocking=False)
    scheduler.start()
    try:
        while datetime.now(timezone.utc) < datetime.fromisoformat(until):
            time.sleep(0.5)
    finally:
        scheduler.shutdown(wait=True)
        engine.store.engine.dispose()
    return {"fired": health.fired_total, "last_error": health.last_error}


def _open(engine: Any, clock: VirtualClock, number: str, unit: str, at: datetime) -> None:
    clock.set(at)
    engine.open_work_order(number=number, unit_code=unit, category="求助", urgency=VERY_URGENT, source="12345",
                           at=at, actor="benchmark")


def measure_lateness(url: str, report: Report, *, firings: int, seconds: float, tick_seconds: float) -> dict[str, Any]:
    settings = _settings()
    hours = load_rules(settings.rules_file).urgent_hours[VERY_URGENT]
    clock = VirtualClock(datetime.now(timezone.utc))
    engine = new_engine(url, clock)
    units = sorted(register_units(engine))
    report.progress("lateness: measuring how fast orders open")
    warm, began = 50, time.perf_counter()
    for i in range(warm):  # due a day later: never in the measured window
        _open(engine, clock, f"W{i:06d}", units[i % len(units)], datetime.now(timezone.utc) + timedelta(days=1))
    per_order = (time.perf_counter() - began) / warm
    first_due = datetime.now(timezone.utc) + timedelta(seconds=per_order * firings * 1.5 + 15)
    step = timedelta(seconds=seconds / firings)
    for i in range(firings):
        if i % 100 == 0:
            report.progress(f"lateness: opening orders {i:,}/{firings:,}")
        _open(engine, clock, f"T{i:06d}", units[i % len(units)], first_due - timedelta(hours=hours) + i * step)
    seeded_in_time = datetime.now(timezone.utc) < first_due
    last_due = first_due + (firings - 1) * step
    report.progress(f"lateness: a worker fires {firings:,} timers due over {seconds:.0f} s on the system clock")
    worker = run_in_processes(lateness_worker, [(url, (last_due + timedelta(seconds=10)).isoformat(),
                                                 tick_seconds)])[0]
    report.progress_done()
    late = _lateness(engine, first_due, last_due)
    engine.store.engine.dispose()
    late.update(firings=firings, spread_seconds=seconds, rate_per_s=firings / seconds, tick_seconds=tick_seconds,
                seeded_in_time=seeded_in_time, worker=worker)
    report.section(f"6. Firing lateness: a real worker on the system clock, {firings:,} timers due over "
                   f"{seconds:.0f} s ({late['rate_per_s']:.0f}/s), tick every {tick_seconds:g} s")
    report.line(f"fired {late['fired']:,}/{firings:,}: lateness p50 {late['p50']:.3f} s, p99 {late['p99']:.3f} s, "
                f"max {late['max']:.3f} s" + ("" if seeded_in_time else " (INVALID: opening the orders overran "
                                                                      "the first due time)"))
    return late


def _lateness(engine: Any, first_due: datetime, last_due: datetime) -> dict[str, Any]:
    """Per firing: the batch's last action write time minus the due time (a batch shares its `fired_at`)."""
    batch_end = (sa.select(timer_firings.c.fired_at, sa.func.max(actions.c.recorded_at).label("written"))
                 .join(actions, actions.c.instance_id == timer_firings.c.instance_id)
                 .where(actions.c.at == timer_firings.c.due_at)
                 .group_by(timer_firings.c.fired_at).subquery())
    query = (sa.select(timer_firings.c.due_at, batch_end.c.written)
             .join(batch_end, batch_end.c.fired_at == timer_firings.c.fired_at)
             .where(timer_firings.c.due_at >= first_due, timer_firings.c.due_at <= last_due))
    with engine.store.reading() as tx:
        rows = tx.c.execute(query).all()
    values = sorted(max((_aware(written) - _aware(due)).total_seconds(), 0.0) for due, written in rows)
    if not values:
        return {"fired": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    return {"fired": len(values), "p50": values[len(values) // 2], "p99": values[min(len(values) - 1,
                                                                                     int(len(values) * 0.99))],
            "max": values[-1]}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC
