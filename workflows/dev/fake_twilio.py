"""A local stand-in for Twilio's Messages REST API, for tests and `duban demo --fake-twilio`.

The real `twilio` client talks HTTP to it (point `client.api.base_url` at `FakeTwilio.url`). It
accepts messages the way Twilio does, can be scripted to fail in each way that matters to an
outbox (4xx/429/5xx errors, slow answers, dropped connections before or after the message was
accepted), and posts signed delivery receipts and inbound SMS to the application, signing the
URL Twilio was given even when the request is routed elsewhere (a TLS-terminating proxy).

    with FakeTwilio(auto_receipts=True) as fake:
        client = Client(fake.account_sid, fake.auth_token, http_client=TwilioHttpClient(timeout=5))
        client.api.base_url = fake.url
        fake.script("error:429:20429", "accept")
        ...

Behaviours, consumed one per `POST .../Messages.json` from the `script()` queue, then looked up in
`number_rules` by `To`, else "accept":

- ``accept``: 201 with a Twilio-shaped Message ("queued", or "accepted" with a Messaging Service).
- ``error:<http status>:<code>``: Twilio's error JSON; code 0 means null. Nothing is recorded.
- ``slow:<seconds>``: record the message, then wait before answering (the client times out).
- ``drop``: read the request and close the connection without answering or recording anything.
- ``drop_after_accept``: record the message, then close the connection without answering.
- ``undelivered:<code>`` / ``failed:<code>``: accept; automatic receipts end in that status.

Stdlib only, apart from twilio's `RequestValidator` for signatures.
"""
from __future__ import annotations

import argparse
import base64
import http.client
import logging
import secrets
import threading
import uuid
from collections import deque
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from twilio.request_validator import RequestValidator

from workflows.dev.local_server import LocalServer
from workflows.dev.fake_twilio_wire import (
    _ERROR_MESSAGES,
    _PATH,
    API_VERSION,
    AUTO_RECEIPT_DELAY,
    CALLBACK_TIMEOUT,
    FakeMessage,
    RecordedRequest,
    _Behaviour,
    _date_matches,
    _Handler,
    _new_sid,
    _parse_behaviour,
    _parse_date_filter,
    _rfc2822,
    _segments,
    _Server,
)

__all__ = ["FakeMessage", "FakeTwilio", "RecordedRequest", "main"]

log = logging.getLogger(__name__)

