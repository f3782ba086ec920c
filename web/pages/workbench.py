"""The supervisor's workbench for today — the live call queue first — and the home page that sends each role to its
own start page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.accounts.users import ADMIN, SUPERVISOR
from engine.casework import PHONE_OUTCOMES
from engine.domain.glance import glance
from engine.domain.phones import mask
from engine.persistence import board_queries as board
from engine.persistence import call_queue
from web.auth import HOME_OF_ROLE, current, roles
from web.context import duban
from web.pages.labels import QUEUE_KINDS

bp = Blueprint("workbench", __name__)
MAX_PAGE = 10_000


@bp.get("/")
def home() -> Any:
    return redirect(url_for(HOME_OF_ROLE[current().role]))


@bp.get("/workbench")
@roles(SUPERVISOR, ADMIN)
def today() -> str:
    engine = duban()
    now = engine.clock.now()
    page = request.args.get("page", 1, type=int) or 1
    kind = request.args.get("kind") or None
    if page < 1 or page > MAX_PAGE or (kind is not None and kind not in QUEUE_KINDS):
        abort(400)
    with engine.store.reading() as tx:
        c = tx.c
        counts = call_queue.queue_counts(c)
        tasks = call_queue.queue_page(c, page=page, kind=kind)
        figures = {
            "fired": board.steps_fired_today(c, now),
            "overdue_units": board.overdue_by_unit(c, now), "due_soon": board.due_soon(c, now),
            "returned": board.returned_orders(c), "extensions": board.extension_requests(c),
            "sms_failures": board.sms_failures(c, limit=20),
            "documents": board.issued_documents(c, since=board.day_start(now)),
        }
    full_numbers = current().role == SUPERVISOR  # supervisors make the calls
    for task in tasks:
        task["queue_kind"] = call_queue.queue_kind(task)
        task["glance"] = (glance(task["order"], task["unit_name"] or "", engine.rules, engine.calendar, now)
                          if task["order"] is not None else None)
        for contact in task["contacts"]:
            contact["shown"] = contact["phone"] if full_numbers else mask(contact["phone"])
    total = sum(counts.values()) if kind is None else counts.get(kind, 0)
    return render_template("workbench.html", now=now, PHONE_OUTCOMES=PHONE_OUTCOMES, tasks=tasks, counts=counts,
                           total=total, page=page, kind=kind, pages=max(1, -(-total // call_queue.PAGE_SIZE)),
                           QUEUE_KINDS=QUEUE_KINDS, **figures)
