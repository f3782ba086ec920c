"""The forms on the work-order page. A unit user signs, returns (退单), reports progress, replies and asks for an
extension; a supervisor approves extensions, re-dispatches, closes, adds an instruction, issues or withdraws a
card and completes phone-urging tasks. A refused form shows its message on the page (status 422) and saves nothing:
each action is one engine transaction, attempted only after the form's checks passed."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for

from engine.accounts.users import SUPERVISOR, UNIT
from engine.domain.errors import DubanError, InvalidInput
from engine.clock import LOCAL_TZ
from engine.domain.work_order import SATISFACTION_GRADES, Status, WorkOrder
from engine.persistence.board_queries import open_extension_request
from web.pages import form_checks as check
from web.auth import current, roles
from web.context import casework, duban, order_or_404
from web.pages.order_actions import order_form, record_as_user, run_form
from web.pages.order_page import render_order

bp = Blueprint("order_forms", __name__)


def _open_request(order: WorkOrder, form: dict[str, str]) -> int:
    """The extension request the form answers; the engine refuses it if it is no longer the open one."""
    with duban().store.reading() as tx:
        pending = open_extension_request(tx.c, order.number)
    if pending is None or form.get("request") != str(pending):
        raise InvalidInput("该工单没有待审批的延期申请，或申请已被处理")
    return pending


# ----------------------------------------------------------------------------------------- the handling unit
@order_form(bp, "sign", UNIT)
def sign(order: WorkOrder, form: dict[str, str]) -> str:
    record_as_user(order, "signed")
    return "已签收，请在办理时限内办结。"


@order_form(bp, "return", UNIT)
def give_back(order: WorkOrder, form: dict[str, str]) -> str:
    reason = check.text(form, "reason", "退单理由")
    record_as_user(order, "returned", details={"reason": reason})
    return "已退单，等待热线重新派发。"


@order_form(bp, "progress", UNIT)
def progress(order: WorkOrder, form: dict[str, str]) -> str:
    check.still_open(order)
    note = check.text(form, "note", "办理进展")
    record_as_user(order, "progress_reported", note=note)
    return "办理进展已报告。"


@order_form(bp, "reply", UNIT)
def reply(order: WorkOrder, form: dict[str, str]) -> str:
    check.still_open(order)
    text = check.text(form, "reply", "答复内容")
    now = duban().clock.now()
    handled_on = check.day_on_or_after_dispatch(form, "handled_on", "办结日期", order, now)
    attachments = check.text(form, "attachments", "附件说明", required=False)
    record_as_user(order, "replied", note=text, details={"handled_on": handled_on.isoformat(),
                                                 **({"attachments": attachments} if attachments else {})})
    return "已办结回复，等待热线审核。"


@order_form(bp, "extension-request", UNIT)
def request_extension(order: WorkOrder, form: dict[str, str]) -> str:
    check.still_open(order)
    days = check.working_days(form)
    reason = check.text(form, "reason", "延期理由")
    check.before_deadline(order, duban().clock.now())
    record_as_user(order, "extension_requested", working_days=days, details={"reason": reason})
    return f"已申请延期 {days} 个工作日，等待热线审批。"


# ----------------------------------------------------------------------------------------- the supervisor
@order_form(bp, "extension-approve", SUPERVISOR)
def approve_extension(order: WorkOrder, form: dict[str, str]) -> str:
    request_id = _open_request(order, form)
    days = check.working_days(form)
    note = check.text(form, "note", "审批意见", required=False)
    record_as_user(order, "extension_approved", working_days=days, note=note, details={"request": request_id})
    return f"已批准延期 {days} 个工作日，督办时间已按新时限重排。"


@order_form(bp, "extension-reject", SUPERVISOR)
def reject_extension(order: WorkOrder, form: dict[str, str]) -> str:
    request_id = _open_request(order, form)
    reason = check.text(form, "reason", "不予延期的理由")
    record_as_user(order, "extension_rejected", details={"reason": reason, "request": request_id})
    return "已不予延期，原办理时限不变。"


@order_form(bp, "redispatch", SUPERVISOR)
def redispatch(order: WorkOrder, form: dict[str, str]) -> str:
    unit_code = check.text(form, "unit_code", "承办单位", limit=32)
    note = check.text(form, "note", "派发说明", required=False)
    engine = duban()
    engine.redispatch(order.number, unit_code=unit_code, at=engine.clock.now(), actor=current().username, note=note)
    return "已重新派发，办理时限重新起算。"


@order_form(bp, "close", SUPERVISOR)
def close(order: WorkOrder, form: dict[str, str]) -> str:
    record_as_user(order, "closed", note=check.text(form, "note", "办结意见", required=False))
    return "工单已办结。"


@order_form(bp, "send-back", SUPERVISOR)
def send_back(order: WorkOrder, form: dict[str, str]) -> str:
    """退回重办: the reply is not good enough; the order is reopened with a new deadline and the unit told by SMS."""
    if order.status not in (Status.REPLIED, Status.CLOSED):
        raise InvalidInput("只有承办单位已回复（或已办结）的工单才能退回重办")
    reason = check.text(form, "reason", "退回重办理由")
    record_as_user(order, "reopened", details={"reason": reason})
    with duban().store.reading() as tx:
        reopened = tx.get_order(order.number)
    deadline = reopened.deadline_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return f"已退回重办，新的办理时限：{deadline}；已短信通知承办单位。"


@order_form(bp, "callback", SUPERVISOR)
def callback(order: WorkOrder, form: dict[str, str]) -> str:
    """回访: the citizen's verdict on the reply, whether the problem is solved, and whether the unit is to blame."""
    if order.status not in (Status.REPLIED, Status.CLOSED):
        raise InvalidInput("只有承办单位已回复（或已办结）的工单才能登记回访")
    satisfaction = check.choice(form, "satisfaction", "回访满意度", SATISFACTION_GRADES)
    solved = check.choice(form, "solved", "问题是否解决", ("yes", "no")) == "yes"
    attributed = check.choice(form, "attributed", "是否归责承办单位", ("yes", "no")) == "yes"
    note = check.text(form, "note", "回访记录", required=False)
    record_as_user(order, "callback", note=note, details={"satisfaction": satisfaction, "solved": solved,
                                                  "attributed_to_unit": attributed})
    return f"回访已登记：{satisfaction}。"


