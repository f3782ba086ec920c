"""`duban benchmark`: how fast the engine is, and how close it comes to bare SpiffWorkflow.

1. The floor: bare SpiffWorkflow on the `work_order` process, no database (create-to-wait, wake).
2. The engine on a SQLite file: orders opened per second, timers fired per second.
3. The same on PostgreSQL, with one worker and with two worker processes on the same due set,
   then a check that every timer fired exactly once.
4. Memory: peak RSS and the tracemalloc peak of a worker's fire loop, with few and many open orders.
5. A year-long `duban replay` of traffic made from real LA 311 requests (see workflows/dev/la311.py).

Human-readable lines go to stdout, then one JSON line with every figure; progress goes to stderr
when it is a terminal. Each measured worker runs in a fresh process (spawn), so its peak RSS is its own.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config.settings import Settings
from engine.clock import VirtualClock, format_local, parse_instant
from engine.persistence.tables import actions, timer_firings, workflow_instances
from engine.runtime import runner, serializer
from engine.runtime.definitions import load_directory
from engine.services import WORK_ORDER, Engine
from engine.timer_firing import QUARTERLY
from workflows.bench.common import (
    DEFAULT_POSTGRES_URL,
    FULL,
    GOAL_RATIO,
    PG_SCHEMA,
    QUICK,
    START,
    Report,
    Sizes,
    _fmt_rate,
    _mib,
    _peak_rss_kib,
    _quiet_logs,
    _rate,
    _settings,
    _workers,
    drain,
    ladder_data,
    move_past_first_due,
    new_engine,
    reachable,
    reset_schema,
    run_in_processes,
    schema_url,
    seed,
)
from workflows.bench.goals import measure_api_intake, measure_la311_replay, print_goal_table
from workflows.bench.lateness import measure_lateness
from workflows.bench.memory_replay import measure_memory, measure_replay
from workflows.operations import OPERATIONS


# ---------------------------------------------------------------------------------------- 1. SpiffWorkflow floor
def _noop(name: str, params: dict[str, Any], element_id: str, at: datetime) -> dict[str, Any]:
    return {"count": 0}


def _best_rate(fn: Callable[[], object], number: int, repeat: int) -> tuple[float, float]:
    """(best, median) calls per second over `repeat` timings of `number` calls, GC on as in production."""
    times = sorted(timeit.repeat(fn, setup="gc.enable()", number=number, repeat=repeat))
    return number / times[0], number / times[len(times) // 2]


def raw_rates(process_id: str, data: dict[str, Any], at: datetime, settings: Settings,
              sizes: Sizes) -> dict[str, Any]:
    """Bare SpiffWorkflow on one process, no database: create-to-wait and load-fire-save rates."""
    definition = load_directory(settings.bpmn_dir, frozenset(OPERATIONS))[process_id]
    serializer.register(definition)

    def create() -> str:
        wf = runner.start(definition, data, at=at, operation=_noop)
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

    create_best, create_median = _best_rate(create, sizes.raw_number, sizes.raw_repeat)
    wake_best, wake_median = _best_rate(wake, sizes.raw_number, sizes.raw_repeat)
    return {"create_per_s": create_best, "create_median_per_s": create_median, "wake_per_s": wake_best,
            "wake_median_per_s": wake_median, "state_bytes": len(state), "woken_state_bytes": len(wake()),
            "first_due": format_local(first_due), "timeit": {"number": sizes.raw_number, "repeat": sizes.raw_repeat}}


def measure_raw(settings: Settings, sizes: Sizes, report: Report) -> dict[str, Any]:
    report.progress("raw SpiffWorkflow: work_order")
    result = raw_rates(WORK_ORDER, ladder_data(settings, START), START, settings, sizes)
    report.progress("raw SpiffWorkflow: a minimal one-timer process (quarterly_report)")
    result["minimal"] = minimal = raw_rates(QUARTERLY, {"report_at": format_local(START + timedelta(days=1)),
                                                        "quarter": "2026Q1"}, START, settings, sizes)
    report.progress_done()
    report.section(f"1. SpiffWorkflow floor, no database (best of {sizes.raw_repeat} x {sizes.raw_number})")
    for name, figures in (("work_order", result), ("minimal one-timer process (quarterly_report)", minimal)):
        report.line(f"{name}: create-to-wait (start + next_due + dumps) {_fmt_rate(figures['create_per_s'])} "
                    f"(median {_fmt_rate(figures['create_median_per_s'])}), state {figures['state_bytes']:,} bytes; "
                    f"load-fire-save (loads + wake + next_due + dumps) {_fmt_rate(figures['wake_per_s'])} "
                    f"(median {_fmt_rate(figures['wake_median_per_s'])})")
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


# ---------------------------------------------------------------------------------------- main
@contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as name:
        yield Path(name)


def _postgres_url(args: argparse.Namespace, report: Report) -> str | None:
    url = getattr(args, "database", None) or DEFAULT_POSTGRES_URL
    why = reachable(url)
    if why is None:
        return url
    shown = sa.engine.make_url(url).render_as_string()
    report.section("3. Engine on PostgreSQL: skipped")
    report.line(f"{shown} is not reachable: {why}")
    if getattr(args, "database", None):
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
        csv_path = Path(args.la311) if args.la311 else None
        summary["replay"] = None if args.skip_replay else measure_replay(workdir, sizes, csv_path, report)
        lateness_url = f"sqlite:///{workdir / 'lateness.db'}"
        if pg_url:
            reset_schema(pg_url)
            lateness_url = schema_url(pg_url)
        summary["lateness"] = measure_lateness(lateness_url, report, firings=sizes.lateness_firings,
                                               seconds=sizes.lateness_seconds, tick_seconds=args.tick_seconds)
        if pg_url:
            reset_schema(pg_url, recreate=False)
        summary["la311_replay"] = None if args.skip_replay else measure_la311_replay(workdir, csv_path, sizes, report)
        summary["api_intake"] = measure_api_intake(pg_url, sizes.api_orders, getattr(args, "make_app", None), report)
        summary["goals"] = print_goal_table(summary, report)
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
