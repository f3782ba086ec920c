"""A dispatch objection in a real browser: the unit objects from its phone (390 px), the supervisor decides on a
desktop with the dispatch catalogue's suggestion preselected, and the new unit finds the order. Screenshots go to
test-artifacts/objection-*.png."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.clock import VirtualClock
from engine.domain.catalogue import CatalogueEntry, DispatchCatalogue
from tests.conftest import local
from tests.integration.browser_support import Live, horizontal_overflow, live_server, main_text, shot, submit
from tests.integration.test_browser_roles import browser  # noqa: F401  (the module's Chromium)
from tests.web_login import ensure_user
from web import create_app


@pytest.fixture
def live(browser, make_engine, settings) -> Iterator[Live]:
    """Mon 2026-06-01 10:00: GD-NOISE (噪音, sent to the 城管 by mistake) and GD-CO (住建 leads, 城管 co-handles)."""
    clock = VirtualClock(local(2026, 6, 1, 10, 0))
    engine = make_engine(clock=clock)
    engine.catalogue = DispatchCatalogue((CatalogueEntry("建设工程施工噪音", "U1", ("施工噪音",)),))
    engine.register_unit("U1", "区住房和城乡建设局", ["+8613800138000"])
    engine.register_unit("U2", "区城市管理和综合执法局", ["+8613800138001"])
    engine.register_unit("U3", "榕华街道办事处", ["+8613800138002"])
    engine.open_work_order(number="GD-NOISE", unit_code="U2", category="投诉", urgency="一般", source="12345",
                           at=clock.now(), title="工地夜间施工噪音扰民")
    engine.open_work_order(number="GD-CO", unit_code="U1", category="求助", urgency="一般", source="12345",
                           at=clock.now(), title="老旧小区雨污管网改造", co_units=["U2"])
    clock.set(local(2026, 6, 1, 15, 0))
    for username, role, unit in (("sup", "supervisor", None), ("unit1", "unit", "U1"), ("unit2", "unit", "U2")):
        ensure_user(engine, username, role, unit)
    with live_server(browser, create_app(settings, engine=engine), engine, clock) as session:
        yield session


def test_a_unit_objects_from_its_phone_and_the_supervisor_re_dispatches(live):
    phone = live.page_as("unit2", phone=True)
    phone.goto(live.url("/orders/GD-NOISE"))
    assert "退单须在 2026-06-02 23:59 前提出" in main_text(phone)
    assert horizontal_overflow(phone) == 0, "the order page scrolls sideways on a 390 px phone"
    phone.get_by_role("button", name="退单").click()  # no reason chosen: the browser keeps the form
    assert phone.locator("#objection-reason").evaluate("e => e.validity.valueMissing")
    assert phone.locator("main p.flash").count() == 0
    phone.select_option("#objection-reason", "非本单位职责")
    phone.fill("#objection-note", "施工噪音属住建部门监管")
    shot(phone, "objection-unit-phone.png")
    response = submit(phone, phone.get_by_role("button", name="退单"))
    assert response.status == 200
    assert "已提出退单，等待热线审核。" in phone.inner_text("main p.flash")
    assert "待热线审核" in main_text(phone)
    assert phone.get_by_role("button", name="退单").count() == 0
    assert horizontal_overflow(phone) == 0
    shot(phone, "objection-unit-phone-done.png")

    live.clock.set(local(2026, 6, 1, 16, 0))
    sup = live.page_as("sup")
    sup.goto(live.url("/orders/GD-NOISE"))
    text = main_text(sup)
    assert "非本单位职责" in text and "施工噪音属住建部门监管" in text
    assert "派单目录建议：建设工程施工噪音 → 区住房和城乡建设局（U1）" in text
    assert sup.locator("select[name=unit_code]").input_value() == "U1"  # preselected by the catalogue
    shot(sup, "objection-supervisor-decides.png")
    response = submit(sup, sup.get_by_role("button", name="同意退单，改派"))
    assert response.status == 200
    assert "已同意退单并改派" in sup.inner_text("main p.flash")
    timeline = sup.locator("h2:has-text('时间线') + table").inner_text()
    assert "退单（派单异议）" in timeline and "退单审核" in timeline and "重新派发" in timeline
    assert "dispatch_objection" in main_text(sup)  # its BPMN drawing is on the page
    shot(sup, "objection-supervisor-done.png")

    unit1 = live.page_as("unit1", phone=True)
    unit1.goto(live.url("/orders/GD-NOISE"))
    assert unit1.get_by_role("button", name="签收", exact=True).is_visible()
    gone = phone.goto(live.url("/orders/GD-NOISE"))
    assert gone.status == 404


def test_the_supervisor_rejects_and_the_unit_gets_the_order_back(live):
    phone = live.page_as("unit2", phone=True)
    phone.goto(live.url("/orders/GD-NOISE"))
    phone.select_option("#objection-reason", "诉求不清/信息不全")
    submit(phone, phone.get_by_role("button", name="退单"))
    sup = live.page_as("sup")
    sup.goto(live.url("/orders/GD-NOISE"))
    before = main_text(sup).split("办理时限：")[1][:16]
    sup.get_by_role("button", name="不同意退单，退回原单位").click()  # a reason is required: the browser keeps it
    assert sup.locator("#reject-objection").evaluate("e => e.validity.valueMissing")
    sup.fill("#reject-objection", "地址和时段已写明，请按职责办理")
    response = submit(sup, sup.get_by_role("button", name="不同意退单，退回原单位"))
    assert response.status == 200 and "原办理时限不变" in sup.inner_text("main p.flash")
    assert main_text(sup).split("办理时限：")[1][:16] == before
    phone.goto(live.url("/orders/GD-NOISE"))  # back with the unit, still to be signed: 签收 first, then the forms
    assert phone.get_by_role("button", name="办结回复").count() == 0
    submit(phone, phone.get_by_role("button", name="签收"))
    assert phone.get_by_role("button", name="办结回复").is_visible()
    shot(sup, "objection-supervisor-rejected.png")


def test_a_co_handling_unit_signs_and_adds_its_part_on_a_phone(live):
    phone = live.page_as("unit2", phone=True)
    phone.goto(live.url("/orders/GD-CO"))
    assert phone.get_by_role("button", name="办结回复").count() == 0  # only the lead replies
    submit(phone, phone.get_by_role("button", name="签收协办"))
    phone.fill("#co-text", "已安排执法队员配合施工围挡巡查")
    submit(phone, phone.get_by_role("button", name="提交协办意见"))
    assert "协办意见已提交" in phone.inner_text("main p.flash")
    assert horizontal_overflow(phone) == 0
    shot(phone, "co-unit-phone.png")
