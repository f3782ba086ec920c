"""`python -m workflows.bench.hotspots`: time the hotspot job (热点预警) over a year and more of synthetic orders
(1,000 a day by default, bulk-inserted straight into work_orders, with planted surges), by district and by grid, on
SQLite and (with --database) PostgreSQL; and run the statistics on the real LA 311 requests (--la311) and print the
surges found with examples. Prints figures; stores nothing outside its temporary database or schema."""
from __future__ import annotations

import argparse
from collections import Counter
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from config.hotspot_loader import load_hotspots
from config.settings import Settings
from engine.clock import LOCAL_TZ, VirtualClock
from engine.hotspots.detect import CountBook, detect
from engine.persistence.hotspot_store import HotspotRecords
from workflows.argtypes import existing_file, positive_int
from workflows.bench.common import reachable, reset_schema, schema_url
from workflows.bench.hotspot_city import Surge, insert, order_rows
from workflows.bench.la311_hotspots import report_la311
from workflows.bootstrap import build_engine
from workflows.hotspots import compute, run_hotspots

FIRST = date(2025, 11, 1)
SCHEMA = "duban_bench_hotspots"  # its own: other benchmarks may be using theirs


def surges(days: int) -> list[Surge]:
    """Three surges in the last month: a strong one, a moderate one, a short one."""
    last = FIRST + timedelta(days=days)
    return [Surge("投诉", "惠来县", last - timedelta(days=6), 10, 3.0),
            Surge("求助", "普宁市", last - timedelta(days=5), 10, 2.0),
            Surge("举报", "空港区", last - timedelta(days=3), 3, 4.0)]


def bench_database(url: str, label: str, days: int, per_day: int) -> None:
    end = FIRST + timedelta(days=days)
    clock = VirtualClock(datetime.combine(end, datetime.min.time(), LOCAL_TZ) + timedelta(hours=6, minutes=30))
    settings = replace(Settings.from_env(), worker_id="hotspot-bench", secret_key="hotspot-benchmark-key")
    engine = build_engine(settings, clock=clock, database_url=url)
    started = time.perf_counter()
    count = insert(engine, order_rows(FIRST, days, per_day, surges=surges(days)))
    loaded = time.perf_counter() - started
    print(f"{label}: {count:,} orders over {days} days bulk-inserted in {loaded:.1f} s")
    config = load_hotspots()
    started = time.perf_counter()
    report = run_hotspots(engine, config)
    job = time.perf_counter() - started
    tested = sum(s.tested for s in report.scans)
    print(f"{label}: the hotspot job (district, window {config.rules.window_days} days, baseline "
          f"{report.hotspots[0].baseline if report.hotspots else '-'}): {job:.2f} s; {tested} cells tested, "
          f"{len(report.hotspots)} flagged, {len(report.notified)} SMS alert(s)")
    for h in report.hotspots:
        print(f"    {h.severity:<7} {h.category} {h.area}  {h.count} vs {h.expected:.1f} expected  ×{h.ratio:.1f}  "
              f"p={h.p_value:.1e}")
    grid = replace(config, area_by="grid", grid_metres=1000)
    started = time.perf_counter()
    scans = compute(engine, grid)
    kinds = Counter(h.category for s in scans for h in s.hotspots)
    print(f"{label}: by 1 km grid cells (each order's coordinates read): {time.perf_counter() - started:.2f} s; "
          f"{sum(s.tested for s in scans)} cells tested, {sum(len(s.hotspots) for s in scans)} flagged ("
          + ", ".join(f"{k} {n}" for k, n in kinds.most_common()) + "; the surges are 投诉, 求助, 举报)")
    started = time.perf_counter()
    with engine.store.reading() as tx:
        records = HotspotRecords(tx)
        book = CountBook()
        for category, district, _, _, day, n in records.day_counts([(FIRST, end)], located=False):
            book.add(category, district, day, n)
        start = records.history_start()
    read = time.perf_counter() - started
    flagged_days = 0
    for offset in range(1, days + 1):
        day = FIRST + timedelta(days=offset)
        flagged_days += any(s.hotspots for s in detect(book, day, start, config.rules))  # type: ignore[arg-type]
    print(f"{label}: every day of the history scanned again (read once {read:.2f} s, {days} daily scans "
          f"{time.perf_counter() - started - read:.2f} s): flags on {flagged_days} days")
    engine.store.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflows.bench.hotspots", description=__doc__)
    parser.add_argument("--days", type=positive_int, default=400, help="days of history (400: over a year, so "
                        "the baseline is last year's same weeks)")
    parser.add_argument("--per-day", type=positive_int, default=1000)
    parser.add_argument("--database", help="also on this PostgreSQL database (a schema of its own, dropped after)")
    parser.add_argument("--la311", type=existing_file, help="the LA 311 CSV (shared/data/la311/service_requests.csv)")
    parser.add_argument("--skip-synthetic", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_synthetic:
        with tempfile.TemporaryDirectory() as folder:
            bench_database(f"sqlite:///{Path(folder) / 'hotspots.db'}", "SQLite", args.days, args.per_day)
        if args.database:
            problem = reachable(args.database)
            if problem:
                print(f"PostgreSQL skipped: {problem}")
            else:
                reset_schema(args.database, SCHEMA)
                try:
                    bench_database(schema_url(args.database, SCHEMA), "PostgreSQL", args.days, args.per_day)
                finally:
                    reset_schema(args.database, SCHEMA, recreate=False)
    if args.la311:
        report_la311(Path(args.la311))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
