"""`duban replay`: the live engine on a virtual clock over a file of events.

The whole file is checked first (syntax, references, time order, impossible events) so that a bad
line stops the replay before anything is printed. Then the events are applied in order; before each
one, every timer due strictly earlier fires at its own due time. Actions are streamed out in time
order as soon as no later step can add an earlier one.
"""
from __future__ import annotations

import heapq
import json
import multiprocessing
import os
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from config.loader import load_calendar, load_rules
from engine.clock import VirtualClock, format_local, parse_instant
from engine.domain.calendar import WorkingCalendar
from engine.domain.errors import DubanError, InvalidInput
from engine.domain.location import OrderLocation, order_location
from engine.domain.model import HandlingUnit
from engine.domain.rules import RuleTable
from engine.domain.work_order import EVENT_TYPES, WorkOrder, validate_new_order
from engine.services import Engine
from config.settings import Settings
from workflows import replay_merge as merging
from workflows import replay_national as national
from workflows.bootstrap import build_engine

DEFAULT_HORIZON = timedelta(days=120)


class ReplayError(DubanError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass
class ReplayInput:
    units: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[int, datetime, dict[str, Any]]] = field(default_factory=list)


def _text(record: dict[str, Any], key: str, limit: int = 200) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"field {key!r} must be a non-empty string")
    if len(value) > limit:
        raise InvalidInput(f"field {key!r} is longer than {limit} characters")
    return value


