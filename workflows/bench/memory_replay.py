"""The engine benchmark's memory and year-long replay measurements (parts 4 and 5 of `duban benchmark`)."""
from __future__ import annotations

import gc
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from config.settings import Settings
from engine.clock import VirtualClock, parse_instant
from workflows.bench.common import (
    REPLAY_START,
    Report,
    Sizes,
    _current_rss_kib,
    _mib,
    _peak_rss_kib,
    _rate,
    _settings,
    drain,
    move_past_first_due,
    new_engine,
    run_in_processes,
    seed,
)
from workflows.dev import la311


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
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    if show_progress:
        sys.stderr.write("\r\x1b[K")
    return {"events": len(data.events), "written": written, "workers": workers, "parse_seconds": parsed - began,
            "drive_seconds": ended - parsed, "wall_seconds": ended - began, "cpu_seconds": cpu, "peak_rss_kib": _peak_rss_kib(),
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
