"""Export (incremental, full, CSV, masking), push through the outbox (HMAC, backoff, an endpoint down for an hour),
and file import (dry run, every bad row, all or nothing, --skip-bad)."""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from datetime import timedelta
from pathlib import Path
from urllib.request import urlopen

from tests.api.conftest import UNIT, auth, duban, order_body
from tests.web_login import client_as, csrf_of
from workflows.intake.file_import import import_file
from workflows.intake.push import PushSettings, deliver, enqueue, push_all
from workflows.scheduler import WorkerHealth, serve_health
from tests.metrics_support import scrape, value

SECRET = "s3cret-12315"


class FakeEndpoint:
    """A receiving system that can be down; it checks every signature and keeps what arrived."""

    def __init__(self, secret: str) -> None:
        self.secret, self.down, self.received, self.attempts = secret, False, [], 0

    def post(self, url, body, headers, timeout):
        self.attempts += 1
        if self.down:
            raise ConnectionError("connection refused")
        expected = "sha256=" + hmac.new(self.secret.encode(), headers["X-Duban-Timestamp"].encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, headers["X-Duban-Signature"])
        self.received.append((headers["X-Duban-Delivery"], json.loads(body)))
        return 200


def _lines(response):
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_incremental_export_since_a_cursor_ndjson_and_csv(client, token, api_engine):
    t = token("intake", "events", "export")
    client.post("/api/v1/orders", json=order_body("E1"), headers=auth(t))
    first = client.get("/api/v1/export", headers=auth(t))  # a committed row is exported at once (no settle wait)
    records = _lines(first)
    assert [r["record_type"] for r in records][:2] == ["order", "event"]
    assert records[0]["citizen_phone"] == "139****5678"
    cursor = first.headers["Duban-Next-Cursor"]
    assert _lines(client.get(f"/api/v1/export?since={cursor}", headers=auth(t))) == []
    client.post("/api/v1/orders/E1/events", json={"type": "signed", "at": "2026-06-01T07:40:00+08:00"}, headers=auth(t))
    later = _lines(client.get(f"/api/v1/export?since={cursor}", headers=auth(t)))
    assert [(r["record_type"], r.get("type")) for r in later] == [("order", None), ("event", "signed")]
    assert later[0]["status"] == "signed"
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/export?format=csv", headers=auth(t))
                                           .get_data(as_text=True))))
    assert rows[0]["record_type"] == "order" and rows[0]["citizen_name"] == "张**"
    full = _lines(client.get("/api/v1/export/full", headers=auth(token("export", "personal_data"))))
    assert full[0]["citizen_name"] == "张三丰" and {r["record_type"] for r in full} == {"order", "event", "action"}
    assert client.get("/api/v1/export?since=garbage", headers=auth(t)).status_code == 422


def test_the_csv_export_writes_formula_like_text_as_text_as_the_web_export_does(client, token):
    """Opened in Excel or WPS, `=HYPERLINK(…)` in a title would be a live link (CSV injection): the cell is quoted."""
    t = token("intake", "export", "personal_data")
    title = '=HYPERLINK("http://evil.example/x","点击查看")'
    client.post("/api/v1/orders", headers=auth(t), json=order_body(
        "F1", title=title, content="+86 13912345678 来电", address="@SUM(1+1)", citizen={"name": "-张", "phone": "13912345678"}))
    row = next(csv.DictReader(io.StringIO(client.get("/api/v1/export/full?format=csv", headers=auth(t))
                                          .get_data(as_text=True))))
    assert row["title"] == "'" + title
    assert row["content"].startswith("'+86") and row["address"] == "'@SUM(1+1)" and row["citizen_name"] == "'-张"
    assert row["order_number"] == "F1"  # ordinary text is left alone
    assert _lines(client.get("/api/v1/export/full", headers=auth(t)))[0]["title"] == title  # JSON keeps it as it is


def _results_waiting(client, t, endpoint):
    """Three 12315 orders replied and closed while the 12315 system is down: six results to send, in order."""
    for n in range(3):
        client.post("/api/v1/12315/orders", headers=auth(t), json={
            "tsjbbh": f"T{n}", "sqlx": "投诉", "djsj": "2026-06-01T07:30:00+08:00", "cbdwdm": "U-SCJ"})
    endpoint.down = True
    expected = []
    for n in range(3):
        for kind, minute in (("replied", 40), ("closed", 50)):
            client.post(f"/api/v1/orders/12315-T{n}/events", headers=auth(t),
                        json={"type": kind, "at": f"2026-06-01T07:{minute + n}:00+08:00", "note": f"处理{n}"})
            expected.append((f"T{n}", {"replied": "已答复", "closed": "已办结"}[kind]))
    return expected


