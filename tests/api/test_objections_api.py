"""The API accepts the 2025 rules' events like replay does, and refuses bad ones changing nothing."""
from __future__ import annotations

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
