"""`duban benchmark`: how fast the engine is, and how close it comes to bare SpiffWorkflow.

1. The floor: bare SpiffWorkflow on the `work_order` process, no database (create-to-wait, wake).
2. The engine on a SQLite file: orders opened per second, timers fired per second.
3. The same on PostgreSQL, with one worker and with two worker processes on the same due set,
   then a check that every timer fired exactly once.
4. Memory: peak RSS and the tracemalloc peak of a worker's fire loop, with few and many open orders.
5. A year-long `duban replay` of traffic made from real LA 311 requests (see workflows/la311.py).

Human-readable lines go to stdout, then one JSON line with every figure; progress goes to stderr
when it is a terminal. Each measured worker runs in a fresh process (spawn), so its peak RSS is its own.
"""
from __future__ import annotations

import argparse
import gc
import json
import logging
import multiprocessing
import os
import queue
import resource
import sys
import tempfile
import time
import timeit
import tracemalloc
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config.loader import load_calendar, load_rules
from config.settings import Settings
from engine.clock import LOCAL_TZ, VirtualClock, format_local, parse_instant
from engine.domain import deadlines
from engine.domain.rules import ROUTINE
from engine.persistence.tables import actions, timer_firings, workflow_instances
from engine.runtime import runner, serializer
from engine.runtime.definitions import load_directory
from engine.services import WORK_ORDER, Engine
from workflows import la311
from workflows.bootstrap import build_engine
from workflows.operations import OPERATIONS

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "duban_benchmark"  # everything happens here; dropped and recreated for each measurement
START = datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)  # a Monday morning, a working day
CATEGORY, URGENCY = "投诉", ROUTINE  # every benchmark order: same first timer (the sign-for chase)
REPLAY_START = date(2026, 1, 1)
GOAL_RATIO = 0.5


@dataclass(frozen=True)
class Sizes:
    raw_number: int  # timeit: calls per repeat
    raw_repeat: int
    orders: int  # opened then fired, per database run
    memory_orders: tuple[int, int]  # open orders for the two memory runs ...
    memory_due: int  # ... of which this many are due and fired
    replay_days: int
    replay_per_day: int


QUICK = Sizes(raw_number=100, raw_repeat=3, orders=400, memory_orders=(200, 1_000), memory_due=200,
              replay_days=5, replay_per_day=200)
FULL = Sizes(raw_number=500, raw_repeat=7, orders=3_000, memory_orders=(1_000, 10_000), memory_due=1_000,
             replay_days=365, replay_per_day=1_000)


# ---------------------------------------------------------------------------------------- output
class Report:
    """Lines for people on stdout, progress on stderr (terminal only), figures for the JSON line."""

    def __init__(self, show_progress: bool) -> None:
        self.show_progress = show_progress
        self.summary: dict[str, Any] = {}
        self.failures: list[str] = []

    def section(self, title: str) -> None:
        print(f"\n== {title}", flush=True)

    def line(self, text: str) -> None:
        print(f"  {text}", flush=True)

    def progress(self, text: str) -> None:
        if self.show_progress:
            sys.stderr.write(f"\r\x1b[K{text}")
            sys.stderr.flush()

    def progress_done(self) -> None:
        if self.show_progress:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()

    def fail(self, text: str) -> None:
        self.failures.append(text)
        self.line(f"FAILED: {text}")


def _rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def _fmt_rate(rate: float) -> str:
    return f"{rate:,.0f}/s"


def _workers(count: int) -> str:
    return f"{count} worker process{'es' if count != 1 else ''}"


def _mib(kib: float) -> str:
    return f"{kib / 1024:,.1f} MiB"


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _current_rss_kib() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# ---------------------------------------------------------------------------------------- shared set-up
def _settings(worker_id: str = "bench") -> Settings:
    return replace(Settings.from_env(), worker_id=worker_id)


def _quiet_logs() -> None:
    for name in ("duban.engine", "alembic", "spiff"):
        logging.getLogger(name).setLevel(logging.WARNING)