@order_form(bp, "instruction", SUPERVISOR)
def instruction(order: WorkOrder, form: dict[str, str]) -> str:
    check.still_open(order)
    leader = check.text(form, "leader", "批示领导", limit=100)
    text = check.text(form, "text", "批示内容")
    now = duban().clock.now()
    day = check.day_on_or_after_dispatch(form, "instructed_on", "批示日期", order, now)
    duban().add_instruction(order.number, leader=leader, text=text, at=check.moment_of(day, now),
                            actor=current().username)
    return "领导批示已登记：满 1 个月未办结发督办函，满 3 个月形成专报。"


@order_form(bp, "cards", SUPERVISOR)
def issue_card(order: WorkOrder, form: dict[str, str]) -> str:
    color = form.get("color", "")
    duban().issue_card(order.number, color=color, reason=form.get("reason", ""), actor=current().username)
    return "已亮牌。"


@bp.post("/cards/<int(max=2147483647):card_id>/withdraw")
@roles(SUPERVISOR)
def withdraw_card(card_id: int) -> Any:
    try:
        card = casework().card(card_id)
    except DubanError:
        abort(404)
    return run_form(card.order_number, lambda order, form: (
        casework().withdraw_card(card_id, reason=form.get("reason", ""), actor=current().username) or "已撤销。"))


@bp.post("/tasks/<int(max=2147483647):task_id>/done")
@roles(SUPERVISOR)
def task_done(task_id: int) -> Any:
    form = dict(request.form)
    back = request.form.get("back") == "workbench"
    try:
        number = casework().complete_task(task_id, outcome=form.get("outcome", ""), note=form.get("note", ""),
                                          actor=current().username)
    except DubanError as exc:
        if back:
            flash(f"任务 {task_id}：{exc}", "error")
            return redirect(url_for("workbench.today"))
        number = casework().task_order(task_id)
        if number is None:
            abort(404)
        return render_order(number, error=str(exc), status=422)
    flash("电话催办已记录。")
    if back or number is None:
        return redirect(url_for("workbench.today"))
    return redirect(url_for("orders.order_view", number=number))


@bp.post("/orders/<number>/citizen")
@roles(SUPERVISOR, UNIT)
def reveal_citizen(number: str) -> Any:
    """Show the citizen's full number once, to call back; the look is in the audit log."""
    engine = duban()
    with engine.store.transaction() as tx:
        order_or_404(tx, number)
        tx.audit(engine.clock.now(), current().username, "citizen.revealed", number, {})
    return render_order(number, reveal=True)
