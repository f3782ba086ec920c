"""The forms of the 2025 national rules on the work-order page, and the leadership's list of hard cases.

A unit objects to a dispatch (退单) with a reason code; a supervisor decides (同意 → 改派 to a unit, the dispatch
catalogue preselecting one; 不同意 → back to the same unit); a co-handling unit signs for its part and adds its
contribution; on a hard case (疑难工单) a supervisor records the coordination meeting (会商). A refused form shows
its message on the page and saves nothing, like every other order form."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, render_template, request

from engine.accounts.users import ADMIN, LEADER, SUPERVISOR, UNIT
from engine.assessment.periods import month_of, parse_period
from engine.domain.errors import InvalidInput
from engine.domain.objections import DECISION_LABELS
from engine.domain.work_order import WorkOrder
from engine.persistence import objection_store
from web.auth import current, roles
from web.context import duban
from web.pages import form_checks as check
from web.pages.order_actions import order_form

bp = Blueprint("objection_forms", __name__)


@order_form(bp, "objection", UNIT)
def object_to_dispatch(order: WorkOrder, form: dict[str, str]) -> str:
    reason = form.get("reason", "")
    if reason not in duban().rules.objection_reasons:
        raise InvalidInput("请选择退单理由")
    note = check.text(form, "note", "退单说明", required=reason == "其他")
    engine = duban()
    engine.object_to_dispatch(order.number, reason=reason, note=note, at=engine.clock.now(), actor=current().username,
                              unit_code=current().scope_unit)
    return "已提出退单，等待热线审核。"


@order_form(bp, "objection-decision", SUPERVISOR)
def decide_objection(order: WorkOrder, form: dict[str, str]) -> str:
    decision = form.get("decision", "")
    if decision not in DECISION_LABELS:
        raise InvalidInput("请选择同意或不同意退单")
    unit_code = check.text(form, "unit_code", "改派单位", limit=32, required=False) if decision == "accepted" else None
    note = check.text(form, "note", "审核意见", required=decision == "rejected")
    engine = duban()
    engine.decide_objection(order.number, decision=decision, unit_code=unit_code or None, note=note,
                            at=engine.clock.now(), actor=current().username)
    return "已同意退单并改派，办理时限重新起算。" if decision == "accepted" else "已不同意退单，工单退回原单位，原办理时限不变。"


@order_form(bp, "co-sign", UNIT)
def co_sign(order: WorkOrder, form: dict[str, str]) -> str:
    engine = duban()
    engine.co_sign(order.number, unit_code=str(current().scope_unit), at=engine.clock.now(), actor=current().username)
    return "已签收协办。"


@order_form(bp, "contribution", UNIT)
def contribute(order: WorkOrder, form: dict[str, str]) -> str:
    text = check.text(form, "text", "协办意见")
    engine = duban()
    engine.contribute(order.number, unit_code=str(current().scope_unit), text=text, at=engine.clock.now(),
                      actor=current().username)
    return "协办意见已提交，由主办单位统一答复。"


@order_form(bp, "consultation", SUPERVISOR)
def consultation(order: WorkOrder, form: dict[str, str]) -> str:
    engine = duban()
    now = engine.clock.now()
    held_on: date = check.day_on_or_after_dispatch(form, "held_on", "会商日期", order, now)
    present = [u for u in request.form.getlist("present") if u]
    co_units = [u for u in request.form.getlist("co_units") if u]
    lead = check.text(form, "lead_unit", "主办单位", limit=32)
    decision = check.text(form, "decision", "会商结论")
    days = check.working_days(form)
    engine.record_consultation(order.number, held_on=check.moment_of(held_on, now), present=present, decision=decision,
                               lead_unit=lead, co_units=co_units, working_days=days, actor=current().username)
    return f"会商已登记：主办单位和办理时限已按会商结论调整（{days} 个工作日）。"


@bp.get("/leader/hard-cases")
@roles(LEADER, SUPERVISOR)
def hard_cases() -> str:
    engine = duban()
    with engine.store.reading() as tx:
        rows = objection_store.hard_cases(tx.c, open_only=request.args.get("all") != "1")
        names = dict(tx.unit_names())
    return render_template("hard_cases.html", rows=rows, names=names, now=engine.clock.now())


def _period() -> Any:
    """The month asked for (?period=2026-06, a quarter 2026Q2 or a year), this month by default; 400 if malformed."""
    label = request.args.get("period")
    try:
        return parse_period(label) if label else month_of(duban().clock.now())
    except (InvalidInput, ValueError):
        abort(400, "period 格式应为 2026-06、2026Q2 或 2026")


@bp.get("/objections")
@roles(SUPERVISOR, LEADER, ADMIN)
def objection_rates() -> str:
    """回退率 per unit: how often orders that reached the unit were returned with the hotline's agreement."""
    period = _period()
    with duban().store.reading() as tx:
        figures = objection_store.objection_figures(tx.c, period.start, period.end)
        names = dict(tx.unit_names())
    rows = sorted(figures.items(), key=lambda item: (-(item[1]["return_rate"] or 0), item[0]))
    return render_template("objection_rates.html", rows=rows, names=names, period=period)


@bp.get("/objections/<code>")
@roles(SUPERVISOR, LEADER, ADMIN)
def objection_orders(code: str) -> str:
    """The orders behind a unit's 回退率: each objection, its reason and the hotline's decision."""
    unit_code = code
    period = _period()
    with duban().store.reading() as tx:
        if tx.get_unit(unit_code) is None:
            abort(404)
        found = objection_store.objections_of(tx.c, unit_code, period.start, period.end)
        figures = objection_store.objection_figures(tx.c, period.start, period.end).get(unit_code)
        names = dict(tx.unit_names())
    return render_template("objection_orders.html", objections=found, figures=figures, unit=unit_code,
                           names=names, period=period, DECISION_LABELS=DECISION_LABELS)
