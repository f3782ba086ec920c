"""The API accepts the 2025 rules' events like replay does, and refuses bad ones changing nothing."""
from __future__ import annotations

import json

from tests.api.conftest import UNIT, auth, order_body
from tests.api.test_intake_api import _problem


def _events(engine, number):
    with engine.store.reading() as tx:
        return [r[0] for r in tx.c.exec_driver_sql(
            f"SELECT type FROM order_events WHERE order_number='{number}' ORDER BY id").all()]


def test_objection_and_decision_through_the_api(client, token, api_engine):
    t = token("intake", "events")
    assert client.post("/api/v1/orders", json=order_body("OB1"), headers=auth(t)).status_code == 201

    def event(**body):
        return client.post("/api/v1/orders/OB1/events", json=body, headers=auth(t))

    body = _problem(event(type="objected", at="2026-06-01T07:40:00+08:00", reason="不归我管"), 422)
    assert "objection reason must be one of" in body["errors"][0]["reason"]
    body = _problem(event(type="objected", at="2026-06-01T07:40:00+08:00"), 422)
    assert body["errors"][0]["field"] == "reason"
    _problem(event(type="objection_decided", at="2026-06-01T07:41:00+08:00", decision="rejected"), 409)
    assert _events(api_engine, "OB1") == ["dispatched"]  # nothing changed
    assert event(type="objected", at="2026-06-01T07:42:00+08:00", reason="非本单位职责",
                 note="属市场监管").status_code == 201
    body = _problem(event(type="objection_decided", at="2026-06-01T07:43:00+08:00", decision="accepted"), 422)
    assert body["errors"][0]["field"] == "unit"
    _problem(event(type="objection_decided", at="2026-06-01T07:43:00+08:00", decision="accepted", unit="NOPE"), 422)
    _problem(event(type="objection_decided", at="2026-06-01T07:43:00+08:00", decision="rejected", unit="U-SCJ"), 422)
    assert _events(api_engine, "OB1") == ["dispatched", "objected"]
    response = event(type="objection_decided", at="2026-06-01T07:44:00+08:00", decision="accepted", unit="U-SCJ")
    assert response.status_code == 201
    assert response.get_json()["order"]["unit_code"] == "U-SCJ"
    assert _events(api_engine, "OB1") == ["dispatched", "objected", "redispatched", "objection_decided"]


def test_co_handling_units_on_intake_sign_and_contribute(client, token, api_engine):
    t = token("intake", "events")
    body = _problem(client.post("/api/v1/orders", json=order_body("CO1", co_units=[UNIT]), headers=auth(t)), 422)
    assert body["errors"][0]["field"] == "co_units"
    assert client.post("/api/v1/orders", json=order_body("CO1", co_units=["U-SCJ"]), headers=auth(t)).status_code == 201

    def event(**body):
        return client.post("/api/v1/orders/CO1/events", json=body, headers=auth(t))

    _problem(event(type="co_signed", at="2026-06-01T07:40:00+08:00", unit=UNIT), 409)  # the lead is not a co-unit
    assert event(type="co_signed", at="2026-06-01T07:41:00+08:00", unit="U-SCJ").status_code == 201
    _problem(event(type="co_signed", at="2026-06-01T07:42:00+08:00", unit="U-SCJ"), 409)
    _problem(event(type="contributed", at="2026-06-01T07:43:00+08:00", unit="U-SCJ"), 422)
    assert event(type="contributed", at="2026-06-01T07:44:00+08:00", unit="U-SCJ", text="已配合勘查").status_code == 201
    body = _problem(event(type="signed", at="2026-06-01T07:45:00+08:00", unit="U-SCJ"), 422)
    assert body["errors"][0]["field"] == "unit"
    assert _events(api_engine, "CO1") == ["dispatched", "co_signed", "contributed"]


def test_a_coordination_meeting_through_the_api_checked_as_on_the_order_page(client, token, api_engine):
    api_engine.register_unit("U-JD", "榕华街道办", ["+8613800138002"])
    t = token("intake", "events")
    assert client.post("/api/v1/orders", json=order_body("HC1"), headers=auth(t)).status_code == 201

    def event(**body):
        return client.post("/api/v1/orders/HC1/events", json=body, headers=auth(t))

    meeting = {"type": "consultation", "at": "2026-06-01T09:00:00+08:00", "present": [UNIT, "U-SCJ", "U-JD"],
               "decision": "由市场监管局牵头，街道配合", "unit": "U-SCJ", "co_units": ["U-JD"], "working_days": 5}
    _problem(event(**meeting), 409)  # not a hard case yet
    for minute, unit in ((40, "U-SCJ"), (42, "U-JD")):  # passed among three units: a hard case
        assert event(type="objected", at=f"2026-06-01T07:{minute}:00+08:00", reason="非本单位职责").status_code == 201
        assert event(type="objection_decided", at=f"2026-06-01T07:{minute + 1}:00+08:00", decision="accepted",
                     unit=unit).status_code == 201
    before = _events(api_engine, "HC1")
    assert before[-4:] == ["redispatched", "hard_case", "escalated", "objection_decided"]
    for bad, field in (({"decision": None}, "decision"), ({"present": []}, "present"), ({"working_days": 0}, "working_days"),
                       ({"co_units": ["U-SCJ"]}, "co_units"), ({"unit": None}, "unit")):
        body = _problem(event(**{k: v for k, v in {**meeting, **bad}.items() if v is not None}), 422)
        assert body["errors"][0]["field"] == field
    body = _problem(event(**{**meeting, "present": ["NOPE"]}), 422)
    assert "NOPE" in json.dumps(body, ensure_ascii=False)
    _problem(event(type="co_signed", at="2026-06-01T08:00:00+08:00", unit="U-JD", present=[UNIT]), 422)
    assert _events(api_engine, "HC1") == before  # nothing changed
    response = event(**meeting)
    assert response.status_code == 201
    got = response.get_json()["order"]
    assert got["unit_code"] == "U-SCJ" and got["deadline_at"].startswith("2026-06-08T23:59:59")  # 5 WD after 06-01
    with api_engine.store.reading() as tx:
        assert [c["unit"] for c in tx.get_order("HC1").co_units] == ["U-JD"]
    assert _events(api_engine, "HC1")[-1] == "consultation"
