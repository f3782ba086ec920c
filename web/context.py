"""What every page module reaches for: the engine, the services beside it, and the order a user may see."""
from __future__ import annotations

from typing import Any

from flask import abort, current_app

from engine.casework import Casework
from engine.services import Engine
from web.auth import current


def duban() -> Engine:
    engine: Engine = current_app.extensions["duban"]
    return engine


def casework() -> Casework:
    return Casework(duban().store, duban().clock)


def visible_unit_or_404(unit_code: str) -> None:
    """A unit user asking about another unit gets 404, exactly as if it did not exist."""
    if not current().may_see_unit(unit_code):
        abort(404)


def order_or_404(tx: Any, number: str) -> Any:
    """The order if it exists and the signed-in user may see it (its lead unit, a co-handling unit, the hotline);
    404 otherwise (also for other units' orders)."""
    order = tx.get_order(number)
    if order is None or not (current().may_see_unit(order.unit_code)
                             or any(current().may_see_unit(str(c["unit"])) for c in order.co_units)):  # 协办单位
        abort(404)
    return order
