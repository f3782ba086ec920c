"""SMS pages for supervisors: the outbox (what went out, when, to whom, whether it arrived)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request

from engine.domain.phones import mask
from engine.persistence import queries
from engine.accounts.users import ADMIN, SUPERVISOR
from web.auth import current
from web.context import duban
from web.pages.form_checks import MAX_PAGE
from workflows.bootstrap import SmsServices

bp = Blueprint("sms", __name__)


@bp.before_request
def supervisors_only() -> None:
    if current().role not in (SUPERVISOR, ADMIN):
        abort(403)

STATUS_LABELS = {
    "pending": "待发送", "sending": "发送中", "unknown": "待核实（超时）", "queued": "服务商已接收", "sent": "已发出",
    "delivered": "已送达", "undelivered": "未送达", "failed": "发送失败", "suppressed": "24小时内同内容，未重发",
    "merged": "已并入汇总短信",
}
GROUP_LABELS = {"waiting": "等待中", "delivered": "已送达", "failed": "失败", "covered": "合并/免发"}


def sms_services() -> SmsServices:
    services: SmsServices = current_app.extensions["duban.sms"]
    return services


@bp.app_template_filter("masked")
def masked(phone: str | None) -> str:
    return mask(phone) if phone else "—"


@bp.app_context_processor
def labels() -> dict[str, Any]:
    return {"SMS_STATUS_LABELS": STATUS_LABELS, "SMS_GROUP_LABELS": GROUP_LABELS}


@bp.get("/sms")
def outbox() -> str:
    group = request.args.get("group") or None
    if group is not None and group not in GROUP_LABELS:
        abort(400, f"unknown group {group!r}")
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)
    engine = duban()
    with engine.store.reading() as tx:
        totals, rows = queries.sms_list(tx.c, group=group, limit=100, offset=(page - 1) * 100)
        failing = tx.failing_contacts()
    return render_template("sms.html", rows=rows, totals=totals, group=group, page=page, failing=failing,
                           gateway=sms_services().gateway.name)


@bp.get("/sms/<int(max=2147483647):message_id>")
def message(message_id: int) -> str:
    engine = duban()
    with engine.store.reading() as tx:
        row = tx.sms_row(message_id)
        if row is None:
            abort(404)
        receipts = tx.receipts_of(message_id)
        merged = tx.merged_into(message_id)
    return render_template("sms_message.html", m=row, receipts=receipts, merged=merged)
