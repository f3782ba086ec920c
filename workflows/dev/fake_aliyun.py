"""A local stand-in for Alibaba Cloud's SMS API (Dysmsapi 2017-05-25), for tests and `duban demo --fake-aliyun`.

The official SDK (`alibabacloud-dysmsapi20170525`) talks to it unchanged: point the SDK's endpoint at
`FakeAliyun.endpoint` with protocol http. It speaks the RPC style as the SDK sends it (POST / with the parameters in
the query string, `x-acs-action` / `x-acs-version` headers, an ACS3-HMAC-SHA256 signature it verifies) and answers
JSON the way the service does: business refusals (`isv.*`) come with HTTP 200 and a `Code` other than OK; gateway
refusals (signature, AccessKey, throttling, missing parameters) with HTTP 4xx/5xx.

    with FakeAliyun(templates={"SMS_100001": "工单${order}已派发"}, signs={"揭阳12345"}) as fake:
        fake.script("error:isv.BUSINESS_LIMIT_CONTROL", "accept")

It keeps every accepted message (for `QuerySendDetails`, by number and send date, paged) and pushes delivery reports
(SmsReport) and replies (SmsUp) as JSON arrays to the URLs given, as the console's "HTTP batch push" does.

Behaviours, consumed one per SendSms from `script()`, then looked up in `number_rules` by number, else "accept":
- ``accept``: OK with a BizId; with `auto_reports` a DELIVERED report follows.
- ``undelivered:<err_code>``: accepted; the report (auto or `report()`) says success=false with that code.
- ``error:<Code>``: HTTP 200 with that business Code (isv.BUSINESS_LIMIT_CONTROL, isv.MOBILE_NUMBER_ILLEGAL, …).
- ``http:<status>:<Code>``: a gateway error (e.g. http:503:ServiceUnavailable, http:400:Throttling.User).
- ``slow:<seconds>``: accept, then wait before answering (the client times out); ``drop``: close without answering
  or keeping anything; ``drop_after_accept``: keep the message, then close without answering.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import threading
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from workflows.dev.local_server import LocalServer, QuietServer

__all__ = ["FakeAliyun", "FakeSms"]

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8))
API_VERSION = "2017-05-25"
AUTO_REPORT_DELAY = 0.05
VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
MAINLAND_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9]\d{9})$")
BUSINESS_MESSAGES = {
    "isv.BUSINESS_LIMIT_CONTROL": "触发分钟级流控Permits:1",
    "isv.MOBILE_NUMBER_ILLEGAL": "非法手机号",
    "isv.SMS_TEMPLATE_ILLEGAL": "模板不合法(不存在或被拉黑)",
    "isv.SMS_SIGNATURE_ILLEGAL": "签名不合法(不存在或被拉黑)",
    "isv.TEMPLATE_MISSING_PARAMETERS": "模板变量缺少对应参数值",
    "isv.INVALID_JSON_PARAM": "JSON参数不合法，只接受字符串值",
    "isv.PARAM_LENGTH_LIMIT": "参数超出长度限制",
    "isv.AMOUNT_NOT_ENOUGH": "账户余额不足",
    "isp.SYSTEM_ERROR": "系统错误",
}


@dataclass
class FakeSms:
    """A message the fake accepted, as the service keeps it."""

    biz_id: str
    out_id: str
    phone: str  # 11 digits, as QuerySendDetails shows it
    template_code: str
    content: str  # 【sign】text, as the handset shows it
    sent_at: datetime  # aware, China time
    send_status: int = 1  # 1 awaiting the carrier's report, 2 failed, 3 delivered
    err_code: str = ""
    received_at: datetime | None = None
    final_success: bool = True
    final_code: str = "DELIVERED"


class _Server(QuietServer):
    fake: FakeAliyun
    label = "fake aliyun"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"  # one request per connection, so a drop is unambiguous

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        log.debug("fake aliyun: " + format, *args)

    def do_POST(self) -> None:
        self.server.fake._handle(self)

    do_GET = do_POST

    def send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-acs-request-id", payload.get("RequestId", ""))
        self.end_headers()
        self.wfile.write(data)


class FakeAliyun:
    def __init__(self, *, access_key_id: str = "LTAI5tFakeAccessKey0001", access_key_secret: str = "fake-secret-0001",
                 templates: dict[str, str] | None = None, signs: set[str] | None = None, auto_reports: bool = False,
                 report_url: str | None = None, up_url: str | None = None, variable_limit: int = 35,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.access_key_id, self.access_key_secret = access_key_id, access_key_secret
        self.templates = dict(templates or {})  # approved template code -> text with ${variables}
        self.signs = set(signs or ())
        self.variable_limits: dict[str, int] = {}  # variable name -> limit (default variable_limit)
        self.variable_limit = variable_limit
        self.auto_reports, self.report_url, self.up_url = auto_reports, report_url, up_url
        self.clock = clock or (lambda: datetime.now(CHINA))
        self.messages: list[FakeSms] = []
        self.calls: list[tuple[str, dict[str, str]]] = []  # (action, parameters) of every verified request
        self.number_rules: dict[str, str] = {}
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._local = LocalServer()
        self.endpoint = ""  # host:port, what the SDK's endpoint setting takes (with protocol http)

    # ----------------------------------------------------------------- lifecycle
    def start(self, port: int = 0) -> FakeAliyun:
        self._stopping.clear()
        self.endpoint = self._local.start(_Server, _Handler, self, port)
        return self

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    def stop(self) -> None:
        self._stopping.set()
        self._local.stop()

    def __enter__(self) -> FakeAliyun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- control
    def script(self, *behaviours: str) -> None:
        for behaviour in behaviours:
            _check_behaviour(behaviour)
        with self._lock:
            self._script.extend(behaviours)

    def sends(self) -> int:
        """How many SendSms requests reached the fake (accepted or not)."""
        return sum(1 for action, _ in self.calls if action == "SendSms")

    def message(self, key: str) -> FakeSms:
        with self._lock:
            for m in self.messages:
                if key in (m.biz_id, m.out_id):
                    return m
        raise KeyError(key)

    def report(self, key: str, *, success: bool | None = None, err_code: str | None = None, push: bool = True) -> int:
        """The carrier's report arrives: the message's status changes (seen by QuerySendDetails) and, when `push`
        and a report URL are set, an SmsReport is POSTed. Returns the HTTP status answered (0 when not pushed)."""
        m = self.message(key)
        with self._lock:
            ok = m.final_success if success is None else success
            m.send_status, m.err_code = (3 if ok else 2), (err_code or (m.final_code if success is None else
                                                                        ("DELIVERED" if ok else "UNDELIV")))
            m.received_at = self.clock().astimezone(CHINA)
            item = {"phone_number": m.phone, "send_time": _time(m.sent_at), "report_time": _time(m.received_at),
                    "success": ok, "err_code": m.err_code, "err_msg": "用户接收成功" if ok else "用户接收失败",
                    "sms_size": "1" if len(m.content) <= 70 else str(-(-len(m.content) // 67)),
                    "biz_id": m.biz_id, "out_id": m.out_id}
        if not push or not self.report_url:
            return 0
        return self.push(self.report_url, [item])

    def send_up(self, phone: str, content: str, *, sequence_id: int | None = None) -> int:
        """A handset replies: an SmsUp is POSTed to the up URL. Returns the HTTP status answered."""
        if not self.up_url:
            raise ValueError("no up_url configured")
        digits = MAINLAND_MOBILE.match(phone)
        item = {"phone_number": digits.group(1) if digits else phone, "content": content,
                "send_time": _time(self.clock()), "dest_code": "1234", "sign_name": next(iter(self.signs), ""),
                "sequence_id": sequence_id if sequence_id is not None else secrets.randbelow(10**10)}
        return self.push(self.up_url, [item])

    @staticmethod
    def push(url: str, items: list[dict[str, Any]]) -> int:
        request = urllib.request.Request(url, data=json.dumps(items, ensure_ascii=False).encode("utf-8"),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)

    # ----------------------------------------------------------------- HTTP
    def _handle(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        query.update({k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()})
        request_id = str(uuid.uuid4()).upper()
        refusal = self._verify(handler, parts.path or "/", parts.query, body)
        if refusal is not None:
            status, code, message = refusal
            return handler.send_json(status, {"RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com",
                                              "Code": code, "Message": message})
        action = handler.headers.get("x-acs-action", "")
        with self._lock:
            self.calls.append((action, dict(query)))
        if action == "SendSms":
            return self._send_sms(handler, query, request_id)
        if action == "QuerySendDetails":
            return handler.send_json(200, {"RequestId": request_id, **self._query(query)})
        handler.send_json(404, {"RequestId": request_id, "Code": "InvalidAction.NotFound",
                                "Message": f"Specified api is not found, please check your url and method."})

    def _verify(self, handler: _Handler, path: str, raw_query: str, body: bytes) -> tuple[int, str, str] | None:
        """ACS3-HMAC-SHA256, as the service checks it."""
        if handler.headers.get("x-acs-version") != API_VERSION:
            return 400, "InvalidVersion", "Specified parameter Version is not valid."
        match = re.fullmatch(r"ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)",
                             handler.headers.get("Authorization", ""))
        if match is None:
            return 400, "MissingAuthorization", "Authorization is mandatory for this action."
        key_id, signed, signature = match.groups()
        if key_id != self.access_key_id:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        if hashlib.sha256(body).hexdigest() != handler.headers.get("x-acs-content-sha256"):
            return 400, "ContentSHA256NotMatched", "The content hash does not match."
        pairs = sorted((k, v[0]) for k, v in parse_qs(raw_query, keep_blank_values=True).items())
        canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in pairs)
        names = signed.split(";")
        canonical_headers = "".join(f"{n}:{(handler.headers.get(n) or '').strip()}\n" for n in names)
        canonical = "\n".join([handler.command, path, canonical_query, canonical_headers, signed,
                               handler.headers.get("x-acs-content-sha256", "")])
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        expected = hmac.new(self.access_key_secret.encode(), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return 400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
        return None

    def _send_sms(self, handler: _Handler, query: dict[str, str], request_id: str) -> None:
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not query.get(name):
                return handler.send_json(400, {"RequestId": request_id, "Code": f"Missing{name}",
                                               "Message": f"{name} is mandatory for this action."})
        with self._lock:
            behaviour = self._script.popleft() if self._script else self._rule_for(query["PhoneNumbers"])
        kind, _, rest = behaviour.partition(":")
        if kind == "drop":
            handler.close_connection = True
            return None
        if kind == "http":
            status, _, code = rest.partition(":")
            return handler.send_json(int(status), {"RequestId": request_id, "HostId": "dysmsapi.aliyuncs.com",
                                                   "Code": code, "Message": code})
        code = rest if kind == "error" else self._refusal(query)
        if code:
            return handler.send_json(200, {"RequestId": request_id, "Code": code,
                                           "Message": BUSINESS_MESSAGES.get(code, code)})
        message = self._accept(query, behaviour)
        if kind == "drop_after_accept":
            handler.close_connection = True
            return None
        if kind == "slow" and self._stopping.wait(float(rest)):
            return None
        handler.send_json(200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": message.biz_id})

    def _rule_for(self, number: str) -> str:
        digits = MAINLAND_MOBILE.match(number)
        candidates = (number, digits.group(1), "+86" + digits.group(1)) if digits else (number,)
        return next((self.number_rules[c] for c in candidates if c in self.number_rules), "accept")

    def _refusal(self, query: dict[str, str]) -> str | None:
        """The business checks the service makes before accepting, as a Code (None: acceptable)."""
        if MAINLAND_MOBILE.match(query["PhoneNumbers"]) is None:
            return "isv.MOBILE_NUMBER_ILLEGAL"
        if query["SignName"] not in self.signs:
            return "isv.SMS_SIGNATURE_ILLEGAL"
        text = self.templates.get(query["TemplateCode"])
        if text is None:
            return "isv.SMS_TEMPLATE_ILLEGAL"
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return "isv.INVALID_JSON_PARAM"
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return "isv.INVALID_JSON_PARAM"
        if set(VARIABLE.findall(text)) - set(params):
            return "isv.TEMPLATE_MISSING_PARAMETERS"
        if any(len(v) > self.variable_limits.get(k, self.variable_limit) for k, v in params.items()):
            return "isv.PARAM_LENGTH_LIMIT"
        return None

    def _accept(self, query: dict[str, str], behaviour: str) -> FakeSms:
        params = json.loads(query.get("TemplateParam") or "{}")
        content = f"【{query['SignName']}】" + VARIABLE.sub(lambda m: params[m.group(1)],
                                                          self.templates[query["TemplateCode"]])
        kind, _, rest = behaviour.partition(":")
        message = FakeSms(biz_id=f"{secrets.randbelow(10**15):015d}^0", out_id=query.get("OutId", ""),
                          phone=MAINLAND_MOBILE.match(query["PhoneNumbers"]).group(1),  # type: ignore[union-attr]
                          template_code=query["TemplateCode"], content=content,
                          sent_at=self.clock().astimezone(CHINA), final_success=kind != "undelivered",
                          final_code=rest if kind == "undelivered" else "DELIVERED")
        with self._lock:
            self.messages.append(message)
        if self.auto_reports:
            threading.Thread(target=self._auto_report, args=(message.biz_id,), daemon=True).start()
        return message

    def _auto_report(self, biz_id: str) -> None:
        if self._stopping.wait(AUTO_REPORT_DELAY):
            return
        try:
            self.report(biz_id)
        except Exception:  # the application may be down; the service would retry later
            log.warning("fake aliyun: report for %s could not be pushed", biz_id, exc_info=True)

    def _query(self, query: dict[str, str]) -> dict[str, Any]:
        digits = MAINLAND_MOBILE.match(query.get("PhoneNumber", ""))
        try:
            page, size = int(query["CurrentPage"]), int(query["PageSize"])
            day = datetime.strptime(query["SendDate"], "%Y%m%d").date()
        except (KeyError, ValueError):
            return {"Code": "isv.INVALID_PARAMETERS", "Message": "参数异常"}
        if digits is None:
            return {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        if not 1 <= size <= 50 or page < 1:
            return {"Code": "isv.INVALID_PARAMETERS", "Message": "参数异常"}
        with self._lock:
            found = [m for m in reversed(self.messages) if m.phone == digits.group(1) and m.sent_at.date() == day
                     and query.get("BizId") in (None, "", m.biz_id)]
            shown = found[(page - 1) * size: page * size]
            dtos = [{"PhoneNum": m.phone, "SendStatus": m.send_status, "ErrCode": m.err_code or "",
                     "TemplateCode": m.template_code, "Content": m.content, "SendDate": _time(m.sent_at),
                     "ReceiveDate": _time(m.received_at) if m.received_at else "", "OutId": m.out_id}
                    for m in shown]
        return {"Code": "OK", "Message": "OK", "TotalCount": len(found), "SmsSendDetailDTOs": {"SmsSendDetailDTO": dtos}}


def _check_behaviour(text: str) -> None:
    kind, _, rest = text.partition(":")
    valid = (text in ("accept", "drop", "drop_after_accept") or (kind in ("error", "undelivered") and rest)
             or (kind == "http" and re.fullmatch(r"\d{3}:\S+", rest)) or (kind == "slow" and _number(rest)))
    if not valid:
        raise ValueError(f"unknown FakeAliyun behaviour: {text!r}")


def _number(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return False


def _time(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")

