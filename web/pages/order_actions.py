"""How every form on the work-order page runs: load the order (404 if the user may not see it), check the form,
act in one engine transaction, then show the page again — or, when the engine or a check refuses, the page with
its message (status 422) and the user's entries kept. `order_form` registers such a form in one line."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for

from engine.domain.errors import DubanError, UnknownWorkOrder
from engine.domain.work_order import WorkOrder
from web.auth import current, roles
from web.context import duban, order_or_404
from web.pages.order_page import render_order

Action = Callable[[WorkOrder, dict[str, str]], str]


def run_form(number: str, action: Action) -> Any:
    """Run one form against the order and answer as the page does: a flash and a redirect, or the refusal."""
    engine = duban()
    with engine.store.reading() as tx:
        order = order_or_404(tx, number)
    try:
        done = action(order, dict(request.form))
    except UnknownWorkOrder:
        abort(404)  # re-dispatched to another unit while the form was open
    except DubanError as exc:
        return render_order(number, error=str(exc), status=422, refused=(request.endpoint or "", dict(request.form)))
    flash(done)
    return redirect(url_for("orders.order_view", number=number))


def order_form(bp: Blueprint, path: str, *allowed: str) -> Callable[[Action], Action]:
    """Register `action(order, form) -> message` as POST /orders/<number>/<path> for these roles; the endpoint
    is the action's name, so templates and access tests name it as before."""
    def register(action: Action) -> Action:
        def view(number: str) -> Any:
            return run_form(number, action)
        view.__name__, view.__doc__ = action.__name__, action.__doc__
        bp.post(f"/orders/<number>/{path}", endpoint=action.__name__)(roles(*allowed)(view))
        return action
    return register


def record_as_user(order: WorkOrder, event: str, **kwargs: Any) -> None:
    """Record the event as the signed-in user; a unit user's only while the order is still its unit's."""
    engine = duban()
    engine.record_event(order.number, event, at=engine.clock.now(), actor=current().username,
                        unit_code=current().scope_unit, **kwargs)
