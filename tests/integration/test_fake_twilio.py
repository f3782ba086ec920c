"""The fake Twilio, driven by the real twilio client over HTTP, and its signed webhooks."""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from workflows.dev.fake_twilio import FakeTwilio

SID = "AC" + "0" * 32
TOKEN = "test_auth_token"
TO = "+8613800138000"
OTHER = "+8613900139000"
FROM = "+15005550006"
ROOT = Path(__file__).resolve().parents[2]


def make_client(base_url: str, *, username: str = SID, password: str = TOKEN,
                account_sid: str | None = None, timeout: float = 5) -> Client:
    http = TwilioHttpClient(timeout=timeout)
    assert http.session is not None
    http.session.trust_env = False  # never route 127.0.0.1 through a proxy from the environment
    client = Client(username, password, account_sid=account_sid, http_client=http)
    client.api.base_url = base_url
    return client


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(SID, TOKEN) as f:
        yield f


@pytest.fixture
def client(fake: FakeTwilio) -> Client:
    return make_client(fake.url)


def send(client: Client, to: str = TO, **kw: str):
    kw.setdefault("from_", FROM)
    return client.messages.create(to=to, body="【12345督办】工单WO-1 即将超时", **kw)


# ------------------------------------------------------------------ a tiny webhook receiver

