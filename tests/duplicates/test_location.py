"""Issue 19 item 1: every order keeps the request, its address (as given and normalised), district, WGS-84
coordinates and caller — through the API, 12315, `duban import`, replay and the demo; bad coordinates are refused
with a reason naming the field."""
from __future__ import annotations

import json

import pytest

from engine.domain.errors import InvalidInput
from engine.domain.location import distance_m, gcj02_to_wgs84, normalise_address, order_location, wgs84_to_gcj02
from tests.api.conftest import UNIT, auth, order_body
from workflows.intake.file_import import import_file
from workflows.replay import ReplayError, drive, read_events


def stored(engine, number: str) -> dict:
    with engine.store.reading() as tx:
        row = tx.c.exec_driver_sql(
            "SELECT content, address, address_key, district, latitude, longitude, caller_phone FROM work_orders "
            "WHERE number = ?", (number,)).mappings().first()
    return dict(row) if row else {}


@pytest.mark.parametrize("spelling", ["揭阳市榕城区临江北路１２号３号楼", "揭阳市 榕城区 临江北路12号3幢",
                                      "揭阳市榕城区临江北路十二号三栋", "揭阳市榕城区临江北路12号3#楼"])
def test_one_address_spelled_four_ways_has_one_key(spelling):
    assert normalise_address(spelling) == "揭阳市榕城区临江北路12号3栋"


def test_other_houses_keep_other_keys():
    keys = {normalise_address(a) for a in ("临江北路12号", "临江北路120号", "临江北路12号3栋", "黄浦区南京东路12弄")}
    assert len(keys) == 4 and normalise_address("南京东路 一百零五 弄") == "南京东路105弄"


def test_gcj02_is_converted_to_wgs84_within_a_centimetre():
    # the People's Square in Shanghai: a WGS-84 point and its GCJ-02 twin about 480 m away on a Chinese map
    wgs = (31.2304, 121.4737)
    gcj = wgs84_to_gcj02(*wgs)
    assert 400 < distance_m(*wgs, *gcj) < 600
    assert distance_m(*wgs, *gcj02_to_wgs84(*gcj)) < 0.01
    located = order_location(latitude=gcj[0], longitude=gcj[1], system="gcj02")
    assert distance_m(*wgs, located.latitude, located.longitude) < 0.05


@pytest.mark.parametrize("given, reason", [
    ({"latitude": 95, "longitude": 116, "system": "WGS-84"}, "latitude must lie between -90 and 90"),
    ({"latitude": 23.5, "longitude": "116", "system": "WGS-84"}, "longitude must be a number"),
    ({"latitude": 23.5, "longitude": 116.3, "system": "BD-09"}, "unknown coordinate system 'BD-09'"),
    ({"latitude": 23.5, "longitude": 116.3}, "coordinates need their system"),
    ({"latitude": 23.5, "system": "WGS-84"}, "both latitude and longitude"),
])
def test_bad_coordinates_are_refused_with_the_reason(given, reason):
    with pytest.raises(InvalidInput, match=reason):
        order_location(**given)


def test_the_api_stores_a_gcj02_point_as_wgs84_and_shows_it(client, token, api_engine):
    key = token("intake", "personal_data")
    gcj = wgs84_to_gcj02(23.5523, 116.3655)
    body = order_body("GD-LOC-1", district="榕城区", address="揭阳市榕城区临江北路１２号３号楼",
                      coordinates={"latitude": gcj[0], "longitude": gcj[1], "system": "GCJ-02"},
                      citizen={"name": "张三", "phone": "+86 139-1234-5678"})
    response = client.post("/api/v1/orders", json=body, headers=auth(key))
    assert response.status_code == 201, response.json
    row = stored(api_engine, "GD-LOC-1")
    assert row["address_key"] == "揭阳市榕城区临江北路12号3栋" and row["district"] == "榕城区"
    assert row["caller_phone"] == "13912345678" and row["content"] == body["content"]
    assert distance_m(23.5523, 116.3655, row["latitude"], row["longitude"]) < 0.05
    order = response.json["order"]
    assert order["district"] == "榕城区" and abs(order["latitude"] - 23.5523) < 1e-6
    masked = client.get("/api/v1/orders/GD-LOC-1", headers=auth(token("intake"))).json
    assert masked["latitude"] == 23.55 and masked["longitude"] == 116.37  # about 1 km without personal_data


