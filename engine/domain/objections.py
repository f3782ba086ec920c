"""Dispatch objections (派单异议 / 退单), co-handling units (主办 / 协办) and hard cases (疑难工单): the rules of
国办函〔2025〕66号 as the engine, the replay pre-check and the forms apply them.

A unit objects with a reason code from `config/rules.toml` within a window after the order reached it; the
hotline decides within its own time: accepted → re-dispatched (改派) to another unit, rejected → back to the same
unit with its clock still running (unless the rule table pauses it). An order reopened N times or dispatched to N
distinct units becomes a hard case.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from engine.clock import LOCAL_TZ
from engine.domain.calendar import WorkingCalendar
from engine.domain.deadlines import END_OF_DAY, local_date, local_instant
from engine.domain.errors import InvalidInput, InvalidTransition, UnknownUnit
from engine.domain.rules import RuleTable
from engine.domain.work_order import Status, WorkOrder, check_event

DECISIONS = ("accepted", "rejected")
DECISION_LABELS = {"accepted": "同意退单，改派", "rejected": "不同意退单，退回原单位"}
MAX_CO_UNITS = 10


def handed_at(order: WorkOrder) -> datetime:
    """When the order reached its current unit: the dispatch, or the latest re-dispatch."""
    basis = order.deadline_basis[0] if order.deadline_basis else None
    if basis and basis.get("rule") == "handling" and order.cycle == 1:
        return datetime.fromisoformat(str(basis["start_at"]))
    return order.dispatched_at


def objection_window_end(rules: RuleTable, cal: WorkingCalendar, order: WorkOrder) -> datetime:
    """23:59:59 of the Nth working day after the order reached its unit."""
    day = cal.nth_working_day_after(local_date(handed_at(order)), rules.objection_window_working_days).result
    return local_instant(day, END_OF_DAY)


def decision_due_at(rules: RuleTable, cal: WorkingCalendar, objected_at: datetime) -> datetime:
    """By when the hotline must decide an objection: 23:59:59 of the Nth working day after it."""
    day = cal.nth_working_day_after(local_date(objected_at), rules.objection_decision_working_days).result
    return local_instant(day, END_OF_DAY)


def check_objection(order: WorkOrder, at: datetime, reason: object, rules: RuleTable, cal: WorkingCalendar) -> None:
    """Raise unless the order's unit may object now with this reason code."""
    if reason not in rules.objection_reasons:
        raise InvalidInput(f"退单理由须为 {'、'.join(rules.objection_reasons)} 之一 "
                           f"(objection reason must be one of {'/'.join(rules.objection_reasons)}, got {reason!r})")
    check_event(order, "objected", at, details={"reason": reason})
    if order.cycle > 1:
        raise InvalidTransition(f"重办工单不能退单 ({order.number} was reopened; its unit is the first-handling unit)")
    end = objection_window_end(rules, cal, order)
    if at > end:
        raise InvalidTransition(
            f"已超过退单期限 {end.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}，"
            f"该单位为首办责任单位 (objection window of {order.number} closed at {end.astimezone(LOCAL_TZ).isoformat()}: "
            f"{rules.objection_window_working_days} working day(s) after it reached the unit)")


def check_decision(order: WorkOrder, at: datetime, decision: object, unit_code: object,
                   objection_open: bool) -> None:
    """Raise unless the hotline may decide the order's open objection this way."""
    if decision not in DECISIONS:
        raise InvalidInput(f"decision must be accepted or rejected, got {decision!r}")
    if not objection_open or order.returned_at is None:
        raise InvalidTransition(f"该工单没有待审核的退单 ({order.number} has no open dispatch objection)")
    if order.status == Status.CLOSED:
        raise InvalidTransition(f"该工单已办结 ({order.number} is already closed)")
    if at < order.returned_at or (order.last_event_at is not None and at < order.last_event_at):
        raise InvalidTransition(f"时间早于该工单上一次办理记录 (decision on {order.number} is earlier than its previous event)")
    if decision == "accepted":
        if not isinstance(unit_code, str) or not unit_code.strip():
            raise InvalidInput("同意退单须选择改派单位 (an accepted objection needs the unit to re-dispatch to)")
        if unit_code == order.unit_code:
            raise InvalidInput(f"改派单位不能是退单单位 {unit_code} (re-dispatch to another unit than the objecting one)")
    elif unit_code not in (None, ""):
        raise InvalidInput("不同意退单时工单退回原单位，不能指定改派单位 (a rejected objection names no unit)")


