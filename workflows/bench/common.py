"""What the engine benchmarks share: sizes, the report, set-up of engines, units and orders, PostgreSQL schemas, child processes."""
from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import resource
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config.loader import load_calendar, load_rules
from config.settings import Settings
from engine.clock import LOCAL_TZ, VirtualClock, format_local
from engine.domain import deadlines
from engine.domain.rules import ROUTINE
from engine.services import Engine
from workflows.bootstrap import build_engine
from workflows.dev import la311

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# everything happens here; dropped and recreated for each measurement (DUBAN_BENCH_SCHEMA: two runs side by side)
PG_SCHEMA = os.environ.get("DUBAN_BENCH_SCHEMA") or "duban_benchmark"
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
    lateness_firings: int  # timers due over lateness_seconds, fired by a real worker on the system clock
    lateness_seconds: float
    api_orders: int
    la311: tuple[int, int]  # days x orders a day of the LA 311 replay (3 x 3,330: the CSV's three days)


QUICK = Sizes(raw_number=100, raw_repeat=3, orders=400, memory_orders=(200, 1_000), memory_due=200,
              replay_days=5, replay_per_day=200, lateness_firings=600, lateness_seconds=60, api_orders=100,
              la311=(1, 300))
FULL = Sizes(raw_number=500, raw_repeat=7, orders=3_000, memory_orders=(1_000, 10_000), memory_due=1_000,
             replay_days=365, replay_per_day=1_000, lateness_firings=3_000, lateness_seconds=60, api_orders=1_000,
             la311=(3, 3_330))


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