@pytest.mark.parametrize("coordinates, reason", [
    ({"latitude": 123.0, "longitude": 116.3, "system": "WGS-84"}, "latitude must lie between -90 and 90"),
    ({"latitude": 23.5, "longitude": 116.3, "system": "BD-09"}, "unknown coordinate system"),
    ({"latitude": 23.5, "longitude": 116.3}, "are all required"),
])
def test_the_api_refuses_bad_coordinates_naming_the_field(client, token, api_engine, coordinates, reason):
    response = client.post("/api/v1/orders", json=order_body("GD-LOC-2", coordinates=coordinates),
                           headers=auth(token("intake")))
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == ["coordinates"]
    assert reason in response.json["errors"][0]["reason"] and stored(api_engine, "GD-LOC-2") == {}


def test_12315_orders_carry_district_and_coordinates(client, token, api_engine):
    body = {"tsjbbh": "SC-1", "sqlx": "1", "djsj": "2026-06-01T07:30:00+08:00", "cbdwdm": UNIT, "sqnr": "商家拒不退款",
            "fsdz": "揭阳市榕城区进贤门大道 33 号", "fsqx": "榕城区", "wd": 23.54683, "jd": 116.35892, "zbx": "WGS-84",
            "tsrdh": "13800000001"}
    assert client.post("/api/v1/12315/orders", json=body, headers=auth(token("intake"))).status_code == 201
    row = stored(api_engine, "12315-SC-1")
    assert (row["address_key"], row["district"], row["latitude"], row["caller_phone"]) == (
        "揭阳市榕城区进贤门大道33号", "榕城区", 23.54683, "13800000001")
    bad = client.post("/api/v1/12315/orders", json={**body, "tsjbbh": "SC-2", "zbx": "火星"},
                      headers=auth(token("intake")))
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "wd/jd/zbx"


def test_import_reads_district_and_coordinates_and_names_a_bad_row(tmp_path, api_engine):
    path = tmp_path / "orders.csv"
    path.write_text("工单编号,承办单位编码,诉求类型,派单时间,诉求内容,事发地址,区县,纬度,经度,坐标系,联系电话\n"
                    f"I1,{UNIT},投诉,2026-06-01 07:30,路灯不亮,揭东区城西大道8号,揭东区,23.566,116.412,WGS-84,13900000002\n"
                    f"I2,{UNIT},投诉,2026-06-01 07:30,路灯不亮,揭东区城西大道8号,揭东区,23.566,东经116,WGS-84,\n",
                    encoding="utf-8")
    report = import_file(api_engine, path)
    assert [(e.row, e.field) for e in report.errors] == [(3, "coordinates")] and not report.written
    assert "longitude must be a number" in report.errors[0].reason
    report = import_file(api_engine, path, skip_bad=True)
    assert report.created == 1
    row = stored(api_engine, "I1")
    assert (row["district"], row["latitude"], row["longitude"], row["content"], row["caller_phone"]) == (
        "揭东区", 23.566, 116.412, "路灯不亮", "13900000002")


UNIT_LINE = {"type": "unit", "code": "U1", "name": "市住建局", "phones": ["+8613800138000"]}


def _created(**extra) -> dict:
    return {"at": "2026-06-01T09:00:00+08:00", "type": "order_created", "order": "R1", "unit": "U1",
            "category": "投诉", **extra}


def test_replay_order_created_keeps_the_request(make_engine, clock):
    line = _created(content="噪音扰民", address="临江北路12号", district="榕城区", latitude=23.55, longitude=116.36,
                    coord_system="WGS-84", caller_phone="13900000003")
    data = read_events([json.dumps(UNIT_LINE), json.dumps(line, ensure_ascii=False)])
    engine = make_engine(clock=clock)
    drive(engine, clock, data, end=data.events[-1][1])
    assert stored(engine, "R1") == {"content": "噪音扰民", "address": "临江北路12号", "address_key": "临江北路12号",
                                    "district": "榕城区", "latitude": 23.55, "longitude": 116.36,
                                    "caller_phone": "13900000003"}
    with pytest.raises(ReplayError, match="line 2: unknown coordinate system 'BD-09'"):
        read_events([json.dumps(UNIT_LINE), json.dumps({**line, "coord_system": "BD-09"})])
    with pytest.raises(ReplayError, match="line 2: latitude must lie between"):
        read_events([json.dumps(UNIT_LINE), json.dumps({**line, "latitude": -91})])


def test_the_demo_orders_have_realistic_requests():
    from datetime import datetime, timezone

    from workflows.dev.demo import demo_records
    created = [r for r in demo_records(datetime(2026, 9, 1, 2, tzinfo=timezone.utc), orders=200)
               if r.get("type") == "order_created"]
    assert all(r["address"].startswith("揭阳市") and r["district"] in r["address"] and r["content"]
               and r["coord_system"] == "GCJ-02" and 23 < r["latitude"] < 24 for r in created)
    assert len({r["address"] for r in created}) < len(created)  # some matters are reported twice
