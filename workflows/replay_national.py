"""The replay events of the 2025 national rules: `objected`, `objection_decided`, `co_signed`, `contributed`,
`consultation`, and `co_units` on `order_created`. `precheck` runs in the whole-file check (so a bad line stops the
replay before anything is printed, with its line number); `apply` runs them on the engine."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from engine.domain import objections as rule
from engine.domain.calendar import WorkingCalendar
from engine.domain.errors import InvalidInput, UnknownUnit
from engine.domain.rules import RuleTable
from engine.domain.work_order import WorkOrder, apply_event, check_event
from engine.services import Engine

EVENTS = ("objected", "objection_decided", "co_signed", "contributed", "consultation")


def _optional_text(record: dict[str, Any], key: str, limit: int = 2000) -> str:
    value = record.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"field {key!r} must be a string of at most {limit} characters")
    return value


def _unit(record: dict[str, Any], units: set[str] | None = None, key: str = "unit") -> str:
    """The unit code the line names; with `units`, one of them (else UnknownUnit, as the engine says)."""
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{key} must name a unit, got {value!r}")
    if units is not None and value not in units:
        raise UnknownUnit(value)
    return value


def co_units_of(record: dict[str, Any], lead: str, units: set[str]) -> list[str]:
    codes = rule.check_co_units(lead, record.get("co_units"))
    for code in codes:
        if code not in units:
            raise InvalidInput(f"unknown co-handling unit {code!r}")
    return codes


class Precheck:
    """What the whole-file check remembers between lines for these events."""

    def __init__(self, rules: RuleTable, calendar: WorkingCalendar) -> None:
        self.rules, self.calendar = rules, calendar
        self.open_objections: set[str] = set()
        self.dispatched: dict[str, set[str]] = {}  # the units each order was dispatched to (the hard-case rule)

    def created(self, order: WorkOrder) -> None:
        self.dispatched[order.number] = {order.unit_code}

    def stored(self, order: WorkOrder, units_dispatched: Iterable[str], objection_open: bool) -> None:
        """Start from an order already in the database (`duban import` of events): the units it was dispatched to
        and whether an objection of it waits for the hotline."""
        self.dispatched[order.number] = {*units_dispatched, order.unit_code}
        if objection_open:
            self.open_objections.add(order.number)

    def _handed_to(self, order: WorkOrder, unit: str, at: datetime) -> None:
        order.unit_code = unit
        apply_event(order, "redispatched", at)
        self.dispatched[order.number].add(unit)
        self._mark_hard_case(order, at)

    def _mark_hard_case(self, order: WorkOrder, at: datetime) -> None:
        """As the engine does: reopened or re-dispatched often enough, the order is a hard case (会商 allowed)."""
        if order.hard_case_at is None and rule.hard_case_reason(self.rules, order, self.dispatched[order.number]):
            order.hard_case_at = at

    def check(self, kind: str, record: dict[str, Any], order: WorkOrder, at: datetime, units: set[str]) -> None:
        """Raise InvalidInput / InvalidTransition if the line cannot happen; else apply it to the pre-check order."""
        if kind == "objected":
            rule.check_objection(order, at, record.get("reason"), self.rules, self.calendar)
            _optional_text(record, "note")
            apply_event(order, "objected", at)
            self.open_objections.add(order.number)
        elif kind == "objection_decided":
            decision, unit = record.get("decision"), record.get("unit")
            rule.check_decision(order, at, decision, unit, order.number in self.open_objections)  # the engine's order
            if decision == "accepted":
                unit = _unit(record, units)
            _optional_text(record, "note")
            self.open_objections.discard(order.number)
            if decision == "accepted":
                self._handed_to(order, str(unit), at)
            else:
                order.returned_at, order.last_event_at = None, at
        elif kind == "co_signed":
            unit = _unit(record)  # not one of the order's co-units: refused as the engine refuses it
            rule.check_co_sign(order, unit, at)
            order.co_units = [{**c, "signed_at": at.isoformat()} if c["unit"] == unit else c for c in order.co_units]
            order.last_event_at = at
        elif kind == "contributed":
            rule.co_unit_entry(order, _unit(record))
            if not isinstance(record.get("text"), str) or not record["text"].strip() or len(record["text"]) > 2000:
                raise InvalidInput("a contribution needs a text of 1 to 2000 characters")
            check_event(order, "progress_reported", at)
            order.last_event_at = at
        elif kind == "consultation":
            co_units = rule.check_consultation(order, at, present=record.get("present"),
                                               decision=record.get("decision"), lead_unit=record.get("unit"),
                                               co_units=record.get("co_units"), working_days=record.get("working_days"),
                                               unit_known=units.__contains__)
            if order.unit_code != record["unit"] or order.returned_at is not None:
                self.open_objections.discard(order.number)
                self._handed_to(order, record["unit"], at)
            known = {c["unit"]: c for c in order.co_units}
            order.co_units = [known.get(c, {"unit": c, "signed_at": None}) for c in co_units]
            order.last_event_at = at

    def unit_event(self, kind: str, record: dict[str, Any], order: WorkOrder) -> None:
        """A lifecycle event that names its `unit` must come from the lead unit (only the lead replies)."""
        if "unit" in record and record["unit"] != order.unit_code:
            raise InvalidInput(f"{kind} of {order.number} must come from its lead unit {order.unit_code}, "
                               f"not {record['unit']!r} (co-handling units sign and contribute; the lead replies)")
        if kind == "closed":  # the hotline may close the order instead of deciding the objection
            self.open_objections.discard(order.number)

    def lifecycle(self, kind: str, record: dict[str, Any], order: WorkOrder, at: datetime,
                  details: dict[str, Any] | None = None) -> None:
        """A lifecycle event (signed … reopened) or an instruction, checked as the engine checks it, then applied to
        the pre-check order; a reopen may make it a hard case."""
        self.unit_event(kind, record, order)
        check_event(order, kind, at, working_days=record.get("working_days"), details=details)
        if kind == "instruction":
            order.last_event_at = at
            return
        apply_event(order, kind, at)
        if kind == "reopened":
            self._mark_hard_case(order, at)


def apply(engine: Engine, kind: str, record: dict[str, Any], at: datetime) -> None:
    number = record["order"]
    if kind == "objected":
        engine.object_to_dispatch(number, reason=record["reason"], note=record.get("note", ""), at=at, actor="replay")
    elif kind == "objection_decided":
        engine.decide_objection(number, decision=record["decision"], unit_code=record.get("unit"),
                                note=record.get("note", ""), at=at, actor="replay")
    elif kind == "co_signed":
        engine.co_sign(number, unit_code=record["unit"], at=at, actor="replay")
    elif kind == "contributed":
        engine.contribute(number, unit_code=record["unit"], text=record["text"], at=at, actor="replay")
    elif kind == "consultation":
        engine.record_consultation(number, held_on=at, present=record["present"], decision=record["decision"],
                                   lead_unit=record["unit"], co_units=record.get("co_units") or [],
                                   working_days=record["working_days"], actor="replay")