@dataclass
class Hit:
    path: str  # path and query, as received
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class Receiver:
    url: str
    answer: int = 204
    hits: list[Hit] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5) -> list[Hit]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.hits) >= count, timeout), self.hits
            return list(self.hits)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
            hit = Hit(self.path, dict(self.headers.items()), {k: v[0] for k, v in parse_qs(raw).items()})
            with state.arrived:  # recorded before answering, so the sender sees it once answered
                state.hits.append(hit)
                state.arrived.notify_all()
            self.send_response(state.answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Receiver(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def signature_ok(url: str, hit: Hit) -> bool:
    return RequestValidator(TOKEN).validate(url, hit.form, hit.headers["X-Twilio-Signature"])


# ------------------------------------------------------------------ sending

def test_accept_returns_a_twilio_message_and_records_it(fake: FakeTwilio, client: Client):
    m = send(client, status_callback="https://wf.example.org/twilio/status?wo=WO-1")

    assert m.sid.startswith("SM") and len(m.sid) == 34
    assert m.status == "queued" and m.error_code is None and m.price is None
    assert m.to == TO and m.from_ == FROM and m.account_sid == SID and m.direction == "outbound-api"
    assert m.date_created.tzinfo is not None and m.num_segments == "1" and m.api_version == "2010-04-01"
    [stored] = fake.messages
    assert (stored.sid, stored.to, stored.from_, stored.status) == (m.sid, TO, FROM, "queued")
    assert stored.body == "【12345督办】工单WO-1 即将超时"
    assert stored.status_callback == "https://wf.example.org/twilio/status?wo=WO-1"
    assert stored.date_created.tzinfo == timezone.utc and stored.messaging_service_sid is None
    [request] = fake.requests
    assert request.method == "POST" and request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.form["To"] == TO and request.headers["Authorization"].startswith("Basic ")
    assert request.headers["User-Agent"].startswith("twilio-python/")


def test_messaging_service_gives_accepted(fake: FakeTwilio, client: Client):
    m = client.messages.create(to=TO, messaging_service_sid="MG" + "1" * 32, body="hi")
    assert m.status == "accepted" and m.messaging_service_sid == "MG" + "1" * 32 and m.from_ is None
    assert "From" not in fake.requests[0].form


@pytest.mark.parametrize("behaviour, status, code", [
    ("error:400:21211", 400, 21211),
    ("error:400:21610", 400, 21610),
    ("error:429:20429", 429, 20429),
    ("error:503:0", 503, None),
])
def test_errors_raise_twilio_rest_exception(fake: FakeTwilio, client: Client, behaviour: str, status: int,
                                            code: int | None):
    fake.script(behaviour)
    with pytest.raises(TwilioRestException) as caught:
        send(client)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert fake.messages == [] and len(fake.requests) == 1  # no retry by the client


def test_script_then_number_rules_then_accept(fake: FakeTwilio, client: Client):
    fake.script("error:429:20429", "accept")
    fake.number_rules[OTHER] = "error:400:21211"
    with pytest.raises(TwilioRestException):
        send(client, OTHER)  # the script wins over the number rule
    assert send(client, OTHER).status == "queued"
    with pytest.raises(TwilioRestException) as caught:
        send(client, OTHER)  # script empty: the number rule applies
    assert caught.value.code == 21211
    assert send(client, TO).status == "queued"
    assert [m.to for m in fake.messages] == [OTHER, TO]


def test_unknown_behaviour_is_refused():
    with pytest.raises(ValueError):
        FakeTwilio().script("explode")


def test_slow_times_out_but_the_message_exists(fake: FakeTwilio):
    fake.script("slow:30")  # stop() wakes the handler; nothing waits 30 s
    with pytest.raises(requests.exceptions.ReadTimeout):
        send(make_client(fake.url, timeout=0.2))
    assert len(fake.messages) == 1


def test_drop_closes_the_connection_without_a_message(fake: FakeTwilio, client: Client):
    fake.script("drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        send(client)
    assert fake.messages == [] and len(fake.requests) == 1


def test_drop_after_accept_closes_the_connection_but_the_message_exists(fake: FakeTwilio, client: Client):
    fake.script("drop_after_accept")
    with pytest.raises(requests.exceptions.ConnectionError):
        send(client)
    assert len(fake.messages) == 1 and len(fake.requests) == 1
    assert client.messages.list(to=TO)[0].sid == fake.messages[0].sid  # reconciliation finds it


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(requests.exceptions.ConnectionError):
        send(make_client(f"http://127.0.0.1:{port}"))


def test_wrong_credentials_and_wrong_account(fake: FakeTwilio):
    with pytest.raises(TwilioRestException) as caught:
        send(make_client(fake.url, password="wrong"))
    assert (caught.value.status, caught.value.code) == (401, 20003)
    with pytest.raises(TwilioRestException) as caught:
        send(make_client(fake.url, account_sid="AC" + "9" * 32))
    assert (caught.value.status, caught.value.code) == (404, 20404)
    assert fake.messages == []


# ------------------------------------------------------------------ reading back

def test_fetch_by_sid(fake: FakeTwilio, client: Client):
    sid = send(client).sid
    fetched = client.messages(sid).fetch()
    assert (fetched.sid, fetched.to, fetched.status) == (sid, TO, "queued")
    with pytest.raises(TwilioRestException) as caught:
        client.messages("SM" + "f" * 32).fetch()
    assert (caught.value.status, caught.value.code) == (404, 20404)


def test_list_filters_by_to_and_date_sent(fake: FakeTwilio, client: Client):
    for to in (TO, TO, OTHER, TO):
        send(client, to)
    base = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
    for i, m in enumerate(fake.messages):  # 9:00, 10:00, 11:00 and 12:00 on 1 June (UTC)
        m.date_created = base + timedelta(hours=i - 1)
    old, at_ten, _, noon = (m.sid for m in fake.messages)

    after = client.messages.list(to=TO, date_sent_after=datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc))
    assert [m.sid for m in after] == [noon, at_ten]  # newest first; '>' is inclusive
    assert fake.requests[-1].query["DateSent>"] == "2026-06-01T10:00:00Z"
    before = client.messages.list(to=TO, date_sent_before=datetime(2026, 6, 1, 9, 30, tzinfo=timezone.utc))
    assert [m.sid for m in before] == [old]
    assert len(client.messages.list(date_sent_after="2026-06-01")) == 4  # date-only granularity
    assert client.messages.list(date_sent_after="2026-06-02") == []
    assert [m.sid for m in client.messages.list(to=TO, page_size=2)] == [noon, at_ten, old]  # follows next_page_uri
    assert client.messages.list(from_="+10000000000") == []


# ------------------------------------------------------------------ webhooks

def test_deliver_posts_a_signed_status_callback(fake: FakeTwilio, client: Client, receiver: Receiver):
    callback = f"{receiver.url}/twilio/status?wo=WO-1"
    sid = send(client, status_callback=callback).sid

    assert fake.deliver(sid, "sent") == 204
    assert fake.deliver(sid, "undelivered", 30003) == 204
    sent, undelivered = receiver.hits
    assert sent.path == "/twilio/status?wo=WO-1"
    assert sent.form == {"MessageSid": sid, "SmsSid": sid, "MessageStatus": "sent", "SmsStatus": "sent", "To": TO,
                         "From": FROM, "AccountSid": SID, "ApiVersion": "2010-04-01"}
    assert undelivered.form["MessageStatus"] == "undelivered" and undelivered.form["ErrorCode"] == "30003"
    assert signature_ok(callback, sent) and signature_ok(callback, undelivered)
    assert sent.headers["I-Twilio-Idempotency-Token"] != undelivered.headers["I-Twilio-Idempotency-Token"]
    assert (fake.messages[0].status, fake.messages[0].error_code) == ("undelivered", 30003)
    assert client.messages(sid).fetch().status == "undelivered"

    receiver.answer = 500
    assert fake.deliver(sid, "undelivered", 30003) == 500


def test_callback_target_keeps_path_and_signs_the_original_url(receiver: Receiver):
    original = "https://duban.example.gov.cn/twilio/status?m=7"
    with FakeTwilio(SID, TOKEN, callback_target=receiver.url) as fake:
        sid = send(make_client(fake.url), status_callback=original).sid
        assert fake.deliver(sid, "delivered") == 204
    [hit] = receiver.hits
    assert hit.path == "/twilio/status?m=7"
    assert signature_ok(original, hit)
    assert not signature_ok(receiver.url + hit.path, hit)  # what the app sees behind a TLS proxy


def test_send_inbound_is_signed(fake: FakeTwilio, receiver: Receiver):
    url = f"{receiver.url}/twilio/sms"
    assert fake.send_inbound(url, from_=TO, to=FROM, body="已处理") == 204
    [hit] = receiver.hits
    assert hit.path == "/twilio/sms" and signature_ok(url, hit)
    assert hit.form["From"] == TO and hit.form["To"] == FROM and hit.form["Body"] == "已处理"
    assert hit.form["MessageSid"].startswith("SM") and hit.form["SmsStatus"] == "received"
    assert hit.form["NumMedia"] == "0" and hit.form["AccountSid"] == SID
    assert fake.send_inbound(url, from_=TO, to=FROM, body="x", sid="SM" + "a" * 32) == 204
    assert receiver.hits[1].form["MessageSid"] == "SM" + "a" * 32


def test_sign_matches_request_validator(fake: FakeTwilio):
    params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    url = "https://x.example/s?a=1"
    assert RequestValidator(TOKEN).validate(url, params, fake.sign(url, params))


def test_auto_receipts_follow_number_rules(receiver: Receiver):
    with FakeTwilio(SID, TOKEN, auto_receipts=True) as fake:
        fake.number_rules[OTHER] = "failed:30005"
        client = make_client(fake.url)
        delivered = send(client, status_callback=f"{receiver.url}/s").sid
        failed = send(client, OTHER, status_callback=f"{receiver.url}/s").sid
        send(client, TO)  # no StatusCallback: no receipts
        hits = receiver.wait_for(4)
    by_sid = {sid: [(h.form["MessageStatus"], h.form.get("ErrorCode")) for h in hits if h.form["MessageSid"] == sid]
              for sid in (delivered, failed)}
    assert by_sid == {delivered: [("sent", None), ("delivered", None)], failed: [("sent", None), ("failed", "30005")]}
    assert all(signature_ok(f"{receiver.url}/s", h) for h in hits)


def test_main_prints_its_url_and_serves():
    process = subprocess.Popen([sys.executable, "-m", "workflows.dev.fake_twilio", "--auth-token", "X"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert send(make_client(url, password="X")).status == "queued"
    finally:
        process.terminate()
        process.wait(timeout=5)
