"""The quarterly typical-case 专报: figures computed from plain rows, then worded.

Definitions (口径), all over the quarter [first day 00:00, first day of next quarter 00:00) Asia/Shanghai:
- received: orders dispatched in the quarter (work_orders.dispatched_at); dispatched: `dispatched` events in it;
- on-time sign-for: received orders signed by the end of the Nth working day after the dispatch date (N from
  the rule table's sign_for), over received orders;
- on-time reply: orders dispatched in the quarter whose reply fell due in it or that replied in it; on time when
  replied before the quarter's end and not after the deadline;
- satisfaction: `callback` events in the quarter rated 满意 or 基本满意, over all rated callbacks;
- cards and documents: actions recorded in the quarter, by the order's unit;
- instructed cases: instructions given before the quarter's end whose order was not closed before its start;
  the clock runs from the day of the instruction to the day of closure or the quarter's last day.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from engine.clock import LOCAL_TZ
from engine.assessment.definitions import (
    SATISFIED,
    is_replied_on_time,
    is_signed_on_time,
    latest_callbacks,
    sign_for_due_on,
)
from engine.documents.model import OrderFacts
from engine.documents.numbering import local_day
from engine.domain.calendar import WorkingCalendar

CARD_KINDS = ("urge_notice", "yellow_card", "red_card", "supervision_letter")


@dataclass(frozen=True)
class QuarterData:
    """The rows the figures are computed from (read by the store, or written by hand in a test)."""

    label: str  # 2026Q2
    units: dict[str, str]  # code -> name
    orders: list[dict[str, Any]]  # number, unit_code, dispatched_at, signed_at, replied_at, deadline_at
    dispatched_events: list[datetime]
    callbacks: list[dict[str, Any]]  # order_number, at, satisfaction
    actions: list[dict[str, Any]]  # kind, unit_code, order_number, at, details
    instructions: list[dict[str, Any]]  # id, order_number, unit_code, leader, instructed_at, signed_at, replied_at, closed_at
    escalated: tuple[str, ...] = ()  # orders escalated (提级督办) in the quarter
    case_facts: tuple[OrderFacts, ...] = ()  # the facts of the cases the report tells (typical_cases.NARRATED a kind)


@dataclass(frozen=True)
class UnitFigures:
    code: str
    name: str
    received: int = 0
    signed_on_time: int = 0
    due: int = 0
    replied_on_time: int = 0
    urge_notices: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    letters: int = 0


@dataclass(frozen=True)
class InstructedCase:
    order_number: str
    unit_name: str
    leader: str
    instructed_on: date
    status: str
    days: int
    letter_sent: bool
    report_sent: bool
    unit_code: str = ""


@dataclass(frozen=True)
class QuarterFigures:
    label: str
    first_day: date
    last_day: date
    received: int
    dispatched: int
    signed_on_time: int
    due: int
    replied_on_time: int
    rated: int
    satisfied: int
    units: tuple[UnitFigures, ...]
    weekly: tuple[tuple[str, int], ...]  # (week's first day MM-DD, orders received)
    cases: tuple[InstructedCase, ...]
    escalated: tuple[str, ...] = ()  # orders escalated (提级督办) in the quarter
    case_facts: tuple[OrderFacts, ...] = ()  # the facts of the cases told in the 典型案例 section

    def total(self, field: str) -> int:
        return sum(getattr(u, field) for u in self.units)


def quarter_bounds(label: str) -> tuple[datetime, datetime]:
    year, quarter = int(label[:4]), int(label[-1])
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return datetime.combine(first, time(), LOCAL_TZ), datetime.combine(following, time(), LOCAL_TZ)


def rate(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.1f}%" if denominator else "—"


def _sign_on_time(order: dict[str, Any], calendar: WorkingCalendar, sign_days: int, cache: dict[date, date]) -> bool:
    if order["signed_at"] is None:
        return False
    return is_signed_on_time(order["signed_at"], sign_for_due_on(order["dispatched_at"], calendar, sign_days, cache))


def compute_figures(data: QuarterData, calendar: WorkingCalendar, *, sign_working_days: int = 1) -> QuarterFigures:
    start, end = quarter_bounds(data.label)
    per_unit: dict[str, Counter[str]] = {}

    def bump(unit: str, field: str) -> None:
        per_unit.setdefault(unit, Counter())[field] += 1

    cache: dict[date, date] = {}
    weeks = Counter[int]()
    received = signed = due = on_time = 0
    for order in data.orders:
        if not start <= order["dispatched_at"] < end:
            continue
        unit = order["unit_code"]
        received += 1
        bump(unit, "received")
        weeks[(local_day(order["dispatched_at"]) - start.date()).days // 7] += 1
        if _sign_on_time(order, calendar, sign_working_days, cache):
            signed += 1
            bump(unit, "signed_on_time")
        reply, deadline = order["replied_at"], order["deadline_at"]
        replied_in_quarter = reply is not None and reply < end
        if replied_in_quarter or (deadline is not None and deadline < end):
            due += 1
            bump(unit, "due")
            if replied_in_quarter and is_replied_on_time(reply, deadline):
                on_time += 1
                bump(unit, "replied_on_time")
    field_of = {"urge_notice": "urge_notices", "yellow_card": "yellow_cards", "red_card": "red_cards",
                "supervision_letter": "letters"}
    for action in data.actions:
        if action["kind"] in field_of and start <= action["at"] < end and action["unit_code"]:
            bump(action["unit_code"], field_of[action["kind"]])
    latest = latest_callbacks(data.callbacks, start, end)
    units = tuple(UnitFigures(code, data.units.get(code, code), **dict(counts))
                  for code, counts in sorted(per_unit.items()))
    last_day = end.date() - timedelta(days=1)
    weekly = tuple(((start.date() + timedelta(days=7 * i)).strftime("%m-%d"), weeks[i])
                   for i in range((last_day - start.date()).days // 7 + 1))
    return QuarterFigures(
        label=data.label, first_day=start.date(), last_day=last_day, received=received,
        dispatched=sum(1 for at in data.dispatched_events if start <= at < end),
        signed_on_time=signed, due=due, replied_on_time=on_time, rated=len(latest),
        satisfied=sum(1 for c in latest.values() if c["satisfaction"] in SATISFIED),
        units=units, weekly=weekly, cases=_cases(data, start, end), escalated=data.escalated,
        case_facts=data.case_facts)


def _cases(data: QuarterData, start: datetime, end: datetime) -> tuple[InstructedCase, ...]:
    last_day = end.date() - timedelta(days=1)
    cases = []
    for row in sorted(data.instructions, key=lambda r: (r["instructed_at"], r["id"])):
        closed = row["closed_at"]
        if row["instructed_at"] >= end or (closed is not None and closed < start):
            continue
        if closed is not None and closed < end:
            status, until = "已办结", local_day(closed)
        elif row["replied_at"] is not None and row["replied_at"] < end:
            status, until = "已回复待办结", last_day
        elif row["signed_at"] is not None and row["signed_at"] < end:
            status, until = "办理中", last_day
        else:
            status, until = "未签收", last_day
        sent = {a["kind"] for a in data.actions if a["order_number"] == row["order_number"] and a["at"] < end
                and a["details"].get("instruction_id") == row["id"]}
        cases.append(InstructedCase(row["order_number"], data.units.get(row["unit_code"], row["unit_code"]),
                                    row["leader"], local_day(row["instructed_at"]), status,
                                    (until - local_day(row["instructed_at"])).days,
                                    "supervision_letter" in sent, "special_report" in sent, row["unit_code"]))
    return tuple(cases)
