"""The operations BPMN service tasks name. BPMN decides when; these decide what.

Each operation looks at the context and returns the actions to record. None does I/O: the engine
stores the actions with their outbox rows in the transaction that advanced the workflow, and the
outbox is delivered afterwards.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from engine.clock import format_local
from engine.domain.deadlines import letter_reply_times, sms_send_at
from engine.domain.errors import InvalidInput
from engine.domain.model import Action
from engine.domain.rules import ROUTINE
from engine.ports import ActionContext, Operation


def send_sms(ctx: ActionContext, params: Mapping[str, Any]) -> list[Action]:
    """One SMS per contact number of the unit, held until the quiet hours end (urgent orders excepted)."""
    template = params.get("template")
    if not template:
        raise InvalidInput("sms.send needs a template parameter")
    if ctx.order is None or ctx.unit is None:
        raise InvalidInput(f"sms.send ({template}) needs a work order and its unit")
    send_at = sms_send_at(ctx.rules, ctx.at, urgent=ctx.order.urgency != ROUTINE)
    return [Action("sms", ctx.at, ctx.order.number, ctx.unit.code, params.get("step"), to=phone,
                   template=str(template), send_at=send_at, details={"params": _sms_params(ctx)})
            for phone in ctx.unit.phones]


def _sms_params(ctx: ActionContext) -> dict[str, str]:
    assert ctx.order is not None and ctx.unit is not None
    params = {"order": ctx.order.number, "unit": ctx.unit.name}
    if ctx.order.deadline_at is not None:
        params["deadline"] = ctx.order.deadline_at.astimezone(ctx.at.tzinfo).isoformat()
    return params


def _order_action(kind: str) -> Operation:
    """An action recorded against the unit the step serves (the order's unit, or a co-handling unit in its own
    sign-for process): a card, a letter, a notice, a task, a report, a re-dispatch, a hard case."""
    def operation(ctx: ActionContext, params: Mapping[str, Any]) -> list[Action]:
        if ctx.order is None:
            raise InvalidInput(f"{kind} needs a work order")
        details: dict[str, Any] = {}
        if ctx.instruction is not None:
            details = {"instruction_id": ctx.instruction.id, "leader": ctx.instruction.leader}
        unit_code = ctx.unit.code if ctx.unit is not None else ctx.order.unit_code
        return [Action(kind, ctx.at, ctx.order.number, unit_code, params.get("step"), details=details)]

    operation.__name__ = f"record_{kind}"
    return operation


def supervision_letter(ctx: ActionContext, params: Mapping[str, Any]) -> list[Action]:
    """The 督办函, carrying its written-reply date (and when an order still not replied then escalates)."""
    letters = _order_action("supervision_letter")(ctx, params)
    reply_by, escalate_at = letter_reply_times(ctx.rules, ctx.calendar, ctx.at)
    return [replace(letter, details={**letter.details, "reply_by": format_local(reply_by),
                                     "escalate_at": format_local(escalate_at)}) for letter in letters]


def escalated(ctx: ActionContext, params: Mapping[str, Any]) -> list[Action]:
    """提级督办: the record that the order escalated past its letter's reply date (listed for leadership)."""
    actions = _order_action("escalated")(ctx, params)
    reply_by = params.get("reply_by")
    return [replace(a, details={**a.details, **({"reply_by": str(reply_by)} if reply_by else {})}) for a in actions]


def quarterly_report(ctx: ActionContext, params: Mapping[str, Any]) -> list[Action]:
    quarter = params.get("quarter") or ctx.quarter
    if not quarter:
        raise InvalidInput("report.quarterly needs the quarter")
    return [Action("quarterly_report", ctx.at, details={"quarter": str(quarter)})]


OPERATIONS: dict[str, Callable[[ActionContext, Mapping[str, Any]], list[Action]]] = {
    "sms.send": send_sms,
    "task.phone_urge": _order_action("phone_urge"),
    "document.urge_notice": _order_action("urge_notice"),
    "card.yellow": _order_action("yellow_card"),
    "card.red": _order_action("red_card"),
    "letter.supervision": supervision_letter,
    "escalation.record": escalated,
    "report.special": _order_action("special_report"),
    "report.quarterly": quarterly_report,
    "task.objection_overdue": _order_action("objection_overdue"),
    "order.redispatched": _order_action("redispatched"),
    "case.hard": _order_action("hard_case"),
    "merge.record": _order_action("merged"),  # 并单 (bpmn/order_merge.bpmn): the child's ladder stopped
    "merge.parent_replied": _order_action("merged_reply"),  # the parent's reply recorded on the child
    "merge.parent_closed": _order_action("merged_closed"),  # the parent's closing recorded on the child
}
