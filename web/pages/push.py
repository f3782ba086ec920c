"""Push deliveries for supervisors (数据推送): what waits for each receiving system (12315, the big-data centre),
which message is parked and why. A parked message can be retried once or released back to its queue."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.accounts.users import ADMIN, SUPERVISOR
from engine.persistence.api_store import ApiRecords
from engine.services import Engine
from web.auth import current
from web.context import duban
from workflows.intake.push import release_parked, retry_parked

bp = Blueprint("push", __name__)

TARGET_LABELS = {"12315": "12315 办理结果回传", "export": "大数据中心（全量数据共享）"}
STATUS_LABELS = {"pending": "待发送", "sending": "发送中", "sent": "已送达", "parked": "已搁置（待人工处理）"}


@bp.before_request
def supervisors_only() -> None:
    if current().role not in (SUPERVISOR, ADMIN):
        abort(403)


@bp.app_context_processor
def labels() -> dict[str, Any]:
    return {"PUSH_TARGET_LABELS": TARGET_LABELS, "PUSH_STATUS_LABELS": STATUS_LABELS}


@bp.get("/push")
def deliveries() -> str:
    with duban().store.reading() as tx:
        records = ApiRecords(tx)
        parked, backlog, recent = records.parked_pushes(), records.push_backlog(), records.push_messages(None, 50)
    return render_template("push.html", parked=parked, backlog=backlog, recent=recent)


def _message_id() -> int:
    text = request.form.get("message", "")
    if not text.isdigit() or not 1 <= int(text) <= 2_147_483_647:
        abort(400, f"消息编号须为正整数 (message: {text[:20]!r})")
    return int(text)


@bp.post("/push/retry")
def retry() -> Any:
    return _unpark(retry_parked, "消息 {} 将在下一轮推送时重试一次；仍失败则再次搁置。")


@bp.post("/push/release")
def release() -> Any:
    return _unpark(release_parked, "消息 {} 已放回队列，按正常间隔重试；同一目标排在其后的消息随后依次发送。")


def _unpark(action: Callable[[Engine, int, str], bool], done: str) -> Any:
    message = _message_id()
    if action(duban(), message, current().username):
        flash(done.format(message))
    else:
        flash(f"消息 {message} 不在搁置中（可能已被他人处理），未作改动。", "error")
    return redirect(url_for("push.deliveries"))