def test_12315_results_to_a_target_down_for_an_hour_are_parked_released_and_arrive_once_in_order(
        app, client, token, api_engine):
    t = token("intake", "events", "export")
    endpoint = FakeEndpoint(SECRET)
    settings = PushSettings(result_url_12315="https://12315.invalid/results", secret_12315=SECRET,
                            park_after=timedelta(minutes=30))
    expected = _results_waiting(client, t, endpoint)
    clock = api_engine.clock
    parked_at = None
    for minute in range(60):  # an hour, a pass a minute (the worker's job), the endpoint down throughout
        if push_all(api_engine, settings, endpoint)["parked"]:
            parked_at, attempts_when_parked = minute, endpoint.attempts
        clock.advance(minutes=1)
    assert endpoint.received == [] and 30 <= parked_at <= 40  # parked once it had failed for 30 minutes
    assert endpoint.attempts == attempts_when_parked and 6 <= endpoint.attempts <= 15  # backoff, then nothing
    health = client.get("/healthz").get_json()["push_backlog"]
    assert health["parked"] == 1 and health["waiting"] == 5 and health["oldest_parked_failing_since"]

    supervisor = client_as(app, api_engine, "push-sup", "supervisor")
    page = supervisor.get("/push").get_data(as_text=True)
    parked = [m for m in client.get("/api/v1/deliveries?target=12315", headers=auth(t)).get_json()["messages"]
              if m["status"] == "parked"]
    assert len(parked) == 1 and parked[0]["key"] in page and "ConnectionError" in page
    assert "没有搁置的消息" not in page and ">5<" in page  # five results wait behind it

    endpoint.down = False
    push_all(api_engine, settings, endpoint)
    assert endpoint.received == []  # a parked target waits for a person, even once it is back
    response = supervisor.post("/push/release", data={"message": parked[0]["id"], "csrf_token": csrf_of(page)})
    assert response.status_code == 302
    for _ in range(3):
        push_all(api_engine, settings, endpoint)
        clock.advance(minutes=1)
    got = [(body["tsjbbh"], body["clzt"]) for _, body in endpoint.received]
    assert got == expected  # all, once, in order
    assert len({key for key, _ in endpoint.received}) == 6
    assert client.get("/healthz").get_json()["push_backlog"] == {"waiting": 0, "parked": 0,
                                                                  "oldest_parked_failing_since": None}
    deliveries = client.get("/api/v1/deliveries?target=12315", headers=auth(t)).get_json()["messages"]
    assert all(m["status"] == "sent" for m in deliveries)
    first = min(deliveries, key=lambda m: m["id"])
    assert first["deliveries"][-1]["ok"] and not first["deliveries"][0]["ok"] and len(first["deliveries"]) > 2
    assert "没有搁置的消息" in supervisor.get("/push").get_data(as_text=True)


def test_a_retried_parked_message_gets_one_attempt_and_bad_forms_change_nothing(app, client, token, api_engine):
    t = token("intake", "events", "export")
    endpoint = FakeEndpoint(SECRET)
    settings = PushSettings(result_url_12315="https://12315.invalid/results", secret_12315=SECRET,
                            park_after=timedelta(minutes=5))
    _results_waiting(client, t, endpoint)
    for _ in range(20):
        push_all(api_engine, settings, endpoint)
        api_engine.clock.advance(minutes=1)
    supervisor = client_as(app, api_engine, "push-sup2", "supervisor")
    page = supervisor.get("/push").get_data(as_text=True)
    token_ = csrf_of(page)
    parked_id = next(m["id"] for m in client.get("/api/v1/deliveries", headers=auth(t)).get_json()["messages"]
                     if m["status"] == "parked")
    assert supervisor.post("/push/retry", data={"message": "x1", "csrf_token": token_}).status_code == 400
    assert supervisor.post("/push/retry", data={"message": parked_id}).status_code == 400  # no CSRF token
    refused = supervisor.post("/push/release", data={"message": parked_id + 1, "csrf_token": token_},
                              follow_redirects=True).get_data(as_text=True)
    assert f"消息 {parked_id + 1} 不在搁置中" in refused
    unit = client_as(app, api_engine, "push-unit", "unit", UNIT)
    assert unit.get("/push").status_code == 403
    assert unit.post("/push/release", data={"message": parked_id, "csrf_token": token_}).status_code in (400, 403)
    assert client.get("/healthz").get_json()["push_backlog"]["parked"] == 1  # nothing changed so far
    worker = serve_health(api_engine, WorkerHealth(5.0), 0)  # the worker's health port: JSON and metrics
    try:
        base = f"http://127.0.0.1:{worker.server_address[1]}"
        assert json.loads(urlopen(f"{base}/healthz").read())["push_backlog"]["parked"] == 1
        metrics = scrape(f"{base}/metrics")
        assert value(metrics, "duban_push_backlog_parked") == 1 and value(metrics, "duban_push_backlog_waiting") == 5
    finally:
        worker.shutdown()
        worker.server_close()

    before = endpoint.attempts
    assert supervisor.post("/push/retry", data={"message": parked_id, "csrf_token": token_}).status_code == 302
    push_all(api_engine, settings, endpoint)  # one attempt, still down: parked again at once
    assert endpoint.attempts == before + 1
    assert client.get("/healthz").get_json()["push_backlog"]["parked"] == 1
    push_all(api_engine, settings, endpoint)
    assert endpoint.attempts == before + 1
    endpoint.down = False
    supervisor.post("/push/retry", data={"message": parked_id, "csrf_token": token_})
    push_all(api_engine, settings, endpoint)
    assert len(endpoint.received) == 6