def ladder_data(settings: Settings, at: datetime, *, category: str = CATEGORY,
                urgency: str = URGENCY) -> dict[str, Any]:
    """The task data the engine starts a work order with (same shape as Engine._ladder_data)."""
    rules, calendar = load_rules(settings.rules_file), load_calendar(settings.calendar_file)
    deadline = deadlines.handling_deadline(rules, calendar, category=category, urgency=urgency, source="12345",
                                           start_at=at)
    times = deadlines.ladder_times(rules, calendar, urgency=urgency, deadline_at=deadline.at, armed_at=at)
    data: dict[str, Any] = {"is_reopen": False, "urgency": urgency, "category": category}
    data.update({f"{step}_at": format_local(when) if when else None for step, when in times.items()})
    data["sign_overdue_at"] = (format_local(deadlines.sign_overdue_at(rules, calendar, at))
                               if urgency == ROUTINE else None)
    return data


def new_engine(url: str, clock: VirtualClock, *, worker_id: str = "bench", migrate: bool = True) -> Engine:
    return build_engine(_settings(worker_id), clock=clock, database_url=url, migrate=migrate)


def register_units(engine: Engine) -> dict[str, int]:
    """The LA 311 units (1 or 2 phones each); returns unit code -> number of phones."""
    phones = {}
    for unit in la311.unit_records():
        engine.register_unit(unit["code"], unit["name"], unit["phones"])
        phones[unit["code"]] = len(unit["phones"])
    return phones


def open_orders(engine: Engine, clock: VirtualClock, count: int, units: list[str], *, prefix: str = "B",
                on_progress: Callable[[int], None] | None = None) -> float:
    """Open `count` orders at the clock's time, one transaction each; returns the seconds it took."""
    at = clock.now()
    began = time.perf_counter()
    for i in range(count):
        engine.open_work_order(number=f"{prefix}{i:07d}", unit_code=units[i % len(units)], category=CATEGORY,
                               urgency=URGENCY, source="12345", at=at, actor="benchmark")
        if on_progress and i % 100 == 0:
            on_progress(i)
    return time.perf_counter() - began


def drain(engine: Engine, batch: int) -> int:
    """Fire due timers until none is due (what a worker tick does); returns the timers fired."""
    fired = 0
    while engine.backlog()["due_now"]:
        count = engine.fire_due_timers(limit=batch)
        if count == 0:
            time.sleep(0.02)  # the rest is claimed by another worker: wait for it to commit, don't spin
        fired += count
    return fired


def move_past_first_due(engine: Engine, clock: VirtualClock) -> datetime:
    first_due = engine.next_due()
    if first_due is None:
        raise RuntimeError("no timer is waiting: the orders did not start their processes")
    clock.set(first_due + timedelta(minutes=1))
    return first_due


# ---------------------------------------------------------------------------------------- 1. SpiffWorkflow floor
def _noop(name: str, params: dict[str, Any], element_id: str, at: datetime) -> dict[str, Any]:
    return {"count": 0}


