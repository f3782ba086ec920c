"""`duban import` of an events file (issue 18): dispatch objections, their decisions and coordination meetings go
through the API's parser and engine calls — the same events, refused with the same words, nothing written from a
file with a bad row (unless --skip-bad), the same file again changes nothing. The API's order view shows the
co-handling units with their sign-for and the hard-case mark."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tests.api.conftest import UNIT, auth, duban, order_body
from tests.api.test_objections_api import _events as _all_events
from workflows.intake.file_import import import_file

HEADER = "工单编号,事件类型,发生时间,理由,说明,结论,单位编码\n"


def _csv(tmp_path: Path, rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


def _events(engine, number):
    """The order's events, without the intake's duplicate candidates (the test orders share a caller and address)."""
    return [kind for kind in _all_events(engine, number) if kind != "duplicates_found"]


def _order(engine, number):
    with engine.store.reading() as tx:
        return tx.get_order(number)


def test_objections_and_decisions_from_a_file_like_the_api_and_again_change_nothing(tmp_path, client, token,
                                                                                     api_engine):
    t = token("intake", "events")
    for number in ("E1", "E2"):
        assert client.post("/api/v1/orders", json=order_body(number), headers=auth(t)).status_code == 201
    deadline = _order(api_engine, "E2").deadline_at
    path = _csv(tmp_path, "E1,objected,2026-06-01 07:40,非本单位职责,属市场监管,,\n"
                          "E1,objection_decided,2026-06-01 07:50,,已核实,accepted,U-SCJ\n"
                          "E2,objected,2026-06-01 07:41,诉求不清/信息不全,,,\n"
                          "E2,objection_decided,2026-06-01 07:51,,地址已补充，请继续办理,rejected,\n")
    report = import_file(api_engine, path)
    assert (report.kind, report.errors, report.written, report.recorded) == ("events", [], True, 4)
    assert _events(api_engine, "E1") == ["dispatched", "objected", "redispatched", "objection_decided"]
    assert _order(api_engine, "E1").unit_code == "U-SCJ"  # 改派
    e2 = _order(api_engine, "E2")
    assert (e2.unit_code, e2.deadline_at, e2.returned_at) == (UNIT, deadline, None)  # back, its clock running
    with api_engine.store.reading() as tx:
        actor, details = tx.c.exec_driver_sql("SELECT actor, details FROM order_events WHERE order_number='E1' "
                                              "AND type='objected'").one()
    assert actor == "import:events.csv" and json.loads(details)["note"] == "属市场监管"
    again = import_file(api_engine, path)
    assert (again.errors, again.existing, again.recorded) == ([], 4, 0)
    assert _events(api_engine, "E1") == ["dispatched", "objected", "redispatched", "objection_decided"]
    view = client.get("/api/v1/orders/E1", headers=auth(t)).get_json()
    assert (view["unit_code"], view["co_units"], view["hard_case"], view["hard_case_at"]) == ("U-SCJ", [], False, None)


def test_an_events_file_may_name_types_and_decisions_in_chinese(tmp_path, client, token, api_engine):
    t = token("intake", "events")
    for number in ("Z1", "Z2"):
        assert client.post("/api/v1/orders", json=order_body(number), headers=auth(t)).status_code == 201
    path = _csv(tmp_path, "Z1,退单,2026-06-01 07:40,非本单位职责,,,\n"
                          "Z1,退单审核,2026-06-01 07:50,,已核实,同意,U-SCJ\n"
                          "Z2,派单异议,2026-06-01 07:41,重复诉求,,,\n"
                          "Z2,退单审核,2026-06-01 07:51,,非重复,驳回,\n"
                          "Z2,签收,2026-06-01 08:10,,,,\n")
    report = import_file(api_engine, path)
    assert (report.errors, report.recorded) == ([], 5)
    assert _events(api_engine, "Z1") == ["dispatched", "objected", "redispatched", "objection_decided"]
    assert _order(api_engine, "Z1").unit_code == "U-SCJ"
    assert _events(api_engine, "Z2") == ["dispatched", "objected", "objection_decided", "signed"]
    assert _order(api_engine, "Z2").unit_code == UNIT


BAD_ROWS = [  # (row, API body) — each refused by the import as the API refuses it
    (2, {"type": "objected", "at": "2026-06-01T07:40:00+08:00", "reason": "不归我管"}),
    (3, {"type": "objection_decided", "at": "2026-06-01T07:41:00+08:00", "decision": "rejected"}),
    (4, {"type": "objected", "at": "2026-06-01T07:42:00+08:00"}),
    (5, {"type": "objection_decided", "at": "2026-06-01T07:43:00+08:00", "decision": "accepted", "unit": "U-NOPE"}),
]


def test_bad_event_rows_are_refused_with_the_apis_words_and_nothing_is_written(tmp_path, client, token, api_engine,
                                                                               sqlite_url, monkeypatch, capsys):
    t = token("intake", "events")
    assert client.post("/api/v1/orders", json=order_body("B1"), headers=auth(t)).status_code == 201
    path = _csv(tmp_path, "B1,objected,2026-06-01 07:40,不归我管,,,\n"
                          "B1,objection_decided,2026-06-01 07:41,,,rejected,\n"
                          "B1,objected,2026-06-01 07:42,,,,\n"
                          "B1,objection_decided,2026-06-01 07:43,,,accepted,U-NOPE\n"
                          "NOPE-1,signed,2026-06-01 07:44,,,,\n"
                          "B1,consultation,2026-06-01 07:45,,会商,定了,U-SCJ\n"
                          "B1,signed,2026-06-01 07:46,,,,\n")
    monkeypatch.setenv("DUBAN_SECRET_KEY", "test-secret-key-0123456789")
    assert duban(["--log-format", "text", "import", str(path), "--database", sqlite_url]) == 2
    err = capsys.readouterr().err
    assert _events(api_engine, "B1") == ["dispatched"]  # nothing written, the good row 8 neither
    for row, body in BAD_ROWS:
        problem = client.post("/api/v1/orders/B1/events", json=body, headers=auth(t)).get_json()
        reason = problem["errors"][0]["reason"]
        assert f"row {row}: " in err and reason in err.split(f"row {row}: ", 1)[1].splitlines()[0], (row, reason)
    assert "row 6: order_no: unknown work order 'NOPE-1'" in err
    assert "row 7: present: a list of 1 to 10 distinct unit codes" in err and "row 7: working_days: required" in err
    assert "nothing written" in err
    assert duban(["--log-format", "text", "import", str(path), "--skip-bad", "--database", sqlite_url]) == 0
    assert "written: 1 recorded, 0 already there" in capsys.readouterr().out
    assert _events(api_engine, "B1") == ["dispatched", "signed"]


def test_a_hard_case_and_its_meeting_from_a_workbook_and_the_order_view_shows_them(tmp_path, client, token,
                                                                                   api_engine):
    from openpyxl import Workbook

    for code, name in (("U-JD", "榕华街道办"), ("U-JT", "市交通局")):
        api_engine.register_unit(code, name, ["+8613800138002"])
    t = token("intake", "events", "export")
    assert client.post("/api/v1/orders", json=order_body("H1", co_units=["U-JT"]), headers=auth(t)).status_code == 201
    book = Workbook()
    sheet = book.active
    sheet.append(["order_no", "type", "at", "reason", "decision", "unit", "present", "co_units", "working_days"])
    for minute, unit in ((40, "U-SCJ"), (42, "U-JD")):  # passed among three units: 疑难
        sheet.append(["H1", "objected", datetime(2026, 6, 1, 7, minute), "非本单位职责"])
        sheet.append(["H1", "objection_decided", datetime(2026, 6, 1, 7, minute + 1), None, "accepted", unit])
    sheet.append(["H1", "consultation", datetime(2026, 6, 1, 7, 50), None, "市场监管局牵头，街道、交通配合", "U-SCJ",
                  "U-ZJJ、U-SCJ、U-JD", "U-JD,U-JT", 5])
    sheet.append(["H1", "co_signed", datetime(2026, 6, 1, 7, 55), None, None, "U-JT"])
    path = tmp_path / "events.xlsx"
    book.save(path)
    report = import_file(api_engine, path)
    assert (report.errors, report.recorded) == ([], 6)
    assert "hard_case" in _events(api_engine, "H1") and _events(api_engine, "H1")[-2:] == ["consultation", "co_signed"]
    view = client.get("/api/v1/orders/H1", headers=auth(t)).get_json()
    assert view["unit_code"] == "U-SCJ" and view["deadline_at"].startswith("2026-06-08T23:59:59")
    assert view["hard_case"] is True and view["hard_case_at"].startswith("2026-06-01T07:43")
    assert sorted(view["co_units"], key=lambda c: c["unit_code"]) == [
        {"unit_code": "U-JD", "signed": False, "signed_at": None},
        {"unit_code": "U-JT", "signed": True, "signed_at": "2026-06-01T07:55:00+08:00"}]
    exported = [r for r in client.get("/api/v1/export/full", headers=auth(t)).get_data(as_text=True).splitlines()
                if '"record_type": "order"' in r]
    assert '"hard_case": true' in exported[0] and '"unit_code": "U-JD", "signed": false' in exported[0]


def test_a_row_the_order_outran_between_check_and_write_is_reported_the_others_written(tmp_path, client, token,
                                                                                       api_engine, monkeypatch):
    from workflows.intake import event_import

    t = token("intake", "events")
    for number in ("W1", "W2"):
        assert client.post("/api/v1/orders", json=order_body(number), headers=auth(t)).status_code == 201
    checked = event_import.check_events

    def a_supervisor_decides_meanwhile(engine, rows):
        found = checked(engine, rows)
        engine.decide_objection("W1", decision="rejected", note="网上已审核", at=engine.clock.now(), actor="sup")
        return found

    api_engine.object_to_dispatch("W1", reason="其他", note="待核实", at=api_engine.clock.now(), actor="u")
    monkeypatch.setattr(event_import, "check_events", a_supervisor_decides_meanwhile)
    path = _csv(tmp_path, "W1,objection_decided,2026-06-01 08:00,,,accepted,U-SCJ\nW2,signed,2026-06-01 08:00,,,,\n")
    report = import_file(api_engine, path)
    assert report.written and (report.recorded, report.refused_on_write) == (1, 1)
    assert [(e.row, e.field) for e in report.errors] == [(2, "type")]
    assert report.errors[0].reason.startswith("not written: ") and "no open dispatch objection" in report.errors[0].reason
    assert _order(api_engine, "W1").unit_code == UNIT and _events(api_engine, "W2") == ["dispatched", "signed"]
