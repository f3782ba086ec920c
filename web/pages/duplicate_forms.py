"""重复诉求 on the work-order page (issue 19): a supervisor dismisses a duplicate candidate (不是重复), merges the
order into another (并单) or undoes a merge. Each is one engine transaction, refused with its message on the page."""
from __future__ import annotations

from flask import Blueprint

from engine.accounts.users import SUPERVISOR
from engine.domain.errors import InvalidInput
from engine.domain.work_order import WorkOrder
from web.auth import current
from web.context import duban
from web.pages.order_actions import order_form

bp = Blueprint("duplicate_forms", __name__)


def _candidate(order: WorkOrder, form: dict[str, str]) -> int:
    """The candidate pair the form names; it must be one of this order's."""
    text = form.get("candidate", "")
    pairs = {p["id"]: p for p in duban().possible_duplicates(order.number)}
    if not text.isdigit() or int(text) not in pairs:
        raise InvalidInput("该疑似重复不属于本工单，请刷新页面")
    return int(text)


@order_form(bp, "not-duplicate", SUPERVISOR)
def dismiss_duplicate(order: WorkOrder, form: dict[str, str]) -> str:
    pair = duban().dismiss_duplicate(_candidate(order, form), actor=current().username)
    other = pair["candidate_number"] if pair["order_number"] == order.number else pair["order_number"]
    return f"已标记：与工单 {other} 不是重复诉求。"


@order_form(bp, "merge", SUPERVISOR)
def merge_order(order: WorkOrder, form: dict[str, str]) -> str:
    """并单: this order becomes a child of the order the form names."""
    parent = form.get("parent", "").strip()
    if not parent:
        raise InvalidInput("请选择要并入的工单")
    duban().merge(order.number, parent=parent, actor=current().username, note=form.get("note", "").strip()[:500])
    return f"已并单：本单并入工单 {parent}，本单不再单独督办，主单的答复和办结将记入本单。"


@order_form(bp, "unmerge", SUPERVISOR)
def unmerge_order(order: WorkOrder, form: dict[str, str]) -> str:
    duban().unmerge(order.number, actor=current().username, note=form.get("note", "").strip()[:500])
    return "已撤销并单：本单的办理时限扣除并单期间后恢复计算，督办节点重新设定。"
