"""The 2025 rules' forms on the order page: a unit objects (退单) with a reason code, a supervisor decides it with
the catalogue's suggestion, a co-handling unit signs and contributes, a hard case gets a coordination meeting;
refused forms say why and save nothing."""
from __future__ import annotations

from typing import Any

from engine.domain.catalogue import CatalogueEntry, DispatchCatalogue
from tests.web_login import post
from tests.webapp.conftest import TODAY, World, assert_nothing_saved, text_of
from tests.webapp.test_forms import act, audited


def refused(world: World, client: Any, path: str, form: dict[str, str], message: str) -> None:
    before = world.fingerprint()
    response = post(client, path, form)
    assert response.status_code == 422 and message in text_of(response), text_of(response)[:1500]
    assert_nothing_saved(world, before)


def test_a_unit_objects_and_the_supervisor_accepts_with_the_catalogues_unit(world: World) -> None:
    world.engine.catalogue = DispatchCatalogue((CatalogueEntry("占道经营", "U02", ("占道",)),))
    number = world.new_order("U01", title="门口占道经营")
    page = text_of(world["unit1"].get(f"/orders/{number}"))
    assert "退单须在 2026-07-01 23:59 前提出" in page and "非本单位职责" in page
    refused(world, world["unit1"], f"/orders/{number}/objection", {"reason": "不想办"}, "请选择退单理由")
    refused(world, world["unit1"], f"/orders/{number}/objection", {"reason": "其他", "note": ""}, "请填写退单说明")
    act(world["unit1"], f"/orders/{number}/objection", {"reason": "非本单位职责", "note": "占道属城管"})
    audited(world, "order.objected", "unit1", number)
    page = text_of(world["sup"].get(f"/orders/{number}"))
    assert "待热线审核" in page and "派单目录建议：占道经营 → 区城管局（U02）" in page
    assert '<option value="U02" selected>' in page
    refused(world, world["sup"], f"/orders/{number}/objection-decision", {"decision": "accepted", "unit_code": ""},
            "同意退单须选择改派单位")
    refused(world, world["sup"], f"/orders/{number}/redispatch", {"unit_code": "U02"}, "该退单待审核")
    page = act(world["sup"], f"/orders/{number}/objection-decision",
               {"decision": "accepted", "unit_code": "U02", "note": "改派城管"})
    assert "已同意退单并改派" in page
    assert world.order(number).unit_code == "U02"
    assert world["unit2"].get(f"/orders/{number}").status_code == 200
    assert world["unit1"].get(f"/orders/{number}").status_code == 404
    audited(world, "order.objection_decided", "sup", number)


def test_a_rejected_objection_goes_back_with_the_same_deadline(world: World) -> None:
    number = world.new_order("U01", signed=True)
    deadline = world.order(number).deadline_at
    act(world["unit1"], f"/orders/{number}/objection", {"reason": "诉求不清/信息不全"})
    refused(world, world["sup"], f"/orders/{number}/objection-decision", {"decision": "rejected", "note": ""},
            "请填写审核意见")
    page = act(world["sup"], f"/orders/{number}/objection-decision", {"decision": "rejected", "note": "信息已齐全"})
    assert "原办理时限不变" in page
    order = world.order(number)
    assert order.unit_code == "U01" and order.returned_at is None and order.deadline_at == deadline
    assert f"/orders/{number}/reply" in text_of(world["unit1"].get(f"/orders/{number}"))  # it can handle it again


def test_an_objection_after_the_window_is_refused(world: World) -> None:
    number = world.new_order("U01", at=world.clock.now().replace(day=25))  # 06-25: window closed 06-26 23:59
    assert "退单须在" not in text_of(world["unit1"].get(f"/orders/{number}"))
    refused(world, world["unit1"], f"/orders/{number}/objection", {"reason": "非本单位职责"}, "已超过退单期限")


def test_a_co_handling_unit_signs_and_contributes_but_does_not_reply(world: World) -> None:
    number = "GNCO1"
    world.engine.open_work_order(number=number, unit_code="U01", category="投诉", urgency="一般", source="12345",
                                 at=world.clock.now(), title="协办测试", co_units=["U02"])
    assert "协办工单（" in text_of(world["unit2"].get("/unit")) and number in text_of(world["unit2"].get("/unit"))
    assert "协办工单（" not in text_of(world["unit1"].get("/unit"))
    page = text_of(world["unit2"].get(f"/orders/{number}"))
    assert "签收协办" in page and f"/orders/{number}/reply" not in page
    act(world["unit2"], f"/orders/{number}/co-sign")
    refused(world, world["unit2"], f"/orders/{number}/co-sign", {}, "已签收")
    refused(world, world["unit2"], f"/orders/{number}/contribution", {"text": ""}, "请填写协办意见")
    act(world["unit2"], f"/orders/{number}/contribution", {"text": "已派员配合现场勘查"})
    assert post(world["unit2"], f"/orders/{number}/reply", {"reply": "x", "handled_on": TODAY}).status_code == 404
    page = text_of(world["sup"].get(f"/orders/{number}"))
    assert "协办单位：区城管局（2026-06-30 10:00 已签收）" in page and "已派员配合现场勘查" in page


