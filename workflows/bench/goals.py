"""Issue 17's goal table (the last part of `duban benchmark`): each figure of this run beside its goal and beside
the same run's bare SpiffWorkflow figures, for the `work_order` process and a minimal one-timer process."""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from workflows.bench.common import Report, Sizes, _fmt_rate, reset_schema, run_in_processes, schema_url
from workflows.bench.memory_replay import replay_worker
from workflows.dev import la311

BURST = 10_000


def measure_la311_replay(workdir: Path, csv_path: Path | None, sizes: Sizes, report: Report) -> dict[str, Any]:
    """`duban replay` (default workers) over the LA 311 requests as they came (full size: the CSV's 9,989
    requests of 1-3 January 2020, about 3,300 a day, as 3 days x 3,330 orders)."""
    days, per_day = sizes.la311
    source = la311.load_source(csv_path)
    events_path, out_path = workdir / "la311.jsonl", workdir / "la311-actions.jsonl"
    la311.write_replay_file(events_path, source, start=date(2026, 3, 2), days=days, per_day=per_day)
    report.progress(f"replay: LA 311, {days * per_day:,} orders")
    run = run_in_processes(replay_worker, [(str(events_path), str(out_path), report.show_progress,
                                            os.cpu_count() or 1)])[0]
    report.progress_done()
    report.section(f"7. Replay of the LA 311 requests ({source.description}): {days} days x "
                   f"{per_day:,} orders, `duban replay --workers {os.cpu_count() or 1}`")
    report.line(f"wall {run['wall_seconds']:,.1f} s, CPU {run['cpu_seconds']:,.1f} s (all processes), "
                f"{run['written']:,} actions")
    return {"orders": days * per_day, "source": source.description, **run}


def measure_api_intake(pg_url: str | None, orders: int, make_app: Callable[..., Any] | None,
                       report: Report) -> dict[str, Any] | None:
    """Intake through the API on PostgreSQL (single orders, then batches of 100): `duban api-benchmark`'s figures."""
    if make_app is None or pg_url is None:
        return None
    from workflows.bench.intake import measure

    reset_schema(pg_url)
    try:
        report.progress(f"API intake: {orders:,} orders on PostgreSQL")
        figures = measure(schema_url(pg_url), orders, make_app)
    finally:
        reset_schema(pg_url, recreate=False)
        report.progress_done()
    report.section(f"8. API intake on PostgreSQL ({orders:,} orders each way, in-process WSGI client)")
    report.line(f"single {_fmt_rate(figures['single'])}, batch of 100 {_fmt_rate(figures['batch'])}, "
                f"idempotent repeat {_fmt_rate(figures['repeat'])}")
    return figures


def _met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def goal_rows(summary: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(path, this run, same-run SpiffWorkflow, goal, met?) for each row of issue 17's table."""
    raw, minimal = summary["raw"], summary["raw"]["minimal"]
    spiff_create = (f"raw create: work_order {_fmt_rate(raw['create_per_s'])}, "
                    f"minimal {_fmt_rate(minimal['create_per_s'])}")
    spiff_wake = (f"raw load-fire-save: work_order {_fmt_rate(raw['wake_per_s'])}, "
                  f"minimal {_fmt_rate(minimal['wake_per_s'])}")
    rows = []
    la = summary.get("la311_replay")
    if la:
        rows.append((f"replay, {la['orders']:,} LA 311 orders", f"{la['wall_seconds']:,.1f} s wall "
                     f"({la['cpu_seconds']:,.0f} CPU-s)", "-", "<= 20 s wall", _met(la["wall_seconds"] <= 20)))
    year = summary.get("replay")
    if year:
        rss = max(year["peak_rss_kib"], year["peak_rss_worker_kib"]) / 1024
        size = f"{year['days']} days x {year['orders_per_day']:,} orders/day"
        full = year["days"] == 365 and year["orders_per_day"] == 1_000
        rows.append((f"replay, {size}", f"{year['wall_seconds'] / 60:,.1f} min, peak RSS {rss:,.0f} MiB", "-",
                     "<= 10 min, <= 1 GB (365 x 1,000)",
                     _met(year["wall_seconds"] <= 600 and rss <= 1024) if full else "n/a (smaller run)"))
    pg = summary.get("postgres")
    if pg:
        one, two = pg["one_worker"]["fire_per_s"], pg["two_workers"]["fire_per_s"]
        rows.append(("timers fired, PostgreSQL, 1 / 2 workers", f"{_fmt_rate(one)}, {_fmt_rate(two)}", spiff_wake,
                     ">= 400/s, >= 600/s", _met(one >= 400 and two >= 600)))
        burst = BURST / two
        rows.append((f"a {BURST:,}-timer 09:00 burst, PostgreSQL, 2 workers",
                     f"~{burst:,.0f} s (inferred from the 2-worker rate)", spiff_wake, "<= 20 s", _met(burst <= 20)))
        opened = pg["one_worker"]["open_per_s"]
        rows.append(("orders opened (engine), PostgreSQL / SQLite",
                     f"{_fmt_rate(opened)}, {_fmt_rate(summary['sqlite']['open_per_s'])}", spiff_create,
                     ">= 400/s", _met(opened >= 400)))
    else:
        opened = summary["sqlite"]["open_per_s"]
        rows.append(("orders opened (engine), SQLite", _fmt_rate(opened), spiff_create, ">= 400/s",
                     _met(opened >= 400)))
    api = summary.get("api_intake")
    if api:
        rows.append(("API intake, PostgreSQL, single / batch of 100",
                     f"{_fmt_rate(api['single'])}, {_fmt_rate(api['batch'])}", spiff_create, ">= 150/s, >= 500/s",
                     _met(api["single"] >= 150 and api["batch"] >= 500)))
    late = summary.get("lateness")
    if late:
        rows.append((f"firing lateness, system clock, {late['rate_per_s']:.0f} firings/s over "
                     f"{late['spread_seconds']:.0f} s", f"p99 {late['p99']:.3f} s (p50 {late['p50']:.3f} s)",
                     "-", "p99 <= 1 s at 50 firings/s",
                     _met(late["p99"] <= 1 and late["rate_per_s"] >= 50 and late["seeded_in_time"])))
    return rows


def print_goal_table(summary: dict[str, Any], report: Report) -> list[tuple[str, str, str, str, str]]:
    rows = goal_rows(summary)
    report.section("Goals of issue 17 (this run; same-run bare SpiffWorkflow beside each figure it bounds)")
    for path, now, spiff, goal, met in rows:
        report.line(f"| {path} | {now} | {spiff} | goal {goal} | {met} |")
    return rows
