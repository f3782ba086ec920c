"""The fake Twilio's wire: message records, scripted behaviours, Twilio's date filters and formats, the HTTP server and handler."""
from __future__ import annotations

import email.utils
import json
import logging
import math
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from workflows.dev.local_server import QuietServer

if TYPE_CHECKING:
    from workflows.dev.fake_twilio import FakeTwilio

log = logging.getLogger("workflows.dev.fake_twilio")  # the fake's one logger


API_VERSION = "2010-04-01"
AUTO_RECEIPT_DELAY = 0.05  # seconds between an accepted message and each automatic receipt
CALLBACK_TIMEOUT = 15.0  # Twilio gives a webhook 15 s to answer
_FINAL_STATUSES = {"delivered", "undelivered", "failed"}
_ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
}
_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json$")


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the fake received (recorded before any checks)."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeMessage:
    """A message the fake accepted, as Twilio would hold it."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status: str
    status_callback: str | None
    date_created: datetime  # aware, UTC; also used as date_sent for list filters
    error_code: int | None = None
    date_updated: datetime | None = None  # None: same as date_created


@dataclass(frozen=True)
class _Behaviour:
    kind: str  # accept | error | slow | drop | drop_after_accept
    http_status: int = 201
    code: int | None = None
    seconds: float = 0.0
    final_status: str = "delivered"
    final_code: int | None = None


def _parse_behaviour(text: str) -> _Behaviour:
    """Parse a behaviour string; raise ValueError when it is not one of the documented forms."""
    kind, _, rest = text.partition(":")
    try:
        if text in ("accept", "drop", "drop_after_accept"):
            return _Behaviour(kind=text)
        if kind == "error":
            status, _, code = rest.partition(":")
            return _Behaviour(kind="error", http_status=int(status), code=int(code) if code and int(code) else None)
        if kind == "slow":
            return _Behaviour(kind="slow", seconds=float(rest))
        if kind in ("undelivered", "failed"):
            return _Behaviour(kind="accept", final_status=kind, final_code=int(rest) if rest else None)
    except ValueError:
        pass
    raise ValueError(f"unknown FakeTwilio behaviour: {text!r}")


def _rfc2822(moment: datetime) -> str:
    """Twilio's date format, e.g. 'Mon, 01 Jun 2026 02:00:00 +0000'."""
    return email.utils.format_datetime(moment.astimezone(timezone.utc))


def _segments(body: str) -> int:
    """Approximate SMS segment count: GSM-7 (160/153) for ASCII, else UCS-2 (70/67)."""
    units = len(body.encode("utf-16-le")) // 2
    single, multi = (160, 153) if body.isascii() else (70, 67)
    return 1 if units <= single else math.ceil(units / multi)


def _new_sid(prefix: str = "SM") -> str:
    return prefix + secrets.token_hex(16)


def _parse_date_filter(value: str) -> datetime | date:
    """'YYYY-MM-DD' → date; 'YYYY-MM-DDTHH:MM:SSZ' (what twilio-python sends) → aware UTC datetime."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _date_matches(sent: datetime, op: str, bound: datetime | date) -> bool:
    """Compare at the bound's granularity (second or day); '>' and '<' are inclusive, as Twilio documents."""
    if isinstance(bound, datetime):
        left, right = sent.replace(microsecond=0).timestamp(), bound.timestamp()
    else:
        left, right = float(sent.date().toordinal()), float(bound.toordinal())
    return left >= right if op == ">" else left <= right if op == "<" else left == right


class _Server(QuietServer):
    fake: FakeTwilio
    label = "fake twilio"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection: "drop" is unambiguous
    server_version = "FakeTwilio/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.debug("fake twilio: " + format, *args)

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")

    def do_DELETE(self) -> None:
        self.server.fake._handle(self, "DELETE")

    def send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", _new_sid("RQ"))
        self.end_headers()
        self.wfile.write(data)