def read_events(lines: Iterable[str], *, rules: RuleTable | None = None,
                calendar: WorkingCalendar | None = None) -> ReplayInput:
    """Parse and check every line; ReplayError names the first bad line and why. The rule table and calendar
    (default: the shipped ones) decide the windows of the 2025 rules' events (an objection's, for one)."""
    result = ReplayInput()
    precheck = national.Precheck(rules or load_rules(), calendar or load_calendar())
    merges = merging.MergePrecheck()
    units: set[str] = set()
    orders: dict[str, WorkOrder] = {}
    last_at: datetime | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReplayError(number, f"not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise ReplayError(number, "JSON nested too deeply (an event is a flat object)") from None
        if not isinstance(record, dict):
            raise ReplayError(number, "each line must be a JSON object")
        try:
            kind = record.get("type")
            if kind == "unit":
                code = _text(record, "code", 32)
                phones = record.get("phones")
                if not isinstance(phones, list) or not phones:
                    raise InvalidInput("a unit needs a non-empty list of phones")
                HandlingUnit(code, _text(record, "name"), tuple(phones))  # validates code, name and numbers
                contacts = record.get("contacts", [])
                if not isinstance(contacts, list) or len(contacts) > len(phones) \
                        or not all(isinstance(n, str) and len(n) <= 50 for n in contacts):
                    raise InvalidInput("a unit's contacts must be a list of names, at most one per phone")
                if code in units:
                    raise InvalidInput(f"unit {code!r} is defined twice")
                units.add(code)
                result.units.append(record)
                continue
            if "at" not in record:
                raise InvalidInput(f"event {kind!r} has no 'at' time")
            at = parse_instant(record["at"])  # a non-string is refused like any other bad time
            if last_at is not None and at < last_at:
                raise InvalidInput(f"event at {record['at']} is earlier than the line before it (events must be in time order)")
            order_number = _text(record, "order", 64)
            if kind == "order_created":
                unit = _text(record, "unit", 32)
                if unit not in units:
                    raise InvalidInput(f"unknown unit {unit!r}")
                if order_number in orders:
                    raise InvalidInput(f"order {order_number!r} is created a second time")
                category, urgency = record.get("category"), record.get("urgency", "一般")
                source = str(record.get("source", "12345"))
                validate_new_order(order_number, category, urgency, source)
                co_units = national.co_units_of(record, unit, units)
                location_of(record)  # content, address, district, coordinates, caller: checked now, stored on apply
                orders[order_number] = WorkOrder(order_number, unit, category, urgency, source, at, last_event_at=at,
                                                 co_units=[{"unit": c, "signed_at": None} for c in co_units])
                precheck.created(orders[order_number])
            elif kind in national.EVENTS:
                order = orders.get(order_number)
                if order is None:
                    raise InvalidInput(f"unknown order {order_number!r} (no order_created before it)")
                precheck.check(kind, record, order, at, units)
            elif kind in merging.EVENTS:  # 并单 and its undoing
                order = orders.get(order_number)
                if order is None:
                    raise InvalidInput(f"unknown order {order_number!r} (no order_created before it)")
                merges.check(kind, record, order, orders)
            elif kind == "card":  # a card given by hand (颜色 yellow/red, with its reason)
                order = orders.get(order_number)
                if order is None:
                    raise InvalidInput(f"unknown order {order_number!r} (no order_created before it)")
                if record.get("color") not in ("yellow", "red"):
                    raise InvalidInput(f"a card's color must be yellow or red, got {record.get('color')!r}")
                _text(record, "reason", 500)
                if order.is_closed:
                    raise InvalidInput(f"order {order_number} is closed: no card")
            elif kind in EVENT_TYPES or kind == "instruction":
                order = orders.get(order_number)
                if order is None:
                    raise InvalidInput(f"unknown order {order_number!r} (no order_created before it)")
                if kind == "instruction":
                    _text(record, "leader", 100)
                    _text(record, "text", 2000)
                precheck.lifecycle(kind, record, order, at)
                merges.after_event(kind, order, orders, at)
            else:
                raise InvalidInput(f"unknown type {kind!r}")
        except (InvalidInput, ValueError) as exc:
            raise ReplayError(number, str(exc)) from None
        last_at = at
        result.events.append((number, at, record))
    return result


def action_line(row: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {"at": format_local(row["at"]), "type": row["kind"]}
    if row["kind"] == "quarterly_report":
        line["quarter"] = row["details"]["quarter"]
        return line
    line.update(order=row["order_number"], unit=row["unit_code"])
    if row["kind"] == "sms":
        line.update(template=row["details"]["template"], to=row["details"]["to"], send_at=row["details"]["send_at"])
    elif row["kind"] in ("supervision_letter", "escalated") and row["details"].get("reply_by"):
        line["reply_by"] = row["details"]["reply_by"]  # the letter's written-reply date
    elif row["details"].get("manual_card"):
        line["manual_card"] = row["details"]["manual_card"]  # the rule's card step, done by a supervisor's card
    return line


def drive(engine: Engine, clock: VirtualClock, data: ReplayInput, *, end: datetime,
          on_progress: Callable[[int, int, datetime], None] | None = None, every: int = 500,
          quarterly_from: datetime | None = None, quarterly: bool = True) -> None:
    """Apply the events on the virtual clock; before each, fire every timer due strictly earlier, each at its
    own due time; after the last, run the timers up to and including `end`. Quarterly reports are scheduled
    from `quarterly_from` (default: the first event), unless `quarterly` is off (a shard of a parallel replay
    other than the first: the reports are printed once, by the first)."""
    for unit in data.units:
        engine.register_unit(unit["code"], unit["name"], unit["phones"], contacts=unit.get("contacts", ()))
    first = quarterly_from or (data.events[0][1] if data.events else None)
    if quarterly and first is not None:
        engine.ensure_quarterly_report(first)

    def run_timers(limit: datetime, inclusive: bool) -> None:
        while (due := engine.next_due()) is not None and (due <= limit if inclusive else due < limit):
            clock.set(max(due, clock.now()))
            engine.fire_due_timers(limit=10_000)

    total = len(data.events)
    for index, (line, at, record) in enumerate(data.events, start=1):
        if at > end:
            break
        run_timers(at, inclusive=False)
        clock.set(max(at, clock.now()))
        try:
            _apply(engine, record, at)
        except DubanError as exc:  # the pre-check should have caught it; report it the same way
            raise ReplayError(line, str(exc)) from None
        if on_progress and index % every == 0:
            on_progress(index, total, at)
    run_timers(end, inclusive=True)
    clock.set(max(end, clock.now()))
    if on_progress:
        on_progress(total, total, end)


def replay(data: ReplayInput, *, until: datetime | None, settings: Settings, out: TextIO,
           progress: Callable[[int, int], None] | None = None, workers: int = 1) -> int:
    """Run the events through a fresh engine; write the actions as JSON lines. Returns the number written.

    With workers > 1 the orders are split by number across that many processes (orders never interact;
    the quarterly reports run in the first), and their time-ordered outputs are merged."""
    if not data.events:
        return 0
    start = data.events[0][1]
    end = until or data.events[-1][1] + DEFAULT_HORIZON
    if workers <= 1 or len(data.events) < PARALLEL_THRESHOLD:
        return _replay_one(data, start, end, settings, out, progress, quarterly_from=start)
    return _replay_parallel(data, start, end, settings, out, progress, workers)


PARALLEL_THRESHOLD = 20_000


def _replay_one(data: ReplayInput, start: datetime, end: datetime, settings: Settings, out: TextIO,
                progress: Callable[[int, int], None] | None, *, quarterly_from: datetime | None) -> int:
    if quarterly_from is None and not data.events:
        return 0  # a shard that got no orders has nothing to do
    clock = VirtualClock(data.events[0][1] if data.events else start)
    engine = build_engine(settings, clock=clock, database_url="sqlite://")
    engine.hold_workflows_in_memory()
    engine.store.keeps_change_log = False  # the output is the actions, taken out as they are written
    written = 0

    def flush(before: datetime) -> None:
        nonlocal written
        for row in engine.take_actions_before(before):
            out.write(json.dumps(action_line(row), ensure_ascii=False) + "\n")
            written += 1

    def on_progress(done: int, total: int, at: datetime) -> None:
        flush(at)  # nothing earlier than the current event can still be produced
        if progress:
            progress(done, total)

    drive(engine, clock, data, end=end, on_progress=on_progress, quarterly_from=quarterly_from,
          quarterly=quarterly_from is not None)
    flush(end + timedelta(microseconds=1))
    return written


def _shard(data: ReplayInput, index: int, count: int, together: dict[str, str]) -> ReplayInput:
    """The events of the orders shard `index` of `count` replays (an order merged with another goes where its parent
    goes: `together`, from merging.shard_keys)."""

    def mine(number: str) -> bool:
        return zlib.crc32(together.get(number, number).encode()) % count == index
    return ReplayInput(units=data.units, events=[e for e in data.events if mine(e[2]["order"])])


def _replay_parallel(data: ReplayInput, start: datetime, end: datetime, settings: Settings, out: TextIO,
                     progress: Callable[[int, int], None] | None, workers: int) -> int:
    context = multiprocessing.get_context("fork")  # children inherit the parsed events without pickling
    done = context.Array("q", workers)
    total = len(data.events)
    together = merging.shard_keys(data.events)  # once, before the fork: every shard reads it
    with tempfile.TemporaryDirectory(prefix="duban-replay-") as tmp:
        paths = [Path(tmp) / f"shard-{i}.jsonl" for i in range(workers)]

        def run_shard(index: int) -> None:
            shard = _shard(data, index, workers, together)

            def count(finished: int, _total: int) -> None:
                done[index] = finished

            with paths[index].open("w", encoding="utf-8") as handle:
                _replay_one(shard, start, end, settings, handle, count,
                            quarterly_from=start if index == 0 else None)

        processes = [context.Process(target=run_shard, args=(i,), name=f"replay-{i}") for i in range(workers)]
        for process in processes:
            process.start()
        while any(p.is_alive() for p in processes):
            for process in processes:
                process.join(timeout=0.5)
            if progress:
                progress(min(sum(done), total - 1), total)
        failed = [p.name for p in processes if p.exitcode != 0]
        if failed:
            raise DubanError(f"replay worker(s) {', '.join(failed)} failed")
        written = 0
        handles = [path.open(encoding="utf-8") for path in paths]
        try:
            # every line starts with {"at": "YYYY-MM-DDTHH:MM:SS+08:00" (action_line puts "at" first)
            for line in heapq.merge(*handles, key=lambda text: text[8:33]):
                out.write(line)
                written += 1
        finally:
            for handle in handles:
                handle.close()
    if progress:
        progress(total, total)
    return written


def _apply(engine: Engine, record: dict[str, Any], at: datetime) -> None:
    kind, number = record["type"], record["order"]
    if kind == "order_created":
        engine.open_work_order(number=number, unit_code=record["unit"], category=record["category"],
                               urgency=record.get("urgency", "一般"), source=str(record.get("source", "12345")),
                               at=at, title=str(record.get("title", "")), actor="replay",
                               co_units=record.get("co_units"), location=location_of(record),
                               find_duplicates=False)  # a back-test of the rules: no supervisor reads candidates
    elif kind in national.EVENTS:
        national.apply(engine, kind, record, at)
    elif kind in merging.EVENTS:
        merging.apply(engine, kind, record, at)
    elif kind == "instruction":
        engine.add_instruction(number, leader=record["leader"], text=record["text"], at=at, actor="replay")
    elif kind == "card":
        engine.issue_card(number, color=record["color"], reason=record["reason"], actor="replay")
    else:
        engine.record_event(number, kind, at=at, working_days=record.get("working_days"), actor="replay")


def location_of(record: dict[str, Any]) -> OrderLocation:
    """An order_created line's request: content, address, district, latitude/longitude with coord_system
    (WGS-84 or GCJ-02) and caller_phone, all optional; InvalidInput names a bad one."""
    return order_location(content=record.get("content"), address=record.get("address"),
                          district=record.get("district"), latitude=record.get("latitude"),
                          longitude=record.get("longitude"), system=record.get("coord_system"),
                          caller_phone=record.get("caller_phone"))


def read_file(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        yield from handle


def main_replay(path: Path, until_text: str | None, settings: Settings, *, show_progress: bool,
                workers: int | None = None) -> int:
    until = parse_instant(until_text) if until_text else None
    data = read_events(read_file(path), rules=load_rules(settings.rules_file),
                       calendar=load_calendar(settings.calendar_file))

    def progress(done: int, total: int) -> None:
        sys.stderr.write(f"\rreplay: {done}/{total} events ({100 * done // max(total, 1)}%)")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return replay(data, until=until, settings=settings, out=sys.stdout, progress=progress if show_progress else None,
                  workers=workers if workers is not None else (os.cpu_count() or 1))