def check_co_units(lead: str, co_units: object) -> list[str]:
    """The co-handling unit codes: distinct, not the lead, at most MAX_CO_UNITS."""
    if co_units is None:
        return []
    if not isinstance(co_units, list) or not all(isinstance(c, str) and c.strip() for c in co_units):
        raise InvalidInput("co_units must be a list of unit codes")
    if len(set(co_units)) != len(co_units):
        raise InvalidInput("co_units lists a unit twice")
    if lead in co_units:
        raise InvalidInput(f"the lead unit {lead} cannot also be a co-handling unit")
    if len(co_units) > MAX_CO_UNITS:
        raise InvalidInput(f"at most {MAX_CO_UNITS} co-handling units")
    return list(co_units)


def co_unit_entry(order: WorkOrder, unit_code: str) -> Mapping[str, object]:
    entry = next((c for c in order.co_units if c.get("unit") == unit_code), None)
    if entry is None:
        raise InvalidTransition(f"{unit_code} 不是该工单的协办单位 ({unit_code} is not a co-handling unit of {order.number})")
    return entry


def check_co_sign(order: WorkOrder, unit_code: str, at: datetime) -> None:
    if order.status == Status.CLOSED:
        raise InvalidTransition(f"该工单已办结，不能签收 ({order.number} is closed and cannot be signed for)")
    if co_unit_entry(order, unit_code).get("signed_at"):
        raise InvalidTransition(f"该工单已签收，无需重复签收 ({unit_code} has already signed for {order.number})")
    if order.last_event_at is not None and at < order.last_event_at:
        raise InvalidTransition(f"时间早于该工单上一次办理记录 ({order.number})")


def hard_case_reason(rules: RuleTable, order: WorkOrder, units_dispatched: Iterable[str]) -> str | None:
    """Why the order is a hard case now (None if it is not): reopens, or units it passed among."""
    reopens = order.cycle - 1
    if reopens >= rules.hard_case_reopens:
        return f"重办 {reopens} 次（达到 {rules.hard_case_reopens} 次）"
    units = len(set(units_dispatched))
    if units >= rules.hard_case_units:
        return f"派至 {units} 个不同单位（达到 {rules.hard_case_units} 个）"
    return None


def check_consultation(order: WorkOrder, held_on: datetime, *, present: object, decision: object, lead_unit: object,
                       co_units: object, working_days: object, unit_known: Callable[[str], bool]) -> list[str]:
    """Raise unless a coordination meeting (会商) on the order can be recorded so (the engine, the replay pre-check
    and through them the web form and the API apply this one check); returns the co-handling unit codes."""
    if not isinstance(decision, str) or not decision.strip() or len(decision) > 2000:
        raise InvalidInput("会商结论须为 1 到 2000 个字符 (the meeting's decision is required)")
    if not isinstance(present, list) or not present or not all(isinstance(p, str) and p.strip() for p in present):
        raise InvalidInput("请填写参会单位 (the units present are required)")
    if not isinstance(working_days, int) or isinstance(working_days, bool) or not 1 <= working_days <= 180:
        raise InvalidInput(f"新办理时限须为 1 到 180 个工作日 (got {working_days!r})")
    if not isinstance(lead_unit, str) or not lead_unit.strip():
        raise InvalidInput("请选择主办单位 (the lead unit is required)")
    if order.hard_case_at is None:
        raise InvalidTransition(f"只有疑难工单才能登记会商 ({order.number} is not a hard case)")
    check_event(order, "instruction", held_on)  # not closed, not before the last event
    codes = check_co_units(lead_unit, co_units)
    for code in [*present, lead_unit, *codes]:
        if not unit_known(code):
            raise UnknownUnit(code)
    return codes
