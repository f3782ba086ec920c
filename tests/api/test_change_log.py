"""The change log keeps export and push from passing a row that commits late; intake's claim and order commit
together (a killed process leaves neither); `duban export verify` names what a receiver's copy lacks."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.api.conftest import UNIT, auth, build_app, order_body
from tests.conftest import local
from workflows.intake.service import create_client

HELPER = Path(__file__).with_name("_intake_process.py")


def _lines(response):
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def _export(client, token, cursor=""):
    response = client.get(f"/api/v1/export?since={cursor}", headers=auth(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return _lines(response), response.headers["Duban-Next-Cursor"]


def _events(records):
    return [(r["order_number"], r["type"]) for r in records if r["record_type"] == "event"]


@pytest.mark.postgres
def test_a_transaction_open_for_5_s_still_reaches_the_next_export_batch(make_engine, clock, settings, pg_url):
    engine = make_engine(clock=clock, database_url=pg_url)
    engine.register_unit(UNIT, "市住建局", ["+8613800138000"])
    client = build_app(settings, engine).test_client()
    token = create_client(engine, "bigdata", ["intake", "events", "export"])
    assert client.post("/api/v1/orders", json=order_body("SLOW"), headers=auth(token)).status_code == 201
    _, cursor = _export(client, token)

    holding, release = threading.Event(), threading.Event()

    def slow_writer() -> None:  # takes its event id now, commits 5 seconds later
        with engine.store.transaction() as tx:
            tx.add_event("SLOW", "progress_reported", local(2026, 6, 1, 9, 0), "slow", {"note": "late"},
                         clock.now())
            holding.set()
            release.wait(timeout=30)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    started = time.monotonic()
    try:
        assert holding.wait(timeout=30)
        for n in range(3):  # later ids, committed while the slow transaction is open
            assert client.post("/api/v1/orders", json=order_body(f"FAST{n}"), headers=auth(token)).status_code == 201
        clock.advance(seconds=3)  # older than any "settle" window
        records, moved_to = _export(client, token, cursor)
        assert {("FAST0", "dispatched"), ("FAST1", "dispatched"), ("FAST2", "dispatched")} <= set(_events(records))
        assert ("SLOW", "progress_reported") not in _events(records) and moved_to != cursor  # the cursor advanced
        time.sleep(max(0.0, 5 - (time.monotonic() - started)))  # the transaction stays open 5 s in all
    finally:
        release.set()
        thread.join()
    records, _ = _export(client, token, moved_to)
    assert _events(records) == [("SLOW", "progress_reported")]
    assert [r["order_number"] for r in records if r["record_type"] == "order"] == ["SLOW"]


def test_an_old_cursor_still_works(client, token):
    t = token("intake", "events", "export")
    client.post("/api/v1/orders", json=order_body("OLD1"), headers=auth(t))
    everything, _ = _export(client, t)
    first_event = min(r["id"] for r in everything if r["record_type"] == "event")
    records, cursor = _export(client, t, f"e{first_event}-a0")  # a cursor from before the change log
    assert ("OLD1", "dispatched") not in _events(records) and cursor.startswith("p")
    assert client.get("/api/v1/export?since=p-1", headers=auth(t)).status_code == 422


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, sqlite_url):
    return sqlite_url if request.param == "sqlite" else request.getfixturevalue("pg_url")


def test_a_process_killed_between_claim_and_creation_leaves_no_claim(make_engine, clock, settings, db_url):
    engine = make_engine(clock=clock, database_url=db_url)
    engine.register_unit(UNIT, "市住建局", ["+8613800138000"])
    doomed = subprocess.Popen([sys.executable, str(HELPER), db_url, json.dumps(order_body("CRASH1"))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert doomed.stdout.readline().strip() == "claimed"  # the intake record is written, not committed
    finally:
        doomed.kill()  # SIGKILL: no cleanup, no rollback by the process itself
        doomed.wait(timeout=30)
    assert doomed.returncode != 0
    client = build_app(settings, engine).test_client()
    token = create_client(engine, "platform", ["intake", "events", "export", "personal_data"])
    different = order_body("CRASH1", content="另一份诉求内容")  # the same facts, another body
    response = client.post("/api/v1/orders", json=different, headers=auth(token))
    assert response.status_code == 201, response.get_data(as_text=True)  # not 409 for an order that does not exist
    assert client.get("/api/v1/orders/CRASH1", headers=auth(token)).get_json()["content"] == "另一份诉求内容"
    assert client.post("/api/v1/orders", json=order_body("CRASH1"), headers=auth(token)).status_code == 409
    assert client.post("/api/v1/orders", json=different, headers=auth(token)).status_code == 200


def _export_to_folder(client, token, folder: Path, limit: int = 4) -> list[Path]:
    """What a receiving system keeps: every response of the incremental export, one NDJSON file each."""
    folder.mkdir()
    cursor, files = "", []
    while True:
        response = client.get(f"/api/v1/export?since={cursor}&limit={limit}", headers=auth(token))
        body = response.get_data(as_text=True)
        if not body:
            return files
        files.append(folder / f"batch-{len(files) + 1:04d}.ndjson")
        files[-1].write_text(body, encoding="utf-8")
        cursor = response.headers["Duban-Next-Cursor"]


def _verify(folder: Path, url: str, capsys) -> tuple[int, str]:
    from tests.api.conftest import duban

    code = duban(["export", "verify", str(folder), "--database", url])
    return code, capsys.readouterr().out


@pytest.fixture
def busy(client, token, api_engine):
    t = token("intake", "events", "export")
    for n in range(4):
        client.post("/api/v1/orders", json=order_body(f"V{n}"), headers=auth(t))
        client.post(f"/api/v1/orders/V{n}/events", json={"type": "signed", "at": "2026-06-01T07:40:00+08:00"},
                    headers=auth(t))
    api_engine.clock.advance(days=3)
    api_engine.fire_due_timers()  # the rules' actions (SMS) are exported too
    return t


def test_export_verify_finds_nothing_missing_in_a_full_copy(client, busy, tmp_path, sqlite_url, capsys):
    files = _export_to_folder(client, busy, tmp_path / "copy")
    assert len(files) >= 3
    code, out = _verify(tmp_path / "copy", sqlite_url, capsys)
    assert code == 0, out
    assert "nothing missing, nothing different" in out


def test_export_verify_names_the_rows_of_a_removed_batch(client, busy, tmp_path, sqlite_url, capsys):
    files = _export_to_folder(client, busy, tmp_path / "copy")
    lost = [json.loads(line) for line in files[1].read_text(encoding="utf-8").splitlines()]
    files[1].unlink()
    code, out = _verify(tmp_path / "copy", sqlite_url, capsys)
    assert code == 1
    survivors = {(r["record_type"], str(r.get("id") or r["order_number"]))
                 for f in files if f.exists() for line in f.read_text(encoding="utf-8").splitlines()
                 for r in [json.loads(line)]}
    for record in lost:
        key = (record["record_type"], str(record.get("id") or record["order_number"]))
        if record["record_type"] != "order" and key not in survivors:
            assert f"  {key[0]} {key[1]} (" in out, (key, out)
    assert "missing from the copy:" in out and "missing from the copy: none" not in out


def test_export_verify_names_a_changed_row_and_refuses_a_bad_folder(client, busy, tmp_path, sqlite_url, capsys):
    files = _export_to_folder(client, busy, tmp_path / "copy")
    last = files[-1]
    lines = last.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if json.loads(line)["record_type"] == "order")
    record = json.loads(lines[at])  # in the last file: the copy's last word on this order
    record["status"] = "closed" if record["status"] != "closed" else "signed"
    lines[at] = json.dumps(record, ensure_ascii=False)
    last.write_text("\n".join([*lines, "not json"]) + "\n", encoding="utf-8")
    code, out = _verify(tmp_path / "copy", sqlite_url, capsys)
    assert code == 1 and "different in the copy: 1 order(s)" in out and "fields: status" in out
    assert f"{last.name}:" in out and "not JSON" in out
    from tests.api.conftest import duban

    with pytest.raises(SystemExit) as refused:  # the argument's check: one line on stderr, exit 2
        duban(["export", "verify", str(tmp_path / "nowhere"), "--database", sqlite_url])
    assert refused.value.code == 2
    assert "no such folder" in capsys.readouterr().err
