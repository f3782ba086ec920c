"""A handling unit's own pages: what waits for it today, and its cards and letters."""
from __future__ import annotations

from flask import Blueprint, render_template

from engine.accounts.users import UNIT
from engine.persistence import board_queries as board
from engine.persistence import objection_store
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
def cards_and_letters() -> str:
    engine = duban()
    unit = current().unit_code
    assert unit is not None
    with engine.store.reading() as tx:
        found = board.unit_cards(tx.c, unit)
        letters = board.issued_documents(tx.c, unit=unit, kinds=LETTER_KINDS)
    return render_template("unit_cards.html", cards=found, letters=letters)