def _best_rate(fn: Callable[[], object], number: int, repeat: int) -> tuple[float, float]:
    """(best, median) calls per second over `repeat` timings of `number` calls, GC on as in production."""
    times = sorted(timeit.repeat(fn, setup="gc.enable()", number=number, repeat=repeat))
    return number / times[0], number / times[len(times) // 2]


def measure_raw(settings: Settings, sizes: Sizes, report: Report) -> dict[str, Any]:
    definition = load_directory(settings.bpmn_dir, frozenset(OPERATIONS))[WORK_ORDER]
    serializer.register(definition)
    data = ladder_data(settings, START)

    def create() -> str:
        wf = runner.start(definition, data, at=START, operation=_noop)
        runner.next_due(wf)
        return runner.dumps(wf)

    state = create()
    first_due = runner.next_due(runner.loads(state))
    assert first_due is not None

    def wake() -> str:
        wf = runner.loads(state)
        fired = runner.wake(wf, until=first_due, operation=_noop)
        assert fired == [first_due]
        runner.next_due(wf)
        return runner.dumps(wf)

    report.progress("raw SpiffWorkflow: create")
    create_best, create_median = _best_rate(create, sizes.raw_number, sizes.raw_repeat)
    report.progress("raw SpiffWorkflow: wake")
    wake_best, wake_median = _best_rate(wake, sizes.raw_number, sizes.raw_repeat)
    report.progress_done()
    result = {"create_per_s": create_best, "create_median_per_s": create_median, "wake_per_s": wake_best,
              "wake_median_per_s": wake_median, "state_bytes": len(state), "woken_state_bytes": len(wake()),
              "first_due": format_local(first_due), "timeit": {"number": sizes.raw_number, "repeat": sizes.raw_repeat}}
    report.section(f"1. SpiffWorkflow floor: work_order, no database (best of {sizes.raw_repeat} x {sizes.raw_number})")
    report.line(f"create-to-wait (start + next_due + dumps): {_fmt_rate(create_best)} "
                f"(median {_fmt_rate(create_median)}), state {len(state):,} bytes")
    report.line(f"wake-advance-save (loads + wake past {format_local(first_due)} + next_due + dumps): "
                f"{_fmt_rate(wake_best)} (median {_fmt_rate(wake_median)})")
    return result


# ---------------------------------------------------------------------------------------- 2./3. engine runs
def verify_exactly_once(engine: Engine, phones: dict[str, int], orders: int) -> dict[str, Any]:
    """Every work-order instance fired its first timer once, and its actions were written once."""
    firings_per_key = (sa.select(timer_firings.c.instance_id, timer_firings.c.due_at, sa.func.count().label("n"))
                       .group_by(timer_firings.c.instance_id, timer_firings.c.due_at).subquery())
    with engine.store.reading() as tx:
        c = tx.c
        duplicates = c.execute(sa.select(sa.func.count()).select_from(firings_per_key)
                               .where(firings_per_key.c.n > 1)).scalar()
        instances_fired = c.execute(sa.select(sa.func.count(sa.distinct(timer_firings.c.instance_id)))).scalar()
        firings = c.execute(sa.select(sa.func.count()).select_from(timer_firings)).scalar()
        by_worker = dict(c.execute(sa.select(timer_firings.c.worker, sa.func.count())
                                   .group_by(timer_firings.c.worker)).all())
        chase_actions = c.execute(sa.select(sa.func.count()).select_from(actions)
                                  .where(actions.c.step == "sign_overdue")).scalar()
        failed = c.execute(sa.select(sa.func.count()).select_from(workflow_instances)
                           .where(workflow_instances.c.status == "failed")).scalar()
    units = sorted(phones)
    expected_actions = sum(phones[units[i % len(units)]] + 1 for i in range(orders))  # SMS per phone + phone task
    ok = (duplicates == 0 and instances_fired == orders and firings == orders and failed == 0
          and chase_actions == expected_actions)
    return {"ok": ok, "orders": orders, "instances_fired": instances_fired, "firings": firings,
            "duplicate_firings": duplicates, "failed_instances": failed, "sign_overdue_actions": chase_actions,
            "expected_actions": expected_actions, "firings_by_worker": by_worker}


def _check_line(check: dict[str, Any]) -> str:
    split = ", ".join(f"{worker} {count}" for worker, count in sorted(check["firings_by_worker"].items()))
    verdict = "OK" if check["ok"] else "MISMATCH"
    return (f"exactly-once check: {verdict}: {check['instances_fired']:,}/{check['orders']:,} instances fired, "
            f"{check['firings']:,} firings, {check['duplicate_firings']} duplicated (instance, due_at), "
            f"{check['sign_overdue_actions']:,} sign-overdue actions (expected {check['expected_actions']:,}), "
            f"{check['failed_instances']} failed; by worker: {split}")


def seed(url: str, orders: int, report: Report, label: str,
         background: int = 0) -> tuple[Engine, VirtualClock, dict[str, int], float]:
    """A fresh engine with the units and `orders` orders opened at START; returns it and the seconds opening
    them took. `background` more orders are opened a day later, so they stay open but are not yet due when
    the first ones are."""
    clock = VirtualClock(START)
    engine = new_engine(url, clock)
    phones = register_units(engine)
    total = orders + background
    seconds = open_orders(engine, clock, orders, sorted(phones),
                          on_progress=lambda i: report.progress(f"{label}: opening orders {i:,}/{total:,}"))
    clock.set(START + timedelta(days=1))
    open_orders(engine, clock, background, sorted(phones), prefix="L",
                on_progress=lambda i: report.progress(f"{label}: opening orders {orders + i:,}/{total:,}"))
    report.progress_done()
    return engine, clock, phones, seconds


def fire_worker(url: str, worker_id: str, now: str, batch: int, barrier: Any) -> dict[str, Any]:
    """One worker process, as `duban worker` runs: its own Engine and connection, started with the others."""
    clock = VirtualClock(parse_instant(now))
    engine = new_engine(url, clock, worker_id=worker_id, migrate=False)
    barrier.wait(timeout=120)
    began, cpu = time.perf_counter(), time.process_time()
    fired = drain(engine, batch)
    ended = time.perf_counter()
    engine.store.engine.dispose()
    return {"worker": worker_id, "fired": fired, "began": began, "ended": ended,
            "cpu_share": (time.process_time() - cpu) / (ended - began), "peak_rss_kib": _peak_rss_kib()}


def fire_in_processes(url: str, now: datetime, batch: int, workers: int) -> dict[str, Any]:
    """Fire every due timer with `workers` fresh processes at once; the rate is over the span of all of them."""
    barrier = multiprocessing.get_context("spawn").Barrier(workers)
    results = run_in_processes(fire_worker, [(url, f"worker-{i}", now.isoformat(), batch, barrier)
                                             for i in range(1, workers + 1)])
    fired = sum(r["fired"] for r in results)
    seconds = max(r["ended"] for r in results) - min(r["began"] for r in results)
    return {"workers": workers, "fired": fired, "fire_per_s": _rate(fired, seconds), "fire_seconds": seconds,
            "per_worker": {r["worker"]: r["fired"] for r in results},
            "worker_cpu_share": {r["worker"]: r["cpu_share"] for r in results}}


def measure_engine(url: str, sizes: Sizes, report: Report, label: str, workers: int = 1) -> dict[str, Any]:
    """Open N orders here, move past their first timer, then fire until drained in worker processes."""
    batch = _settings().batch_size
    engine, clock, phones, open_seconds = seed(url, sizes.orders, report, label)
    move_past_first_due(engine, clock)
    engine.store.engine.dispose()
    report.progress(f"{label}: {_workers(workers)} firing {sizes.orders:,} timers")
    fire = fire_in_processes(url, clock.now(), batch, workers)
    report.progress_done()
    check = verify_exactly_once(engine, phones, sizes.orders)
    engine.store.engine.dispose()
    return {"orders": sizes.orders, "open_per_s": _rate(sizes.orders, open_seconds), "batch": batch, **fire,
            "check": check}


def _engine_lines(report: Report, result: dict[str, Any], raw: dict[str, Any]) -> None:
    open_ratio = result["open_per_s"] / raw["create_per_s"]
    fire_ratio = result["fire_per_s"] / raw["wake_per_s"]
    fire_ratio_median = result["fire_per_s"] / raw["wake_median_per_s"]
    result.update(open_ratio=open_ratio, fire_ratio=fire_ratio, fire_ratio_to_median=fire_ratio_median)
    report.line(f"opened {result['orders']:,} work orders (one transaction each): {_fmt_rate(result['open_per_s'])} "
                f"= {open_ratio:.2f} x raw create")
    goal = "meets" if fire_ratio >= GOAL_RATIO else "BELOW"
    cpu = ", ".join(f"{share:.0%}" for share in result["worker_cpu_share"].values())
    report.line(f"fired {result['fired']:,} timers with {_workers(result['workers'])}, batches of "
                f"{result['batch']}: {_fmt_rate(result['fire_per_s'])} = {fire_ratio:.2f} x raw wake best, "
                f"{fire_ratio_median:.2f} x its median ({goal} the {GOAL_RATIO} goal); worker CPU busy {cpu}")
    report.line(_check_line(result["check"]))
    if not result["check"]["ok"]:
        report.fail(f"exactly-once check with {result['workers']} worker(s) on {result['database']}")


def measure_sqlite(workdir: Path, sizes: Sizes, raw: dict[str, Any], report: Report) -> dict[str, Any]:
    url = f"sqlite:///{workdir / 'engine.db'}"
    result = {"database": "SQLite", **measure_engine(url, sizes, report, "sqlite")}
    report.section("2. Engine on SQLite (temp file, WAL)")
    _engine_lines(report, result, raw)
    return result


# ---------------------------------------------------------------------------------------- PostgreSQL
def schema_url(url: str, schema: str = PG_SCHEMA) -> str:
    """The URL with every connection's search_path set to the benchmark's own schema."""
    parsed = sa.engine.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def reachable(url: str) -> str | None:
    """None when the database answers, else why not."""
    db = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with db.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # any driver or network failure: report it, skip the PostgreSQL part
        return str(exc).splitlines()[0]
    finally:
        db.dispose()


def reset_schema(url: str, schema: str = PG_SCHEMA, *, recreate: bool = True) -> None:
    """Drop the benchmark's schema with everything in it, and (unless told not to) create it empty."""
    db = sa.create_engine(url)
    try:
        with db.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if recreate:
                connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        db.dispose()


def measure_postgres(url: str, sizes: Sizes, raw: dict[str, Any], report: Report) -> dict[str, Any]:
    bench_url = schema_url(url)
    runs = {}
    for workers in (1, 2):
        reset_schema(url)
        runs[workers] = {"database": "PostgreSQL",
                         **measure_engine(bench_url, sizes, report, f"postgresql x{workers}", workers)}
    reset_schema(url, recreate=False)
    shown = sa.engine.make_url(url).render_as_string()
    report.section(f"3. Engine on PostgreSQL ({shown}, schema {PG_SCHEMA}), the same due set each time")
    for result in runs.values():
        _engine_lines(report, result, raw)
    scaling = runs[2]["fire_per_s"] / runs[1]["fire_per_s"]
    report.line(f"two workers fired {scaling:.2f} x as fast as one ({os.cpu_count()} CPUs, shared with the "
                "database server)")
    return {"url": shown, "one_worker": runs[1], "two_workers": runs[2], "two_worker_scaling": scaling}


# ---------------------------------------------------------------------------------------- 4. memory
def memory_worker(url: str, now: str, batch: int) -> dict[str, Any]:
    """A worker's fire loop over a seeded database, under tracemalloc. `retained_growth_bytes` is what the
    Python heap kept between the end of the first batch (caches warm) and the end of the loop."""
    clock = VirtualClock(parse_instant(now))
    engine = new_engine(url, clock, worker_id="memory", migrate=False)
    gc.collect()
    baseline = _current_rss_kib()
    tracemalloc.start()
    began = time.perf_counter()
    fired = engine.fire_due_timers(limit=batch)
    gc.collect()
    warm = tracemalloc.get_traced_memory()[0]
    fired += drain(engine, batch)
    seconds = time.perf_counter() - began
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"fired": fired, "seconds": seconds, "baseline_rss_kib": baseline, "end_rss_kib": _current_rss_kib(),
            "peak_rss_kib": _peak_rss_kib(), "tracemalloc_peak_bytes": peak,
            "retained_growth_bytes": retained - warm}


