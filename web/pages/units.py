"""A handling unit's own pages: what waits for it today, and its cards and letters."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.accounts.users import UNIT
from engine.clock import format_local
from engine.domain.errors import DubanError, UnknownWorkOrder
from engine.persistence import board_queries as board
from engine.persistence import objection_store
from engine.persistence.escalation_queries import letters_of
from web.auth import current, roles
from web.context import duban

bp = Blueprint("unit", __name__)
LETTER_KINDS = ("urge_notice", "supervision_letter")


@bp.get("/unit")
@roles(UNIT)
def home() -> str:
    engine = duban()
    now = engine.clock.now()
    unit = current().unit_code
    assert unit is not None
    with engine.store.reading() as tx:
        unit_row = tx.get_unit(unit)
        to_sign = board.to_sign(tx.c, unit)
        overdue = board.overdue_orders(tx.c, now, unit=unit)
        due_soon = board.due_soon(tx.c, now, unit=unit)
        co_handled = objection_store.co_handled_orders(tx.c, unit)
    return render_template("unit_home.html", unit=unit_row, to_sign=to_sign, overdue=overdue, due_soon=due_soon,
                           co_handled=co_handled, now=now)


@bp.get("/unit/cards")
@roles(UNIT)
def cards_and_letters(error: str | None = None, status: int = 200) -> Any:
    engine = duban()
    unit = current().unit_code
    assert unit is not None
    with engine.store.reading() as tx:
        found = board.unit_cards(tx.c, unit)
        letters = board.issued_documents(tx.c, unit=unit, kinds=LETTER_KINDS)
        to_answer = letters_of(tx.c, unit)
    return render_template("unit_cards.html", cards=found, letters=letters, to_answer=to_answer, error=error,
                           kept=request.form if error else {}, now_iso=format_local(engine.clock.now())), status


@bp.post("/unit/letters/<number>/answer")
@roles(UNIT)
def answer_letter(number: str) -> Any:
    """The unit answers a 督办函 in writing; a refused answer shows the page again with the message."""
    engine = duban()
    unit = current().unit_code
    assert unit is not None
    try:
        engine.answer_letter(number, text=request.form.get("text", ""), at=engine.clock.now(),
                             actor=current().username, unit_code=unit)
    except UnknownWorkOrder:
        abort(404)
    except DubanError as exc:
        return cards_and_letters(error=str(exc), status=422)
    flash(f"已提交工单 {number} 督办函的书面答复。")
    return redirect(url_for("unit.cards_and_letters"))
