"""The escalation steps still ahead of an order, each with its due time and why it falls then: the start, the
rule, and the days the working calendar skipped. The detail page shows them beside the BPMN diagram."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.clock import LOCAL_TZ
from engine.domain import deadlines
from engine.domain.calendar import WorkingCalendar
from engine.domain.model import Instruction
from engine.domain.rules import ROUTINE, RuleTable
from engine.domain.work_order import Status, WorkOrder

STEP_LABELS = {
    "sign_overdue": "超时未签收：短信 + 电话催办", "due_soon": "临期提醒短信", "overdue": "超期：短信 + 催办通知书 + 电话催办",
    "yellow": "黄牌督办", "red": "红牌督办", "letter": "督办函", "instruction_letter": "批示满月未办结：督办函",
    "instruction_report": "批示满三月未办结：专报市委市政府",
    "dispatched": "派单通知", "reopened": "重办通知", "instruction": "批示通知",
    "special_report": "批示满三月未办结：专报市委市政府",
    "escalated": "督办函逾期未书面答复：提级督办（短信 + 督办员任务 + 领导关注）",
}


def _when(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class PendingStep:
    step: str
    label: str
    due_at: datetime
    explanation: str


def pending_steps(order: WorkOrder, rules: RuleTable, cal: WorkingCalendar, *,
                  instructions: list[Instruction] = (), now: datetime) -> list[PendingStep]:  # type: ignore[assignment]
    """Steps not yet taken whose time is still ahead, earliest first (none for a replied or closed order; only
    the instruction's clocks for a returned one)."""
    if order.status in (Status.REPLIED, Status.CLOSED) or order.deadline_at is None:
        return []
    steps = _instruction_steps(instructions, rules)
    if order.returned_at is None:  # a returned order's ladder stops until the hotline re-dispatches it
        steps += _ladder(order, rules, cal)
    if order.returned_at is None and order.urgency == ROUTINE and order.signed_at is None and order.cycle == 1 \
            and "sign_overdue" not in order.fired_steps:
        steps.append(_sign_step(order, rules, cal))
    return sorted((s for s in steps if s.due_at > now), key=lambda s: s.due_at)


def _ladder(order: WorkOrder, rules: RuleTable, cal: WorkingCalendar) -> list[PendingStep]:
    assert order.deadline_at is not None
    deadline = f"办理时限 {_when(order.deadline_at)}"
    if order.urgency != ROUTINE:
        hours = {"overdue": 0, "yellow": rules.urgent_yellow_card_hours, "red": rules.urgent_red_card_hours}
        return [PendingStep(step, STEP_LABELS[step], order.deadline_at + timedelta(hours=h),
                            f"{order.urgency}件按自然时间：{deadline} 后 {h} 小时")
                for step, h in hours.items() if step not in order.fired_steps]
    day = deadlines.local_date(order.deadline_at)
    found: list[PendingStep] = []
    if "due_soon" not in order.fired_steps:
        before = cal.last_working_day_before(day)
        found.append(PendingStep("due_soon", STEP_LABELS["due_soon"], deadlines.local_instant(before, rules.due_soon_time),
                                 f"{deadline}；截止日前最后一个工作日 {before.isoformat()} "
                                 f"{rules.due_soon_time.strftime('%H:%M')}（规则：临期提醒）"))
    for step, days in (("overdue", rules.overdue_working_days), ("yellow", rules.yellow_card_working_days),
                       ("red", rules.red_card_working_days), ("letter", rules.supervision_letter_working_days)):
        if step in order.fired_steps:
            continue
        count = cal.nth_working_day_after(day, days)
        found.append(PendingStep(step, STEP_LABELS[step], deadlines.local_instant(count.result, rules.ladder_time),
                                 f"{deadline}；规则：超期第 {days} 个工作日 {rules.ladder_time.strftime('%H:%M')}；"
                                 f"{count.explain()}"))
    if "escalated" not in order.fired_steps:
        letter_at = deadlines.local_instant(cal.nth_working_day_after(day, rules.supervision_letter_working_days).result,
                                            rules.ladder_time)
        found.append(_escalation_step(letter_at, "督办函", rules, cal))
    return found


def _escalation_step(letter_at: datetime, letter: str, rules: RuleTable, cal: WorkingCalendar) -> PendingStep:
    reply_by, escalate_at = deadlines.letter_reply_times(rules, cal, letter_at)
    return PendingStep("escalated", STEP_LABELS["escalated"], escalate_at,
                       f"{letter}发于 {_when(letter_at)}，要求 {rules.letter_reply_working_days} 个工作日内"
                       f"（{_when(reply_by)} 前）书面答复；届时仍未回复，下一工作日 "
                       f"{rules.ladder_time.strftime('%H:%M')} 提级督办")


def _sign_step(order: WorkOrder, rules: RuleTable, cal: WorkingCalendar) -> PendingStep:
    window = cal.nth_working_day_after(deadlines.local_date(order.dispatched_at), rules.sign_for_working_days)
    at = deadlines.sign_overdue_at(rules, cal, order.dispatched_at)
    return PendingStep("sign_overdue", STEP_LABELS["sign_overdue"], at,
                       f"派发于 {_when(order.dispatched_at)}；规则：{rules.sign_for_working_days} 个工作日内签收，"
                       f"{window.explain()}；仍未签收则于下一工作日 {rules.sign_overdue_time.strftime('%H:%M')} 催办")


def _instruction_steps(instructions: list[Instruction], rules: RuleTable) -> list[PendingStep]:
    found = []
    for i in instructions:
        found.append(PendingStep("instruction_letter", STEP_LABELS["instruction_letter"], i.letter_due_at,
                                 f"{i.leader}于 {_when(i.instructed_at)} 批示；规则：批示后 "
                                 f"{rules.instruction_letter_months} 个月仍未办结或未报告办理情况，发督办函（自然月）"))
        found.append(PendingStep("instruction_report", STEP_LABELS["instruction_report"], i.report_due_at,
                                 f"{i.leader}于 {_when(i.instructed_at)} 批示；规则：批示后 "
                                 f"{rules.instruction_report_months} 个月仍未办结，形成专报（自然月）"))
    return found
