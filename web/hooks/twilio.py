"""Twilio webhooks: delivery receipts and replies. Only requests carrying a valid X-Twilio-Signature over our
public URL (DUBAN_PUBLIC_URL, as Twilio called it, before any TLS-terminating proxy) are accepted."""
from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, request

from engine.domain.errors import InvalidInput
from workflows.adapters.twilio_sms import INBOUND_PATH, STATUS_CALLBACK_PATH, TwilioSmsGateway
from workflows.bootstrap import SmsServices

bp = Blueprint("twilio", __name__)


def _checked() -> tuple[SmsServices, TwilioSmsGateway]:
    sms: SmsServices = current_app.extensions["duban.sms"]
    gateway = sms.gateway
    if not isinstance(gateway, TwilioSmsGateway):
        abort(404)  # this deployment does not use Twilio
    path = request.full_path if request.query_string else request.path
    if not gateway.signature_valid(path, request.form.to_dict(), request.headers.get("X-Twilio-Signature", "")):
        current_app.logger.warning("twilio webhook refused: bad signature", extra={"path": request.path})
        abort(403)
    return sms, gateway


@bp.post(STATUS_CALLBACK_PATH)
def status_callback() -> Any:
    sms, gateway = _checked()
    try:
        receipt = gateway.receipt(request.form.to_dict(), request.args.to_dict())
        outcome = sms.receipts.apply(receipt)
    except (ValueError, InvalidInput) as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    return Response(outcome, status=200, mimetype="text/plain")


@bp.post(INBOUND_PATH)
def inbound() -> Any:
    sms, gateway = _checked()
    try:
        message = gateway.inbound(request.form.to_dict())
    except ValueError as exc:
        return Response(str(exc), status=400, mimetype="text/plain")
    answer = sms.replies.handle_inbound(message)
    twiml = f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(answer)}</Message></Response>'
    return Response(twiml, status=200, mimetype="application/xml")
