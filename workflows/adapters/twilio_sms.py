"""Twilio SMS gateway: renders nothing itself (Duban hands it the approved text), classifies every failure so
the outbox never has to know Twilio's error codes, and checks Twilio's webhook signatures.

Twilio does not take replies from mainland Chinese numbers; units answer through the signed link instead (the
inbound webhook is there for gateways and numbers that do carry replies).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from engine.ports import ACCEPTED, DeliveryReceipt, GatewayUnavailable, InboundSms, SmsMessage, SmsResult
from workflows.adapters.outcomes import refused, unanswered

log = logging.getLogger("duban.sms.twilio")

STATUS_CALLBACK_PATH = "/twilio/status"
INBOUND_PATH = "/twilio/inbound"
# The number itself is the problem: invalid, unsubscribed (STOP), not a mobile, unknown, a landline.
BAD_NUMBER_CODES = frozenset({21211, 21610, 21614, 30005, 30006})
# Delivery failed for a passing reason (handset off or out of coverage, carrier queue): worth another try.
PASSING_DELIVERY_CODES = frozenset({30001, 30003, 30008})
LIST_PAGE_SIZE = 1000  # Twilio's largest page
RETRY_CODES = frozenset({20429, 20003})  # too many requests; authentication (a fix to the settings will let it through)


class _RedirectingHttpClient(TwilioHttpClient):
    """Sends every Twilio request to another base URL (a local fake Twilio), keeping path and query."""

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._base = urlsplit(base_url)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        target = urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, ""))
        return super().request(method, target, *args, **kwargs)


class TwilioSmsGateway:
    name = "twilio"

    def __init__(self, *, account_sid: str, auth_token: str, public_url: str, from_number: str = "",
                 messaging_service_sid: str = "", api_url: str = "", timeout: float = 10.0) -> None:
        if bool(from_number) == bool(messaging_service_sid):
            raise ValueError("give exactly one of from_number and messaging_service_sid")
        http = (_RedirectingHttpClient(api_url, timeout=timeout) if api_url else TwilioHttpClient(timeout=timeout))
        self.client = Client(account_sid, auth_token, http_client=http)
        self.validator = RequestValidator(auth_token)
        self.public_url = public_url.rstrip("/")
        self.from_number, self.messaging_service_sid = from_number, messaging_service_sid

    # ------------------------------------------------------------------ sending
    def send(self, message: SmsMessage) -> SmsResult:
        sender = ({"messaging_service_sid": self.messaging_service_sid} if self.messaging_service_sid
                  else {"from_": self.from_number})
        try:
            created = self.client.messages.create(
                to=message.to, body=message.body, **sender,
                status_callback=f"{self.public_url}{STATUS_CALLBACK_PATH}?m={message.message_id}")
        except TwilioRestException as exc:
            return classify_rest_error(exc)
        except requests.exceptions.RequestException as exc:  # refused (never sent), or a read timeout, a reset
            return unanswered("Twilio", _describe(exc))      # connection, a broken response: it may have been sent
        return SmsResult(ACCEPTED, provider_id=created.sid, provider_status=str(created.status or "queued"))

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """Page through every message Twilio holds to this number sent since `since` (newest first) for this
        exact text; a busy number can have hundreds after the attempt, so no page limit."""
        floor = since.replace(microsecond=0)
        try:
            for message in self.client.messages.stream(to=to, date_sent_after=floor, page_size=LIST_PAGE_SIZE):
                created = message.date_created
                if created is not None and created < floor:
                    break  # older than the attempt: it cannot be there
                if message.body == body:
                    return message.sid
        except (TwilioRestException, requests.exceptions.RequestException) as exc:
            raise GatewayUnavailable(f"Twilio could not be asked: {exc.__class__.__name__}") from exc
        return None

    # ------------------------------------------------------------------ webhooks
    def signature_valid(self, path_and_query: str, form: Mapping[str, str], signature: str) -> bool:
        """Twilio signs the URL it was given (our public URL, before any TLS-terminating proxy) and the form."""
        return bool(signature) and self.validator.validate(self.public_url + path_and_query, dict(form), signature)

    @staticmethod
    def receipt(form: Mapping[str, str], query: Mapping[str, str]) -> DeliveryReceipt:
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        status = form.get("MessageStatus") or form.get("SmsStatus") or ""
        if not sid or not status:
            raise ValueError("MessageSid and MessageStatus are required")
        code_text = (form.get("ErrorCode") or "").strip()
        code = int(code_text) if code_text.isdigit() else None
        ref = query.get("m", "")
        return DeliveryReceipt(provider_id=sid, status=status, error_code=code_text or None,
                               retry=status == "undelivered" and code in PASSING_DELIVERY_CODES,
                               bad_number=code in BAD_NUMBER_CODES, message_id=int(ref) if ref.isdigit() else None)

    @staticmethod
    def inbound(form: Mapping[str, str]) -> InboundSms:
        sid, sender = form.get("MessageSid") or form.get("SmsSid") or "", form.get("From") or ""
        if not sid or not sender:
            raise ValueError("MessageSid and From are required")
        return InboundSms(provider_id=sid, sender=sender, body=form.get("Body") or "")


def classify_rest_error(exc: TwilioRestException) -> SmsResult:
    code = exc.code if isinstance(exc.code, int) else None
    text = f"Twilio {exc.status}" + (f" code {code}" if code else "") + f": {exc.msg}"
    return refused(str(code) if code else str(exc.status), text, status=exc.status,
                   retry=code in RETRY_CODES or exc.status == 401, bad_number=code in BAD_NUMBER_CODES)


def _describe(exc: requests.exceptions.RequestException) -> str:
    """The exception and what urllib3 said under it (its name tells a refused connection from a lost one)."""
    inner = exc.args[0] if exc.args else None
    return f"{exc.__class__.__name__}: {inner!r}" if inner is not None else repr(exc)
