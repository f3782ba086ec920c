"""The work-order list (filters, search, sort, pages, CSV/XLSX export of the current filter) and the detail page
(facts, timeline, pending steps with their explanation, the BPMN diagrams with the position highlighted, SMS,
documents, cards). Unit users get the same pages restricted to their own unit."""
from __future__ import annotations

import io
from contextlib import ExitStack
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request

from engine.accounts.users import UNIT
from engine.domain.errors import InvalidInput
from engine.domain.rules import CATEGORIES, URGENCIES
from engine.domain.glance import glance
from engine.persistence.order_filter import OrderFilter
from engine.persistence.order_rows import orders_by_number
from engine.persistence.order_search import count_orders, iter_orders, search_orders
from web.auth import current
from web.context import duban
from web.pages.order_page import render_order
from workflows.order_export import csv_chunks, write_xlsx

bp = Blueprint("orders", __name__)

CARD_FILTERS = {"any": "有红黄牌", "yellow": "黄牌", "red": "红牌"}
SORTS = {"dispatched_at": "派发时间", "deadline_at": "办理时限", "number": "工单编号", "unit": "承办单位",
         "status": "状态"}
EXPORT_LIMITS = {"csv": 100_000, "xlsx": 20_000}  # an XLSX row costs ~0.2 ms to write: 20,000 in ~4 s


def _filter() -> OrderFilter:
    try:
        return OrderFilter.from_args(request.args)
    except InvalidInput as exc:
        abort(400, str(exc))


@bp.get("/orders")
def order_list() -> str:
    f = _filter()
    engine = duban()
    with engine.store.reading() as tx:
        now = engine.clock.now()
        page = search_orders(tx.c, f, now=now, scope_unit=current().scope_unit)
        units = [] if current().role == UNIT else tx.unit_names()
        orders = orders_by_number(tx.c, [r["number"] for r in page.rows])
    for row in page.rows:
        order = orders.get(row["number"])
        row["glance"] = glance(order, row["unit_name"], engine.rules, engine.calendar, now) if order else None
    return render_template("orders.html", page=page, f=f, units=units, link=_link, CATEGORIES=CATEGORIES,
                           URGENCIES=URGENCIES, CARD_FILTERS=CARD_FILTERS, SORTS=SORTS)


def _link(f: OrderFilter) -> str:
    """The query string that shows `f` (pagination and export links keep the filter)."""
    args = f.to_args()
    return "?" + urlencode(args) if args else ""


@bp.get("/orders/export.<fmt>")
def order_export(fmt: str) -> Response:
    """The current filter as a file. CSV streams from one read transaction (the count in its header and the rows
    come from the same view; the download starts at once, whatever its size); XLSX is built whole (a zip)."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    f = _filter()
    engine = duban()
    now, scope = engine.clock.now(), current().scope_unit
    stamp = now.strftime("%Y%m%d-%H%M")
    transaction = ExitStack()  # closed when the streamed CSV has been sent, or at once for the rest
    tx = transaction.enter_context(engine.store.reading())
    try:
        matching = count_orders(tx.c, f, now=now, scope_unit=scope)
        if matching > EXPORT_LIMITS[fmt]:
            abort(400, f"当前筛选有 {matching:,} 件工单，超过 {fmt.upper()} 导出上限 {EXPORT_LIMITS[fmt]:,} 件，"
                       f"请缩小筛选范围（如按单位或状态）后再导出。")
        headers = {"Content-Disposition": f'attachment; filename="orders-{stamp}.{fmt}"'}
        if fmt == "csv":
            rows = iter_orders(tx.c, f, now=now, scope_unit=scope)
            response = Response(csv_chunks(rows), mimetype="text/csv; charset=utf-8",
                                headers={**headers, "X-Row-Count": str(matching)})
            response.call_on_close(transaction.close)
            return response
        out = io.BytesIO()
        count = write_xlsx(iter_orders(tx.c, f, now=now, scope_unit=scope), out)
    except BaseException:
        transaction.close()
        raise
    transaction.close()
    return Response(out.getvalue(), headers={**headers, "X-Row-Count": str(count)},
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/orders/<number>")
def order_view(number: str) -> Any:
    return render_order(number)
