"""Classify every order of a month into explanation lines, then score the lines under a formula version.

Definitions (口径) for a month M = [first day 00:00, next month's first day 00:00) Asia/Shanghai; a fact counts
only if it happened before M's end (and was recorded by the moment the facts were read):
- sign_for: orders whose last sign-for day (the Nth working day after the dispatch date, N from the rule table)
  is in M; yes = signed for by the end of that day (the quarterly report's definition, `definitions.py`).
  A co-handling unit (协办) has its own sign_for line (from dispatch, or the meeting that named it; its co_signed).
- reply: orders whose first-round deadline falls in M; yes = first reply not after it.
- satisfaction: orders with a rated callback in M, judged by their last callback in M (final satisfaction, as
  the quarterly report); yes = a grade the formula counts as satisfied; orders accepted as unreasonable
  requests (不合理诉求) are listed as exempt and not counted.
- reopen: orders replied to or reopened in M; yes = reopened in M (lower is better).
- returns (回退率, shown; scored only if the version gives it a weight): each dispatch objection (退单) the hotline
  decided in M, a line of the objecting unit; yes = accepted (成立, re-dispatched), no = rejected (back to the unit).
  An accepted objection's order is the new unit's from then on: its other lines leave the objecting unit.
- deductions: each yellow card, red card and supervision letter issued to the unit in M; and each letter whose
  written-reply date (N working days after issue) falls in M with no response event on the order by then.
A line excluded by an accepted appeal stays in the explanation, marked, and counts nowhere.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from engine.assessment.definitions import is_replied_on_time, is_signed_on_time, local_day, sign_for_due_on
from engine.assessment.facts import ActionFact, Facts, OrderFact
from engine.assessment.formula import DEDUCTION_ITEMS, RATE_ITEMS, SHOWN_ITEMS, Formula
from engine.assessment.periods import Period
from engine.assessment.scores import DEDUCT, EXEMPT, NO, YES, ItemFigure, Line, PeriodScore, UnitScore, combine, score
from engine.domain.calendar import WorkingCalendar

__all__ = ["ItemFigure", "Line", "PeriodScore", "UnitScore", "apply_appeals", "classify", "classify_months",
           "combine", "score"]

_CARD_ITEMS = ("yellow_card", "red_card", "supervision_letter")


# Asia/Shanghai has kept +08:00 without daylight saving since 1991; a fixed offset converts ~10x faster than
# the zoneinfo lookup, which matters at a year of orders (see the benchmark).
_CST = timezone(timedelta(hours=8))


def _fmt(at: datetime) -> str:
    return at.astimezone(_CST).isoformat(" ", "minutes")[:16]


def _day(at: datetime) -> date:
    return at.astimezone(_CST).date()


def classify(period: Period, facts: Facts, formula: Formula, calendar: WorkingCalendar, *,
             sign_working_days: int) -> list[Line]:
    """Every explanation line of a month, in a stable order (unit, item, order, ref)."""
    return classify_months([period], facts, {period.label: formula}, calendar,
                           sign_working_days=sign_working_days)[period.label]


def classify_months(periods: list[Period], facts: Facts, formulas: Mapping[str, Formula],
                    calendar: WorkingCalendar, *, sign_working_days: int) -> dict[str, list[Line]]:
    """The lines of several months in one pass: each order is classified only in the months it touches."""
    by_month = {(p.first_day.year, p.first_day.month): p for p in periods}
    out: dict[str, list[Line]] = {p.label: [] for p in periods}
    cache: dict[date, date] = {}
    letter_caches: dict[int, dict[date, date]] = {}  # per letter_reply_working_days (versions may differ)
    orders = {o.number: o for o in facts.orders}

    def month_key(day: date) -> tuple[int, int]:
        return (day.year, day.month)

    for o in facts.orders:
        due_on = sign_for_due_on(o.dispatched_at, calendar, sign_working_days, cache)
        co_due = [(code, asked, signed, sign_for_due_on(asked, calendar, sign_working_days, cache))
                  for code, asked, signed in o.co_units]
        touched = {month_key(due_on), *(month_key(c[3]) for c in co_due)}
        if o.first_deadline_at is not None:
            touched.add(month_key(_day(o.first_deadline_at)))
        touched.update(month_key(_day(at)) for at in (*o.replies, *o.reopens, *(c[0] for c in o.callbacks),
                                                       *(r.decided_at for r in o.returns)))
        for key in touched:
            period = by_month.get(key)
            if period is not None:
                out[period.label].extend(_order_lines(o, period, formulas[period.label], due_on, co_due))
    for a in facts.actions:
        for period in periods:
            formula = formulas[period.label]
            cache_of = letter_caches.setdefault(formula.letter_reply_working_days, {})
            out[period.label].extend(_action_lines(a, period, formula, calendar, orders, cache_of))
    order_of = {k: i for i, k in enumerate((*RATE_ITEMS, *SHOWN_ITEMS, *DEDUCTION_ITEMS))}
    for lines in out.values():
        lines.sort(key=lambda x: (x.unit_code, order_of[x.item], x.order_number or "", x.ref))
    return out


def _order_lines(o: OrderFact, period: Period, formula: Formula, due_on: date,
                 co_due: list[tuple[str, datetime, datetime | None, date]]) -> list[Line]:
    start, end = period.start, period.end
    u, n = o.unit_code, o.number
    lines = []
    for unit, asked, signed_at, due, role in [(u, o.dispatched_at, o.signed_at, due_on, ""),
                                              *((*c, "协办") for c in co_due)]:
        if period.first_day <= due < period.following_day:  # the lead's sign-for, and each co-unit's own (协办)
            signed = signed_at if signed_at is not None and signed_at < end else None
            ok = is_signed_on_time(signed, due)
            lines.append(Line(unit, "sign_for", n, "", YES if ok else NO,
                              f"{role}派发 {_fmt(asked)}，应于 {due.isoformat()} 前签收；"
                              + (f"{_fmt(signed)} 签收" if signed else "期末未签收") + ("，按时" if ok else "，超时")))
    if o.first_deadline_at is not None and start <= o.first_deadline_at < end:
        reply = next((r for r in o.replies if r < end), None)
        ok = is_replied_on_time(reply, o.first_deadline_at)
        lines.append(Line(u, "reply", n, "", YES if ok else NO,
                          f"办理时限 {_fmt(o.first_deadline_at)}；" + (f"首次回复 {_fmt(reply)}" if reply else "期末未回复")
                          + ("，按时" if ok else "，超期")))
    in_month = [(at, grade) for at, grade in o.callbacks if start <= at < end]
    if in_month:
        at, grade = max(in_month, key=lambda c: c[0])
        if o.exempt_reason is not None:
            lines.append(Line(u, "satisfaction", n, "", EXEMPT,
                              f"回访 {_fmt(at)} {grade}；已认定为不合理诉求（{o.exempt_reason}），不计入"))
        else:
            lines.append(Line(u, "satisfaction", n, "", YES if grade in formula.satisfied_grades else NO,
                              f"本月最后一次回访 {_fmt(at)}：{grade}"
                              + (f"（本月回访 {len(in_month)} 次）" if len(in_month) > 1 else "")))
    replied = [r for r in o.replies if start <= r < end]
    reopened = [r for r in o.reopens if start <= r < end]
    if replied or reopened:
        text = "；".join(filter(None, [f"本月回复 {len(replied)} 次" if replied else "",
                                       "重办 " + "、".join(_fmt(r) for r in reopened) if reopened else "未重办"]))
        lines.append(Line(u, "reopen", n, "", YES if reopened else NO, text))
    for r in o.returns:
        if start <= r.decided_at < end:
            lines.append(Line(r.unit_code, "returns", n, r.decided_at.isoformat(), YES if r.accepted else NO,
                              f"{_fmt(r.objected_at)} 退单（{r.reason}）；{_fmt(r.decided_at)} 审核"
                              + (f"同意，改派 {r.to_unit}，该工单此后各项不再计入本单位" if r.accepted
                                 else "不同意，退回本单位继续办理，原办理时限不变")))
    return lines


def _action_lines(a: ActionFact, period: Period, formula: Formula, calendar: WorkingCalendar,
                  orders: Mapping[str, OrderFact], cache: dict[date, date]) -> list[Line]:
    start, end = period.start, period.end
    lines = []
    if a.kind in _CARD_ITEMS and start <= a.at < end:
        lines.append(Line(a.unit_code, a.kind, a.order_number, str(a.id), DEDUCT,
                          f"{_fmt(a.at)} 工单 {a.order_number or '—'}"))
    if a.kind == "supervision_letter" and a.order_number:
        reply_by = sign_for_due_on(a.at, calendar, formula.letter_reply_working_days, cache)
        if period.first_day <= reply_by < period.following_day:
            order = orders.get(a.order_number)
            answered = order is not None and any(
                kind in formula.letter_reply_events and a.at < at and local_day(at) <= reply_by and at < end
                for kind, at in order.responses)
            if not answered:
                lines.append(Line(a.unit_code, "missed_letter_reply", a.order_number, str(a.id), DEDUCT,
                                  f"督办函 {_fmt(a.at)} 发出，应于 {reply_by.isoformat()} 前书面反馈，逾期未反馈"))
    return lines


def apply_appeals(lines: Iterable[Line], accepted: Mapping[tuple[str, str, str, str], int]) -> list[Line]:
    """Mark the lines an accepted appeal took out (key: unit, item, order number, ref)."""
    return [replace(line, excluded_by=accepted[line.key]) if line.key in accepted else line for line in lines]