def measure_memory(workdir: Path, sizes: Sizes, report: Report) -> dict[str, Any]:
    batch = _settings().batch_size
    runs = {}
    for orders in sizes.memory_orders:
        url = f"sqlite:///{workdir / f'memory-{orders}.db'}"
        engine, clock, _, _ = seed(url, sizes.memory_due, report, f"memory: {orders:,} open orders",
                                   background=orders - sizes.memory_due)
        move_past_first_due(engine, clock)
        engine.store.engine.dispose()
        report.progress(f"memory: worker process firing {sizes.memory_due:,} timers under tracemalloc")
        runs[orders] = run_in_processes(memory_worker, [(url, clock.now().isoformat(), batch)])[0]
        report.progress_done()
    small, large = (runs[n] for n in sizes.memory_orders)
    growth = {"peak_rss": large["peak_rss_kib"] / small["peak_rss_kib"],
              "tracemalloc_peak": large["tracemalloc_peak_bytes"] / small["tracemalloc_peak_bytes"]}
    report.section(f"4. Memory of a worker (fresh process, SQLite file, {sizes.memory_due:,} due timers fired in "
                   f"batches of {batch} under tracemalloc, among more or fewer open orders)")
    for orders, run in runs.items():
        report.line(f"{orders:>6,} open orders, {run['fired']:,} fired: peak RSS {_mib(run['peak_rss_kib'])} "
                    f"(after start-up {_mib(run['baseline_rss_kib'])}, at end {_mib(run['end_rss_kib'])}); "
                    f"Python heap: loop peak {run['tracemalloc_peak_bytes'] / 2**20:,.2f} MiB, kept after the "
                    f"first batch {run['retained_growth_bytes'] / 1024:+,.0f} KiB")
    leak = max(small["retained_growth_bytes"], large["retained_growth_bytes"]) > 1024 * 1024
    flat = growth["peak_rss"] < 1.1 and growth["tracemalloc_peak"] < 1.25 and not leak
    ratio = sizes.memory_orders[1] / sizes.memory_orders[0]
    report.line(f"{ratio:.0f}x the open orders -> peak RSS x{growth['peak_rss']:.2f}, heap peak "
                f"x{growth['tracemalloc_peak']:.2f} ({'flat' if flat else 'NOT flat'})")
    return {"due": sizes.memory_due, "runs": {str(n): r for n, r in runs.items()}, "growth": growth, "flat": flat}