class FakeTwilio:
    """A local fake of Twilio's Messages API; see the module docstring for behaviours."""

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "test_auth_token", *,
                 auto_receipts: bool = False, callback_target: str | None = None) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.auto_receipts = auto_receipts
        self.callback_target = callback_target
        self.url = ""
        self.requests: list[RecordedRequest] = []
        self.messages: list[FakeMessage] = []
        self.number_rules: dict[str, str] = {}
        self._script: deque[_Behaviour] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._local = LocalServer()

    # ----------------------------------------------------------------- lifecycle

    def start(self, port: int = 0) -> FakeTwilio:
        """Bind 127.0.0.1:`port` (0: any free port), serve on a daemon thread, set `url`."""
        self._stopping.clear()
        self.url = "http://" + self._local.start(_Server, _Handler, self, port)
        return self

    def stop(self) -> None:
        """Stop serving; wakes "slow" handlers and cancels pending automatic receipts."""
        self._stopping.set()
        self._local.stop()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- control

    def script(self, *behaviours: str) -> None:
        """Queue behaviours, consumed one per POST Messages.json request, in order."""
        parsed = [_parse_behaviour(b) for b in behaviours]
        with self._lock:
            self._script.extend(parsed)

    def message(self, sid: str) -> FakeMessage:
        """The accepted message with this sid; KeyError if there is none."""
        with self._lock:
            for m in self.messages:
                if m.sid == sid:
                    return m
        raise KeyError(sid)

    def sign(self, url: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for a form POST of `params` to `url`."""
        return str(RequestValidator(self.auth_token).compute_signature(url, params))

    def deliver(self, sid: str, status: str, error_code: int | None = None) -> int:
        """Set the message's status and POST a signed status callback to its StatusCallback.

        Returns the HTTP status the application answered. Raises KeyError for an unknown sid,
        ValueError when the message has no StatusCallback, OSError when nothing listens.
        """
        message = self.message(sid)
        with self._lock:
            message.status = status
            message.error_code = error_code
            message.date_updated = datetime.now(timezone.utc)
            callback = message.status_callback
        if not callback:
            raise ValueError(f"message {sid} has no StatusCallback")
        form = {
            "MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
            "To": message.to, "AccountSid": self.account_sid, "ApiVersion": API_VERSION,
        }
        if message.from_:
            form["From"] = message.from_
        if message.messaging_service_sid:
            form["MessagingServiceSid"] = message.messaging_service_sid
        if error_code is not None:
            form["ErrorCode"] = str(error_code)
        return self._post_webhook(callback, form)

    def send_inbound(self, url: str, *, from_: str, to: str, body: str, sid: str | None = None) -> int:
        """POST a signed inbound-SMS webhook to `url`; returns the HTTP status answered."""
        sid = sid or _new_sid()
        form = {
            "MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": self.account_sid,
            "From": from_, "To": to, "Body": body, "NumMedia": "0", "NumSegments": str(_segments(body)),
            "SmsStatus": "received", "ApiVersion": API_VERSION,
        }
        return self._post_webhook(url, form)

    # ----------------------------------------------------------------- webhooks

    def _post_webhook(self, url: str, form: dict[str, str]) -> int:
        """POST `form` signed over `url` (fragment dropped); sent to `callback_target` when set."""
        parts = urlsplit(url)
        signed_url = urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
        scheme, netloc = parts.scheme, parts.netloc
        if self.callback_target:
            target = urlsplit(self.callback_target)
            scheme, netloc = target.scheme, target.netloc
        connection_class = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        connection = connection_class(netloc, timeout=CALLBACK_TIMEOUT)
        data = urlencode(form).encode("utf-8")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.sign(signed_url, form),
            "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
            "User-Agent": "TwilioProxy/1.1",
            "Accept": "*/*",
        }
        try:
            target_path = parts.path or "/"
            connection.request("POST", f"{target_path}?{parts.query}" if parts.query else target_path, data, headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def _auto_receipts(self, sid: str, final_status: str, final_code: int | None) -> None:
        """Background: post "sent", then the final status, shortly after acceptance."""
        for status, code in (("sent", None), (final_status, final_code)):
            if self._stopping.wait(AUTO_RECEIPT_DELAY):
                return
            try:
                answered = self.deliver(sid, status, code)
                log.info("fake twilio: receipt %s %s → HTTP %s", sid, status, answered)
            except Exception:  # the app may be down; Twilio would just log it too
                log.warning("fake twilio: receipt %s %s could not be delivered", sid, status, exc_info=True)

    # ----------------------------------------------------------------- HTTP handling

    def _handle(self, handler: _Handler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
        with self._lock:
            self.requests.append(RecordedRequest(method, parts.path, query, form, dict(handler.headers.items())))

        if not self._authorized(handler.headers.get("Authorization", "")):
            return self._error(handler, 401, 20003)
        match = _PATH.match(parts.path)
        if match is None or match["account"] != self.account_sid:
            return self._error(handler, 404, 20404)
        if method == "POST" and match["sid"] is None:
            return self._create(handler, form)
        if method == "GET" and match["sid"] is None:
            return self._list(handler, query)
        if method == "GET":
            try:
                return handler.send_json(200, self._json(self.message(match["sid"])))
            except KeyError:
                return self._error(handler, 404, 20404)
        return self._error(handler, 405, 20004, "Method not allowed")

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except ValueError:
            return False
        return secrets.compare_digest(user, self.account_sid) and secrets.compare_digest(password, self.auth_token)

    def _error(self, handler: _Handler, status: int, code: int | None, message: str | None = None) -> None:
        handler.send_json(status, {
            "code": code,
            "message": message or _ERROR_MESSAGES.get(code or 0) or http.client.responses.get(status, "Error"),
            "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
            "status": status,
        })

    def _next_behaviour(self, to: str) -> _Behaviour:
        with self._lock:
            if self._script:
                return self._script.popleft()
            rule = self.number_rules.get(to)
        return _parse_behaviour(rule) if rule else _Behaviour(kind="accept")

    def _create(self, handler: _Handler, form: dict[str, str]) -> None:
        to = form.get("To", "")
        try:
            behaviour = self._next_behaviour(to)
        except ValueError as exc:
            return self._error(handler, 500, None, str(exc))
        if behaviour.kind == "error":
            return self._error(handler, behaviour.http_status, behaviour.code)
        if behaviour.kind == "drop":
            handler.close_connection = True
            return None
        if not to:
            return self._error(handler, 400, 21604)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self._error(handler, 400, 21603)
        if not form.get("Body") and not form.get("MediaUrl"):
            return self._error(handler, 400, 21602)

        service = form.get("MessagingServiceSid") or None
        message = FakeMessage(
            sid=_new_sid(), to=to, from_=form.get("From") or None, messaging_service_sid=service,
            body=form.get("Body", ""), status="accepted" if service else "queued",
            status_callback=form.get("StatusCallback") or None, date_created=datetime.now(timezone.utc),
        )
        with self._lock:
            self.messages.append(message)
            payload = self._json(message)
        if self.auto_receipts and message.status_callback:
            threading.Thread(target=self._auto_receipts, name=f"fake-twilio-receipts-{message.sid}", daemon=True,
                             args=(message.sid, behaviour.final_status, behaviour.final_code)).start()
        if behaviour.kind == "drop_after_accept":
            handler.close_connection = True
            return None
        if behaviour.kind == "slow" and self._stopping.wait(behaviour.seconds):
            return None  # stopping: leave without answering
        return handler.send_json(201, payload)

    def _list(self, handler: _Handler, query: dict[str, str]) -> None:
        try:
            bounds = [(op, _parse_date_filter(query[key]))
                      for op, key in ((">", "DateSent>"), ("<", "DateSent<"), ("=", "DateSent")) if query.get(key)]
            page_size = max(1, min(1000, int(query.get("PageSize") or 50)))
            page = max(0, int(query.get("Page") or 0))
        except ValueError as exc:
            return self._error(handler, 400, 20001, f"Invalid parameter: {exc}")
        with self._lock:
            matching = [m for m in reversed(self.messages)  # newest first, like Twilio
                        if (not query.get("To") or m.to == query["To"])
                        and (not query.get("From") or m.from_ == query["From"])
                        and all(_date_matches(m.date_created, op, bound) for op, bound in bounds)]
            matching.sort(key=lambda m: m.date_created, reverse=True)
            start = page * page_size
            records = [self._json(m) for m in matching[start:start + page_size]]
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}

        def page_uri(number: int) -> str:
            return base + "?" + urlencode({**filters, "PageSize": page_size, "Page": number})

        has_next = start + page_size < len(matching)
        handler.send_json(200, {
            "messages": records,
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(page + 1) if has_next else None,
            "previous_page_uri": page_uri(page - 1) if page > 0 else None,
            "page": page,
            "page_size": page_size,
            "start": start,
            "end": start + max(len(records) - 1, 0),
            "uri": page_uri(page),
        })

    def _json(self, m: FakeMessage) -> dict[str, Any]:
        """The message as Twilio's API renders it."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{m.sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": m.body,
            "date_created": _rfc2822(m.date_created),
            "date_sent": _rfc2822(m.date_created),
            "date_updated": _rfc2822(m.date_updated or m.date_created),
            "direction": "outbound-api",
            "error_code": m.error_code,
            "error_message": None,
            "from": m.from_,
            "messaging_service_sid": m.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(_segments(m.body)),
            "price": None,
            "price_unit": "USD",
            "sid": m.sid,
            "status": m.status,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": m.to,
            "uri": f"{uri}.json",
        }


def main(argv: list[str] | None = None) -> None:
    """Run the fake in the foreground: `python -m workflows.dev.fake_twilio --port 8765 ...`."""
    parser = argparse.ArgumentParser(prog="python -m workflows.dev.fake_twilio",
                                     description="A local fake of Twilio's Messages API.")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="test_auth_token")
    parser.add_argument("--auto-receipts", action="store_true", help="post sent/delivered receipts automatically")
    parser.add_argument("--callback-target", default=None, help="send webhooks to this scheme://host:port")
    parser.add_argument("--rule", action="append", default=[], metavar="NUMBER=BEHAVIOUR",
                        help="per-number behaviour, e.g. +8613800138000=failed:30005 (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    fake = FakeTwilio(args.account_sid, args.auth_token, auto_receipts=args.auto_receipts,
                      callback_target=args.callback_target)
    for rule in args.rule:
        number, _, behaviour = rule.partition("=")
        _parse_behaviour(behaviour)
        fake.number_rules[number] = behaviour
    fake.start(args.port)
    print(fake.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