def test_a_hard_case_is_listed_for_leadership_and_a_meeting_sets_units_and_deadline(world: World) -> None:
    number = world.new_order("U01")
    for unit, to in (("unit1", "U02"), ("unit2", "U01")):
        act(world[unit], f"/orders/{number}/objection", {"reason": "非本单位职责"})
        act(world["sup"], f"/orders/{number}/objection-decision", {"decision": "accepted", "unit_code": to})
    assert world.order(number).hard_case_at is None  # two distinct units so far
    world.engine.register_unit("U03", "区水务局", ["+8613800138003"])
    act(world["unit1"], f"/orders/{number}/objection", {"reason": "非本单位职责"})
    act(world["sup"], f"/orders/{number}/objection-decision", {"decision": "accepted", "unit_code": "U03"})
    assert world.order(number).hard_case_at is not None
    assert number in text_of(world["lead"].get("/leader/hard-cases"))
    assert number in text_of(world["lead"].get("/leader"))  # escalated (提级督办) as a hard case, until replied
    page = text_of(world["sup"].get(f"/orders/{number}"))
    assert "疑难工单" in page and "登记会商" in page
    form = {"held_on": TODAY, "present": ["U01", "U02", "U03"], "lead_unit": "U02", "co_units": ["U03"],
            "working_days": "5", "decision": "城管牵头，水务配合"}
    refused(world, world["sup"], f"/orders/{number}/consultation", {**form, "decision": ""}, "请填写会商结论")
    act(world["sup"], f"/orders/{number}/consultation", form)
    order = world.order(number)
    assert order.unit_code == "U02" and [c["unit"] for c in order.co_units] == ["U03"]
    assert order.deadline_at.astimezone(world.clock.now().tzinfo).date().isoformat() == "2026-07-07"
    audited(world, "order.consultation", "sup", number)
    page = text_of(world["sup"].get(f"/orders/{number}"))  # units by name: U03 was the lead, now co-handling
    assert "参会单位：区住建局、区城管局、区水务局" in page and "新增协办：区水务局" in page


def test_the_rules_page_shows_the_dispatch_catalogue_and_the_objection_rules(world: World) -> None:
    world.engine.catalogue = DispatchCatalogue((CatalogueEntry("供水", "U02", ("停水", "水压"), ("求助",)),))
    page = text_of(world["sup"].get("/rules"))
    assert "<td>供水</td><td>停水、水压</td><td>求助</td><td>区城管局</td>" in page
    assert "退单期限（派至本单位后第 N 个工作日内）</td><td>1<" in page
    assert "流程 dispatch_objection · 版本" in page and "流程 co_unit_sign_for · 版本" in page


def test_the_return_rate_per_unit_is_explained_order_by_order(world: World) -> None:
    world.engine.register_unit("U08", "区交通局", ["+8613800138008"])
    world.engine.register_unit("U09", "区水利局", ["+8613800138009"])
    engine, now = world.engine, world.clock.now()
    numbers = [world.new_order("U08") for _ in range(4)]
    engine.object_to_dispatch(numbers[0], reason="非本单位职责", note="属水利", at=now, actor="u8")
    engine.decide_objection(numbers[0], decision="accepted", unit_code="U09", at=now, actor="sup")
    engine.object_to_dispatch(numbers[1], reason="重复诉求", at=now, actor="u8")
    engine.decide_objection(numbers[1], decision="rejected", note="非重复", at=now, actor="sup")
    engine.object_to_dispatch(numbers[2], reason="其他", note="待核实", at=now, actor="u8")
    page = text_of(world["lead"].get("/objections?period=2026-06"))
    row = next(r for r in page.split("<tr") if "区交通局" in r)
    # 4 dispatches to U08, 3 objections: 1 accepted, 1 rejected, 1 waiting → 回退率 1/4
    assert "<td>4</td><td>3</td><td>1</td><td>1</td><td>1</td>" in row and "25.0%" in row
    assert "<td>1</td><td>0</td><td>0</td><td>0</td><td>0</td>" in next(r for r in page.split("<tr") if "区水利局" in r)
    detail = text_of(world["sup"].get("/objections/U08?period=2026-06"))
    assert "回退率 1 ÷ 4 = 25.0%" in detail
    assert f"/orders/{numbers[0]}" in detail and "同意退单，改派 → 区水利局" in detail
    assert f"/orders/{numbers[1]}" in detail and "不同意退单，退回原单位" in detail and "待审核" in detail
    assert world["unit1"].get("/objections").status_code == 403
    assert world["sup"].get("/objections?period=2026-13").status_code == 400
    assert world["sup"].get("/objections/NOPE").status_code == 404