# ---------------------------------------------------------------------------------------- 5. year replay
def replay_worker(events_path: str, out_path: str, show_progress: bool, workers: int) -> dict[str, Any]:
    """`duban replay FILE` in-process: parse and check the file, then drive the engine; output to a file."""
    from workflows.replay import read_events, read_file, replay

    def progress(done: int, total: int) -> None:
        sys.stderr.write(f"\r\x1b[Kreplay: {done:,}/{total:,} events ({100 * done // max(total, 1)}%)")
        sys.stderr.flush()

    began = time.perf_counter()
    data = read_events(read_file(Path(events_path)))
    parsed = time.perf_counter()
    with open(out_path, "w", encoding="utf-8") as out:
        written = replay(data, until=None, settings=Settings.from_env(), out=out,
                         progress=progress if show_progress else None, workers=workers)
    ended = time.perf_counter()
    if show_progress:
        sys.stderr.write("\r\x1b[K")
    return {"events": len(data.events), "written": written, "workers": workers, "parse_seconds": parsed - began,
            "drive_seconds": ended - parsed, "wall_seconds": ended - began, "peak_rss_kib": _peak_rss_kib(),
            "peak_rss_worker_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}


def measure_replay(workdir: Path, sizes: Sizes, csv_path: Path | None, report: Report) -> dict[str, Any]:
    source = la311.load_source(csv_path)
    shape = la311.duration_quantiles(source.requests)
    events_path, out_path = workdir / "year.jsonl", workdir / "year-actions.jsonl"
    orders = sizes.replay_days * sizes.replay_per_day
    report.progress(f"replay: writing {orders:,} orders to {events_path}")
    lines = la311.write_replay_file(events_path, source, start=REPLAY_START, days=sizes.replay_days,
                                    per_day=sizes.replay_per_day)
    report.progress_done()
    workers = os.cpu_count() or 1  # as `duban replay` does by default
    run = run_in_processes(replay_worker, [(str(events_path), str(out_path), report.show_progress, workers)])[0]
    report.section(f"5. Replay: {sizes.replay_days} days x {sizes.replay_per_day:,} orders/day from "
                   f"{REPLAY_START} (Asia/Shanghai), `duban replay --workers {os.cpu_count() or 1}` in a fresh process")
    report.line(f"source: {source.description}")
    report.line(f"durations created->closed: median {shape['median_days']:.1f} d, p90 {shape['p90_days']:.1f} d, "
                f"p99 {shape['p99_days']:.1f} d, {shape['open_share']:.1%} never closed")
    report.line(f"input: {lines:,} lines, {run['events']:,} events, {events_path.stat().st_size / 2**20:,.1f} MiB")
    report.line(f"wall {run['wall_seconds']:,.1f} s (check {run['parse_seconds']:,.1f} s + drive "
                f"{run['drive_seconds']:,.1f} s) = {_rate(orders, run['wall_seconds']):,.1f} orders/s, "
                f"{_rate(run['events'], run['wall_seconds']):,.0f} events/s")
    worker_rss = run["peak_rss_worker_kib"]
    forked = f" (largest replay worker process {_mib(worker_rss)})" if worker_rss else ""
    report.line(f"actions written: {run['written']:,}; peak RSS {_mib(run['peak_rss_kib'])}{forked}")
    return {"days": sizes.replay_days, "orders_per_day": sizes.replay_per_day, "orders": orders,
            "orders_per_s": _rate(orders, run["wall_seconds"]), "source": source.description,
            "durations": shape, **run}


# ---------------------------------------------------------------------------------------- processes
def _child(target: Callable[..., dict[str, Any]], args: tuple[Any, ...], results: Any, index: int) -> None:
    _quiet_logs()
    try:
        results.put((index, target(*args), None))
    except BaseException:  # report anything to the parent rather than dying silently
        results.put((index, None, traceback.format_exc()))


def run_in_processes(target: Callable[..., dict[str, Any]], arg_lists: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Run target(*args) for each args in its own fresh (spawned) process, all at once; their results in order."""
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    processes = [ctx.Process(target=_child, args=(target, args, results, i)) for i, args in enumerate(arg_lists)]
    for process in processes:
        process.start()
    collected: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    while len(collected) + len(errors) < len(processes):
        try:
            index, result, error = results.get(timeout=1)
        except queue.Empty:
            dead = [p for i, p in enumerate(processes) if i not in collected and p.exitcode not in (None, 0)]
            if dead:  # died before it could report (killed, crashed, failed to start)
                errors.extend(f"{p.name} exited with code {p.exitcode}" for p in dead)
                break
            continue
        if error:
            errors.append(error)
        else:
            collected[index] = result
    for process in processes:
        process.join(timeout=None if not errors else 5)
        if process.is_alive():
            process.terminate()  # a sibling failed; this one would wait forever for it
    if errors:
        raise RuntimeError("a benchmark process failed:\n" + "\n".join(errors))
    return [collected[i] for i in range(len(processes))]


# ---------------------------------------------------------------------------------------- main
@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as name:
        yield Path(name)


def _postgres_url(args: argparse.Namespace, report: Report) -> str | None:
    url = args.postgres_url or DEFAULT_POSTGRES_URL
    why = reachable(url)
    if why is None:
        return url
    shown = sa.engine.make_url(url).render_as_string()
    report.section("3. Engine on PostgreSQL: skipped")
    report.line(f"{shown} is not reachable: {why}")
    if args.postgres_url:
        report.fail("the PostgreSQL URL given is not reachable")
    return None


def _machine() -> dict[str, Any]:
    return {"python": sys.version.split()[0], "cpus": os.cpu_count(), "platform": sys.platform}


def main_benchmark(args: argparse.Namespace) -> int:
    _quiet_logs()
    sizes = QUICK if args.quick else FULL
    report = Report(show_progress=sys.stderr.isatty())
    settings = _settings()
    summary = report.summary
    summary.update(mode="quick" if args.quick else "full", machine=_machine())
    print(f"Duban benchmark ({summary['mode']}): Python {summary['machine']['python']}, "
          f"{summary['machine']['cpus']} CPUs", flush=True)
    began = time.perf_counter()
    with _workdir() as workdir:
        summary["raw"] = raw = measure_raw(settings, sizes, report)
        summary["sqlite"] = measure_sqlite(workdir, sizes, raw, report)
        pg_url = _postgres_url(args, report)
        summary["postgres"] = measure_postgres(pg_url, sizes, raw, report) if pg_url else None
        summary["memory"] = measure_memory(workdir, sizes, report)
        summary["replay"] = None if args.skip_replay else measure_replay(
            workdir, sizes, Path(args.la311) if args.la311 else None, report)
    summary["peak_rss_kib"] = {"benchmark": _peak_rss_kib(),
                               "largest_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}
    summary["seconds"] = time.perf_counter() - began
    summary["failures"] = report.failures
    report.section("Summary")
    report.line(f"benchmark process peak RSS {_mib(summary['peak_rss_kib']['benchmark'])}, largest child "
                f"{_mib(summary['peak_rss_kib']['largest_child'])}; took {summary['seconds']:,.0f} s; "
                f"{'no failures' if not report.failures else 'FAILURES: ' + '; '.join(report.failures)}")
    print(json.dumps(summary, ensure_ascii=False, default=str), flush=True)
    return 1 if report.failures else 0
