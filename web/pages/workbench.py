"""The supervisor's workbench for today, and the home page that sends each role to its own start page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from engine.accounts.users import ADMIN, SUPERVISOR
from engine.casework import PHONE_OUTCOMES
from engine.persistence import board_queries as board
from web.auth import HOME_OF_ROLE, current, roles
from web.context import duban

bp = Blueprint("workbench", __name__)


@bp.get("/")
def home() -> Any:
    return redirect(url_for(HOME_OF_ROLE[current().role]))


@bp.get("/workbench")
@roles(SUPERVISOR, ADMIN)
def today() -> str:
    engine = duban()
    now = engine.clock.now()
    with engine.store.reading() as tx:
        c = tx.c
        page = {
            "fired": board.steps_fired_today(c, now), "tasks": board.open_tasks(c),
            "overdue_units": board.overdue_by_unit(c, now), "due_soon": board.due_soon(c, now),
            "returned": board.returned_orders(c), "extensions": board.extension_requests(c),
            "sms_failures": board.sms_failures(c, limit=20),
            "documents": board.issued_documents(c, since=board.day_start(now)),
        }
    return render_template("workbench.html", now=now, PHONE_OUTCOMES=PHONE_OUTCOMES, **page)
