"""Alibaba Cloud's HTTP batch push: delivery reports (SmsReport) and replies (SmsUp), each a JSON array.

Aliyun does not sign its pushes. What it allows is a URL of our choosing, so the URLs registered in the console carry
a secret (DUBAN_ALIYUN_PUSH_TOKEN): `https://host/aliyun/report/<token>` and `https://host/aliyun/up/<token>`. A wrong
token gets 403 and changes nothing; a report is applied only to the message it names by our OutId and only when its
number is that message's number; each (message, status) is recorded once and statuses only move forward (ReceiptBook).
A batch with a malformed item is refused whole (400) so nothing half-applies; Aliyun answers 200 + {"code": 0}."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request

from engine.domain.errors import InvalidInput
from engine.ports import DeliveryReceipt
from workflows.adapters.aliyun_sms import REPORT_PATH, UP_PATH, AliyunSmsGateway, domestic
from workflows.bootstrap import SmsServices

bp = Blueprint("aliyun", __name__)
RECEIVED = {"code": 0, "msg": "接收成功"}


def _checked(token: str) -> tuple[SmsServices, AliyunSmsGateway, list[Any]]:
    sms: SmsServices = current_app.extensions["duban.sms"]
    gateway = sms.gateway
    if not isinstance(gateway, AliyunSmsGateway) or not gateway.push_token:
        abort(404)  # this deployment does not take Aliyun pushes
    if not gateway.token_valid(token):
        current_app.logger.warning("aliyun push refused: wrong token", extra={"path": request.path.split("/")[2]})
        abort(403)
    try:  # UTF-8, or UTF-16/32 (json detects them); any Content-Type, as the console sends what it sends
        items = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):  # not JSON, not Unicode, or nested beyond any report
        abort(400, "expected a JSON array of objects")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        abort(400, "expected a JSON array of objects")
    if not all(_unicode(key) and _unicode(value) for item in items for key, value in item.items()):
        abort(400, "text with a lone surrogate is not Unicode")  # it could be neither stored nor logged
    return sms, gateway, items


def _unicode(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


@bp.post(f"{REPORT_PATH}/<token>")
def report(token: str) -> Any:
    sms, gateway, items = _checked(token)
    try:
        receipts = [(gateway.report(item), item["phone_number"]) for item in items]
    except ValueError as exc:
        abort(400, str(exc))
    outcomes = [_apply(sms, receipt, phone) for receipt, phone in receipts]
    return jsonify({**RECEIVED, "outcomes": outcomes})


def _apply(sms: SmsServices, receipt: DeliveryReceipt, phone: str) -> str:
    with sms.delivery.store.reading() as tx:
        row = tx.sms_by_provider_id(receipt.provider_id)
    if row is not None and domestic(row["recipient"]) != domestic(phone):
        current_app.logger.warning("aliyun report refused: number differs from the message's",
                                   extra={"sms_id": row["id"]})
        return "number mismatch"
    try:
        return sms.receipts.apply(receipt)
    except InvalidInput as exc:
        return str(exc)


@bp.post(f"{UP_PATH}/<token>")
def reply(token: str) -> Any:
    sms, gateway, items = _checked(token)
    try:
        replies = [gateway.reply(item) for item in items]
    except ValueError as exc:
        abort(400, str(exc))
    # The answer cannot be texted back (Aliyun sends approved templates only); it is kept with the reply.
    outcomes = [sms.replies.handle_inbound(message) for message in replies]
    return jsonify({**RECEIVED, "outcomes": outcomes})
