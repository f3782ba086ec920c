"""Alibaba Cloud SMS gateway (Dysmsapi 2017-05-25, through the official SDK): SendSms with the approved signature,
the approved template code and the template's values as JSON (never free text); every answer mapped to the port's
four outcomes; the ambiguity check and the polling fallback through QuerySendDetails (by number and send date,
paged); delivery reports (SmsReport) and replies (SmsUp) read from the console's HTTP batch push.

A message's `OutId` is `duban-<outbox id>-<hash of its text>`. Aliyun returns it in QuerySendDetails and in every
report, so it is the provider id Duban keeps (the BizId SendSms returns is logged): a message found after a timeout,
a pushed report and a polled one all name the same message.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from config.aliyun_templates import AliyunTemplates
from engine.ports import ACCEPTED, REJECTED, DeliveryReceipt, GatewayUnavailable, InboundSms, SmsMessage, SmsResult
from engine.sms.templates import SmsTemplates
from workflows.adapters.outcomes import refused, unanswered

if TYPE_CHECKING:
    from Tea.exceptions import TeaException

log = logging.getLogger("duban.sms.aliyun")

CHINA = timezone(timedelta(hours=8))
REPORT_PATH, UP_PATH = "/aliyun/report", "/aliyun/up"
PAGE_SIZE = 50  # QuerySendDetails' largest page
QUERY_DAYS = 30  # QuerySendDetails keeps 30 days
# Answers that say the message was not taken but may be later: flow control, the service itself, and account or
# permission problems a fix to the settings or a top-up will clear.
RETRY_CODES = frozenset({
    "isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isv.SYSTEM_ERROR",
    "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE", "isv.ACCOUNT_ABNORMAL", "isv.ACCOUNT_NOT_EXISTS",
    "isv.PRODUCT_UN_SUBSCRIPT", "isv.PRODUCT_UNSUBSCRIBE", "isp.RAM_PERMISSION_DENY", "ServiceUnavailable",
    "InternalError", "SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive",
    "IncompleteSignature", "InvalidTimeStamp.Expired", "SignatureNonceUsed", "Forbidden.RAM",
})
BAD_NUMBER_CODES = frozenset({"isv.MOBILE_NUMBER_ILLEGAL"})
# Carrier report codes: the number itself is wrong, stopped or refuses us / the handset was off or out of reach.
BAD_NUMBER_REPORTS = frozenset({"MK:0001", "MK:0005", "MK:0013", "DB:0101", "DB:0102", "CB:0001", "CB:0053",
                                "INVALID_NUMBER", "MOBILE_NOT_ON_SERVICE", "MOBILE_IN_BLACK", "USER_REJECT"})
PASSING_REPORTS = frozenset({"EXPIRED", "MK:0010", "MK:0023", "MOBILE_TERMINAL_ERROR", "UNDELIV"})
_OUT_ID = re.compile(r"^duban-(\d+)-([0-9a-f]{12})$")
_MAINLAND = re.compile(r"^(?:\+86|0086|86)?(1[3-9]\d{9})$")


def out_id_for(message_id: int, body: str) -> str:
    return f"duban-{message_id}-{text_hash(body)}"


def text_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[:12]


def domestic(phone: str) -> str:
    """+8613900000001 → 13900000001 (Aliyun's form); other numbers keep their country code, without the +."""
    match = _MAINLAND.match(phone.replace(" ", ""))
    return match.group(1) if match else phone.lstrip("+")


def international(phone: str) -> str:
    """The inverse for numbers Aliyun reports: 13900000001 → +8613900000001, the form units are registered in."""
    match = _MAINLAND.match(phone.replace(" ", ""))
    return f"+86{match.group(1)}" if match else (phone if phone.startswith("+") else f"+{phone}")


class AliyunSmsGateway:
    name = "aliyun"

    def __init__(self, *, access_key_id: str, access_key_secret: str, templates: SmsTemplates,
                 approved: AliyunTemplates, clock: Callable[[], datetime], api_url: str = "", timeout: float = 10.0,
                 push_token: str = "") -> None:
        # The SDK (a second of imports, aiohttp with them) loads with the first gateway, not with the web app's hooks.
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi import models as openapi_models
        from darabonba.runtime import RuntimeOptions
        from Tea.exceptions import TeaException

        self.sdk = SimpleNamespace(models=models, RuntimeOptions=RuntimeOptions, TeaException=TeaException)
        api = urlsplit(api_url) if api_url else None
        config = openapi_models.Config(access_key_id=access_key_id, access_key_secret=access_key_secret,
                                       endpoint=api.netloc if api else "dysmsapi.aliyuncs.com",
                                       protocol=api.scheme if api else "https",
                                       read_timeout=int(timeout * 1000), connect_timeout=int(min(timeout, 5) * 1000))
        self.client = Client(config)
        self.templates, self.approved, self.clock = templates, approved, clock
        self.push_token = push_token

    # ------------------------------------------------------------------ sending
    def send(self, message: SmsMessage) -> SmsResult:
        code = self.approved.code_of(message.template)
        if code is None:
            return SmsResult(REJECTED, error_code="no_template_code",
                             error=f"模板 {message.template} 没有已审核的阿里云模板号")
        values = self.templates.values(message.template, message.params)
        out_id = out_id_for(message.message_id, message.body)
        request = self.sdk.models.SendSmsRequest(phone_numbers=domestic(message.to), sign_name=self.approved.sign_name,
                                                 template_code=code, out_id=out_id,
                                                 template_param=json.dumps(values, ensure_ascii=False,
                                                                           separators=(",", ":")))
        try:
            answer = self.client.send_sms_with_options(request, self.sdk.RuntimeOptions()).body
        except self.sdk.TeaException as exc:
            return classify_exception(exc)
        if answer.code != "OK":
            return classify_code(answer.code or "", answer.message or "", answer.request_id or "")
        log.info("sms accepted by aliyun", extra={"sms_id": message.message_id, "biz_id": answer.biz_id,
                                                  "out_id": out_id})
        return SmsResult(ACCEPTED, provider_id=out_id, provider_status="queued")

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The OutId of a message with this text to this number sent since `since`, from QuerySendDetails."""
        wanted = text_hash(body)
        for detail in self._details(domestic(to), since):
            match = _OUT_ID.match(detail.out_id or "")
            if match and match.group(2) == wanted:
                return detail.out_id
        return None

    def poll_receipts(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryReceipt]:
        """Reports for messages awaiting one (each with recipient, provider_id, sent_at), asked per number and day."""
        by_number: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in messages:
            by_number[domestic(row["recipient"])].append(row)
        receipts = []
        for phone, rows in by_number.items():
            wanted = {row["provider_id"] for row in rows}
            since = min(row["sent_at"] for row in rows)
            for detail in self._details(phone, since):
                if detail.out_id in wanted and detail.send_status in (2, 3):
                    receipts.append(self._receipt(detail.out_id, detail.send_status == 3, detail.err_code or ""))
        return receipts

    def _details(self, phone: str, since: datetime) -> Iterator[Any]:
        """Every QuerySendDetails record for this number from `since`'s day (China time) to today, page by page."""
        today = self.clock().astimezone(CHINA).date()
        day = max(since.astimezone(CHINA).date(), today - timedelta(days=QUERY_DAYS - 1))
        while day <= today:
            page, seen = 1, 0
            while True:
                body = self._query(phone, day.strftime("%Y%m%d"), page)
                records = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
                yield from records
                seen += len(records)
                if not records or seen >= int(body.total_count or 0):
                    break
                page += 1
            day += timedelta(days=1)

    def _query(self, phone: str, day: str, page: int) -> Any:
        request = self.sdk.models.QuerySendDetailsRequest(phone_number=phone, send_date=day, page_size=PAGE_SIZE,
                                                          current_page=page)
        try:
            body = self.client.query_send_details_with_options(request, self.sdk.RuntimeOptions()).body
        except self.sdk.TeaException as exc:
            raise GatewayUnavailable(f"Aliyun QuerySendDetails could not be asked: {_describe(exc)}") from exc
        if body.code != "OK":
            raise GatewayUnavailable(f"Aliyun QuerySendDetails refused: {body.code} {body.message}")
        return body

    # ------------------------------------------------------------------ pushes from the console
    def token_valid(self, token: str) -> bool:
        return bool(self.push_token) and hmac.compare_digest(token.encode(), self.push_token.encode())

    def report(self, item: Mapping[str, Any]) -> DeliveryReceipt:
        """One SmsReport item; ValueError when it is not one."""
        out_id, success = item.get("out_id"), item.get("success")
        if not isinstance(out_id, str) or not out_id or not isinstance(success, bool):
            raise ValueError("each report needs out_id and success (true/false)")
        if not isinstance(item.get("phone_number"), str):
            raise ValueError("each report needs phone_number")
        return self._receipt(out_id, success, str(item.get("err_code") or ""))

    @staticmethod
    def reply(item: Mapping[str, Any]) -> InboundSms:
        """One SmsUp item; ValueError when it is not one."""
        phone, content, sequence = item.get("phone_number"), item.get("content"), item.get("sequence_id")
        if not isinstance(phone, str) or not phone or not isinstance(content, str) or sequence in (None, ""):
            raise ValueError("each reply needs phone_number, content and sequence_id")
        return InboundSms(provider_id=f"aliyun-up-{sequence}", sender=international(phone), body=content)

    @staticmethod
    def _receipt(out_id: str, success: bool, code: str) -> DeliveryReceipt:
        match = _OUT_ID.match(out_id)
        return DeliveryReceipt(provider_id=out_id, status="delivered" if success else "undelivered",
                               error_code=None if success else (code or "UNKNOWN")[:64],
                               retry=not success and code in PASSING_REPORTS,
                               bad_number=not success and code in BAD_NUMBER_REPORTS,
                               message_id=int(match.group(1)) if match else None)


def classify_code(code: str, message: str, request_id: str) -> SmsResult:
    """A business answer (HTTP 200, Code other than OK)."""
    return refused(code, f"Aliyun {code}: {message} (RequestId {request_id})", retry=code in RETRY_CODES,
                   bad_number=code in BAD_NUMBER_CODES)


def classify_exception(exc: TeaException) -> SmsResult:
    """A gateway answer (HTTP 4xx/5xx) or no answer at all."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        code = str(exc.code or status)
        return refused(code, f"Aliyun HTTP {status} {code}: {getattr(exc, 'request_id', '')}", status=status,
                       retry=code.startswith("Throttling") or code in RETRY_CODES)
    return unanswered("Aliyun", _describe(exc))


def _describe(exc: BaseException) -> str:
    inner = getattr(exc, "inner_exception", None)
    return repr(inner) if inner is not None else f"{exc.__class__.__name__}: {exc}"