def test_export_push_mode_sends_batches_in_order(client, token, api_engine):
    t = token("intake", "events")
    endpoint = FakeEndpoint("export-secret")
    settings = PushSettings(export_url="https://bigdata.invalid/in", export_secret="export-secret",
                            export_batch=2)
    for n in range(3):
        client.post("/api/v1/orders", json=order_body(f"P{n}"), headers=auth(t))
    assert enqueue(api_engine, settings) >= 2
    assert enqueue(api_engine, settings) == 0  # nothing new: nothing queued twice
    deliver(api_engine, settings, endpoint)
    batches = [body for _, body in endpoint.received]
    assert [b["cursor_from"] for b in batches[1:]] == [b["cursor_to"] for b in batches[:-1]]
    numbers = {r["order_number"] for b in batches for r in b["records"] if r["record_type"] == "order"}
    assert numbers == {"P0", "P1", "P2"}
    phones = [r["citizen_phone"] for b in batches for r in b["records"] if r["record_type"] == "order"]
    assert all("****" in p for p in phones)


HEADER = "工单编号,承办单位编码,诉求类型,紧急程度,派单时间,工单标题,诉求人姓名,联系电话\n"


def _write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _count(engine) -> int:
    with engine.store.reading() as tx:
        return tx.c.exec_driver_sql("SELECT count(*) FROM work_orders").scalar()


BAD = (f"F1,{UNIT},投诉,一般,2026-06-01 07:30,标题,王五,13900000000\n"
       f"F2,NOPE,投诉,一般,2026-06-01 07:30,标题,,\n"
       f"F3,{UNIT},闲聊,急,not-a-time,标题,,\n"
       f"F1,{UNIT},投诉,一般,2026-06-01 07:30,标题,,\n"
       f"F4,{UNIT},咨询,,2026-06-01T07:00:00+08:00,标题,,\n")


def test_import_reports_every_bad_row_and_writes_nothing(tmp_path, api_engine):
    report = import_file(api_engine, _write(tmp_path, BAD))
    assert {(e.row, e.field) for e in report.errors} == {
        (3, "unit_code"), (4, "category"), (4, "urgency"), (4, "dispatched_at"), (5, "order_no")}
    assert report.valid == 2 and not report.written and _count(api_engine) == 0


def test_import_dry_run_and_skip_bad(tmp_path, api_engine):
    path = _write(tmp_path, BAD)
    assert not import_file(api_engine, path, dry_run=True, skip_bad=True).written and _count(api_engine) == 0
    report = import_file(api_engine, path, skip_bad=True)
    assert report.written and report.created == 2 and _count(api_engine) == 2
    again = import_file(api_engine, path, skip_bad=True)  # idempotent: the same rows again change nothing
    assert again.existing == 2 and _count(api_engine) == 2


def test_import_xlsx_through_the_cli(tmp_path, api_engine, sqlite_url, monkeypatch, capsys):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["order_no", "unit_code", "category", "dispatched_at", "citizen_phone"])
    from datetime import datetime
    sheet.append(["X1", UNIT, "求助", datetime(2026, 6, 1, 7, 0), "13900000001"])
    sheet.append(["X2", UNIT, "求助", "2026-06-01T07:00:00+08:00", None])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    monkeypatch.setenv("DUBAN_SECRET_KEY", "test-secret-key-0123456789")
    assert duban(["--log-format", "text", "import", str(path), "--dry-run", "--database", sqlite_url]) == 0
    assert "nothing written" in capsys.readouterr().out and _count(api_engine) == 0
    assert duban(["--log-format", "text", "import", str(path), "--database", sqlite_url]) == 0
    assert "2 created" in capsys.readouterr().out and _count(api_engine) == 2


def test_api_client_commands_create_list_and_revoke(sqlite_url, monkeypatch, capsys, api_engine):
    args = ["--log-format", "text", "api-client"]
    assert duban([*args, "create", "bigdata", "--scopes", "export", "--database", sqlite_url]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("dbn_")
    with api_engine.store.reading() as tx:
        stored = tx.c.exec_driver_sql("SELECT token_hash FROM api_clients WHERE name='bigdata'").scalar()
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    assert duban([*args, "create", "bad", "--scopes", "root", "--database", sqlite_url]) == 2
    assert duban([*args, "revoke", "bigdata", "--database", sqlite_url]) == 0
    assert duban([*args, "list", "--database", sqlite_url]) == 0
    assert "revoked" in capsys.readouterr().out
