"""Issue 19 item 2: the intake answer lists the earlier orders a new one may repeat, with the score and the reasons
in words; the order page shows them to supervisors with 不是重复; the window and the rules file decide where to look."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from config.loader import load_rules
from engine.domain.errors import RuleError
from engine.domain.location import order_location
from tests.api.conftest import UNIT, auth, order_body
from tests.conftest import ROOT, local
from tests.web_login import client_as, post

SAME_PLACE = {"address": "揭阳市榕城区临江北路12号3栋", "district": "榕城区",
              "coordinates": {"latitude": 23.5523, "longitude": 116.3655, "system": "WGS-84"}}


def test_the_intake_answer_lists_possible_duplicates_and_the_page_lets_a_supervisor_dismiss_one(
        app, client, token, api_engine):
    key = token("intake")
    first = client.post("/api/v1/orders", json=order_body("GD-D1", content="临江北路12号路灯不亮，晚上很黑", **SAME_PLACE),
                        headers=auth(key))
    assert first.status_code == 201 and first.json["possible_duplicates"] == []
    again = order_body("GD-D2", content="市民称临江北路12号的路灯坏了好几天", citizen={"phone": "13700000000"},
                       **{**SAME_PLACE, "address": "揭阳市榕城区临江北路１２号３幢"})
    response = client.post("/api/v1/orders", json=again, headers=auth(key))
    assert response.status_code == 201
    [found] = response.json["possible_duplicates"]
    assert found["order"] == "GD-D1" and found["status"] == "open" and found["score"] >= 0.6
    assert found["reasons"][0] == "地址相同" and any(r.startswith("内容相似度") for r in found["reasons"])
    elsewhere = order_body("GD-D3", content="东山大道8号餐馆油烟直排", address="揭阳市榕城区东山大道8号",
                           citizen={"phone": "13600000000"})
    assert client.post("/api/v1/orders", json=elsewhere, headers=auth(key)).json["possible_duplicates"] == []

    supervisor = client_as(app, api_engine, "sup19", "supervisor")
    page = supervisor.get("/orders/GD-D2").get_data(as_text=True)
    assert "疑似重复诉求" in page and "GD-D1" in page and "地址相同" in page and "不是重复</button>" in page
    pair = api_engine.possible_duplicates("GD-D2")[0]["id"]
    refused = post(supervisor, "/orders/GD-D3/not-duplicate", {"candidate": str(pair)})
    assert refused.status_code == 422 and "不属于本工单" in refused.get_data(as_text=True)
    assert post(supervisor, "/orders/GD-D2/not-duplicate", {"candidate": str(pair)}).status_code == 302
    page = supervisor.get("/orders/GD-D1").get_data(as_text=True)  # the earlier order shows the pair too
    assert "GD-D2" in page and "不是重复" in page and "不是重复</button>" not in page
    assert api_engine.possible_duplicates("GD-D2")[0]["decided_by"] == "sup19"
    unit = client_as(app, api_engine, "unit19", "unit", UNIT)
    assert "疑似重复诉求" not in unit.get("/orders/GD-D2").get_data(as_text=True)


def _open(engine, number, at, **place):
    engine.open_work_order(number=number, unit_code="U1", category="求助", urgency="一般", source="12345", at=at,
                           location=order_location(**place))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_candidates_are_open_orders_and_those_of_the_window(make_engine, clock, backend, request):
    """Each channel: the address (open orders whatever their age), the point (the window's orders and older open
    ones), the place named and the content bands the earlier intake stored (on PostgreSQL in the reading
    statement itself)."""
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    engine = make_engine(clock=clock, database_url=url)
    engine.register_unit("U1", "市住建局", ["+8613800138000"])
    place = {"address": "马牙路8号", "content": "马牙路8号井盖缺失", "latitude": 23.5, "longitude": 116.3,
             "system": "WGS-84"}
    start = local(2026, 6, 1, 9, 0)
    _open(engine, "W1", start, **place)  # closed, and 40 days before W3: out of the window
    _open(engine, "W2", start, **place)  # still open: always a candidate
    for event, hours in (("signed", 1), ("replied", 2), ("closed", 3)):
        engine.record_event("W1", event, at=start + timedelta(hours=hours))
    clock.set(start + timedelta(days=40))
    _open(engine, "W3", start + timedelta(days=40), **place, caller_phone="13900000009")
    assert [p["other"] for p in engine.possible_duplicates("W3")] == ["W2"]
    _open(engine, "W4", start + timedelta(days=40, hours=1), content="这里的井盖不见了，晚上很危险",
          latitude=23.5003, longitude=116.3, system="WGS-84")  # 33 m off: W3 in the window, W2 open
    assert {p["other"] for p in engine.possible_duplicates("W4")} == {"W2", "W3"}
    _open(engine, "W5", start + timedelta(days=40, hours=2), content="马牙路8号井盖缺失")  # words and place only
    assert {"W3"} <= {p["other"] for p in engine.possible_duplicates("W5")}
    reasons = {r for p in engine.possible_duplicates("W5") if p["other"] == "W3" for r in p["reasons"]}
    assert reasons == {"同一地点（马牙路8号）", "内容相似度1.00"}


def test_the_rules_file_sets_the_window_the_distance_and_the_score(tmp_path):
    text = (ROOT / "config" / "rules.toml").read_text(encoding="utf-8")
    path = tmp_path / "rules.toml"
    path.write_text(text.replace("window_days = 30", "window_days = 7").replace("distance_m = 100", "distance_m = 50"),
                    encoding="utf-8")
    policy = load_rules(path).duplicates
    assert (policy.window, policy.distance_m, policy.min_score) == (timedelta(days=7), 50.0, 0.5)
    path.write_text(text.replace("min_score = 0.5", "min_score = 2"), encoding="utf-8")
    with pytest.raises(RuleError, match="duplicates.min_score: expected a number from 0.05 to 1"):
        load_rules(path)


def test_the_batch_answer_lists_possible_duplicates_per_item(client, token):
    key = token("intake")
    light = {**SAME_PLACE, "content": "临江北路12号路灯不亮，晚上很黑"}
    response = client.post("/api/v1/orders/batch", headers=auth(key), json={"orders": [
        order_body("GD-B1", **light),
        order_body("GD-B2", citizen={"phone": "13700000000"},  # repeats the item before it, one batch
                   **{**light, "address": "揭阳市榕城区临江北路１２号３幢", "content": "市民称临江北路12号的路灯坏了好几天"}),
        order_body("GD-B3", content="东山大道8号餐馆油烟直排", address="揭阳市榕城区东山大道8号"),
        order_body("GD-B1", **light),  # already received: its pairs as the single intake answers (B2's now)
        {"order_no": "GD-B4"}]})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["outcome"] for r in results] == ["created", "created", "created", "existing", "invalid"]
    assert results[0]["possible_duplicates"] == results[2]["possible_duplicates"] == []
    [found] = results[1]["possible_duplicates"]
    assert found["order"] == "GD-B1" and found["status"] == "open" and found["reasons"][0] == "地址相同"
    assert [p["order"] for p in results[3]["possible_duplicates"]] == ["GD-B2"]
    assert "possible_duplicates" not in results[4]


@pytest.mark.postgres
def test_on_postgresql_a_lookup_is_one_statement_and_recording_one_more(make_engine, clock, pg_url, monkeypatch):
    """The new order's signature and keys are written by the statement that reads its neighbours; a second
    statement records the candidates, when there are any."""
    import engine.merging as merging

    statements: list[int] = []
    original = merging.look_for_duplicates

    def counted(records, *args):
        sent: list[str] = []

        def listener(conn, cursor, statement, *rest):
            sent.append(statement)

        sa.event.listen(records.c, "before_cursor_execute", listener)
        try:
            return original(records, *args)
        finally:
            sa.event.remove(records.c, "before_cursor_execute", listener)
            statements.append(len(sent))

    monkeypatch.setattr(merging, "look_for_duplicates", counted)
    engine = make_engine(clock=clock, database_url=pg_url)
    engine.register_unit("U1", "市住建局", ["+8613800138000"])
    place = {"address": "马牙路8号", "content": "马牙路8号井盖缺失", "latitude": 23.5, "longitude": 116.3,
             "system": "WGS-84"}
    _open(engine, "S1", local(2026, 6, 1, 9, 0), **place)
    _open(engine, "S2", local(2026, 6, 1, 10, 0), **place)
    assert statements == [1, 2] and [p["other"] for p in engine.possible_duplicates("S2")] == ["S1"]
