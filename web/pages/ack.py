"""The acknowledgement page a unit's contact opens from the link in an SMS (no password: the signed link is the
credential; the forms still carry a CSRF token tied to the browser's session)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.domain.errors import DubanError, InvalidTransition, UnknownWorkOrder
from engine.sms.links import ExpiredLink, InvalidLink
from engine.sms.replies import explain_refusal
from web.pages.sms import sms_services

bp = Blueprint("ack", __name__)


@bp.get("/a/<token>")
def acknowledgement(token: str) -> Any:
    return _link_page(token, lambda: sms_services().replies.open(token))


@bp.post("/a/<token>/ack")
def acknowledge(token: str) -> Any:
    return _link_page(token, lambda: sms_services().replies.acknowledge(token), done="已确认收到，谢谢。")


@bp.post("/a/<token>/sign")
def sign(token: str) -> Any:
    number = (request.form.get("order") or "").strip()
    replies = sms_services().replies

    def act() -> Any:
        replies.sign(token, number)
        return replies.open(token)

    return _link_page(token, act, done=f"工单{number}已签收，请按期办理。")


def _link_page(token: str, act: Any, done: str | None = None) -> Any:
    try:
        view = act()
    except ExpiredLink:
        return render_template("ack_refused.html", reason="链接已过期，请联系市12345热线办获取新的提醒。"), 410
    except InvalidLink:
        return render_template("ack_refused.html", reason="链接无效。请使用短信中的完整链接。"), 403
    except UnknownWorkOrder:
        abort(404)
    except InvalidTransition as exc:
        view = sms_services().replies.open(token)
        return render_template("ack.html", view=view, token=token, error=explain_refusal(exc)), 409
    except DubanError as exc:
        return render_template("ack_refused.html", reason=str(exc)), 400
    if done and request.method == "POST":  # POST-redirect-GET: a reload does not post again
        flash(done)
        return redirect(url_for("ack.acknowledgement", token=token), code=303)
    return render_template("ack.html", view=view, token=token)
