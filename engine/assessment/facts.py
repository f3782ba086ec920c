"""The facts an assessment is computed from, as they stood at one moment (`as_of`).

Built from the order's event log rather than its current row, so a reopen or a late event recorded after a
month was assessed cannot change that month's facts: only events recorded by `as_of` and happening before
the period's end are used.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.domain import deadlines
from engine.domain.calendar import WorkingCalendar
from engine.domain.rules import RuleTable


@dataclass(frozen=True)
class ReturnFact:
    """A dispatch objection (退单) the hotline decided: by `unit_code`, accepted (改派 to `to_unit`) or rejected."""
    unit_code: str
    objected_at: datetime
    reason: str
    decided_at: datetime
    accepted: bool
    to_unit: str


@dataclass(frozen=True)
class OrderFact:
    number: str
    unit_code: str
    dispatched_at: datetime
    first_deadline_at: datetime | None  # the deadline of the first handling round (extensions included)
    signed_at: datetime | None = None
    replies: tuple[datetime, ...] = ()
    reopens: tuple[datetime, ...] = ()
    callbacks: tuple[tuple[datetime, str], ...] = ()  # (at, satisfaction)
    responses: tuple[tuple[str, datetime], ...] = ()  # (event type, at): signed/progress_reported/replied/closed
    exempt_reason: str | None = None  # accepted as an unreasonable request (不合理诉求)
    returns: tuple[ReturnFact, ...] = ()  # its decided dispatch objections (the objecting unit's 回退率)
    co_units: tuple[tuple[str, datetime, datetime | None], ...] = ()  # 协办: (unit, asked at, signed for at)


@dataclass(frozen=True)
class ActionFact:
    id: int
    kind: str  # yellow_card | red_card | supervision_letter
    unit_code: str
    order_number: str | None
    at: datetime


@dataclass(frozen=True)
class Facts:
    units: Mapping[str, str]  # code -> name
    orders: tuple[OrderFact, ...]
    actions: tuple[ActionFact, ...]
    registered_at: Mapping[str, datetime] = field(default_factory=dict)  # a unit is assessed from its registration

    def units_by(self, end: datetime) -> dict[str, str]:
        """The units registered before `end` (all of them when registration times are not known)."""
        return {c: n for c, n in self.units.items() if c not in self.registered_at or self.registered_at[c] < end}


def first_round_deadline(rules: RuleTable, calendar: WorkingCalendar, order: Mapping[str, Any],
                         events: Iterable[Mapping[str, Any]], *, ever_moved: bool) -> datetime | None:
    """The deadline the first reply answered, as it stood given `events` (those before the cutoff).

    The order's stored deadline while it was never reopened nor extended (`ever_moved` is False: its whole
    history, later events included, has no reopen or extension); otherwise recomputed the way the engine set it
    (handling rule from dispatch, then each extension in `events` before the first reopen), so a reopen or an
    extension after the cutoff cannot change a month already assessed."""
    ordered = sorted(events, key=lambda e: e["at"])
    if not ever_moved:
        return order["deadline_at"]
    deadline = deadlines.handling_deadline(rules, calendar, category=order["category"], urgency=order["urgency"],
                                           source=order["source"], start_at=order["dispatched_at"])
    for event in ordered:
        if event["type"] == "reopened":
            break
        if event["type"] == "extension_approved" and event["details"].get("working_days"):
            deadline = deadlines.extended_deadline(calendar, deadline.at, int(event["details"]["working_days"]))
    return deadline.at


def order_fact(order: Mapping[str, Any], events: list[Mapping[str, Any]], first_deadline_at: datetime | None,
               exempt_reason: str | None = None) -> OrderFact:
    """One order's facts from its row (number, unit_code, dispatched_at) and its events (type, at, details)."""
    events = sorted(events, key=lambda e: e["at"])
    signed = [e["at"] for e in events if e["type"] == "signed"]
    return OrderFact(
        number=order["number"], unit_code=order["unit_code"], dispatched_at=order["dispatched_at"],
        first_deadline_at=first_deadline_at, signed_at=signed[0] if signed else None,
        replies=tuple(e["at"] for e in events if e["type"] == "replied"),
        reopens=tuple(e["at"] for e in events if e["type"] == "reopened"),
        callbacks=tuple((e["at"], str(e["details"].get("satisfaction"))) for e in events
                        if e["type"] == "callback" and e["details"].get("satisfaction")),
        responses=tuple((e["type"], e["at"]) for e in events
                        if e["type"] in ("signed", "progress_reported", "replied", "closed")),
        exempt_reason=exempt_reason, returns=_returns(events), co_units=_co_units(order, events))


def _co_units(order: Mapping[str, Any],
              events: list[Mapping[str, Any]]) -> tuple[tuple[str, datetime, datetime | None], ...]:
    """The order's co-handling units (as it names them now), each asked at dispatch or at the coordination meeting
    that added it, and its first sign-for among `events`."""
    asked = {str(c["unit"]): order["dispatched_at"] for c in order.get("co_units") or []}
    for e in events:
        if e["type"] == "consultation":
            for code in e["details"].get("added", []):
                if code in asked:
                    asked[code] = e["at"]  # named at the meeting: its sign-for runs from then
    signed: dict[str, datetime] = {}
    for e in events:
        if e["type"] == "co_signed":
            signed.setdefault(str(e["details"].get("unit")), e["at"])
    return tuple((code, at, signed.get(code)) for code, at in asked.items())


def _returns(events: list[Mapping[str, Any]]) -> tuple[ReturnFact, ...]:
    """Each objection_decided with the objection it decided (the last `objected` before it)."""
    found, objected = [], None
    for e in events:
        if e["type"] == "objected":
            objected = e
        elif e["type"] == "objection_decided" and objected is not None:
            d = e["details"]
            found.append(ReturnFact(str(d.get("from") or objected["details"].get("unit")), objected["at"],
                                    str(objected["details"].get("reason", "")), e["at"], d.get("decision") == "accepted",
                                    str(d.get("unit", ""))))
            objected = None
    return tuple(found)
