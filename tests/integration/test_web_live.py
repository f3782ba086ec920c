"""The minimal live page: a real worker loop and web server over SQLite, looked at with headless Chromium."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.clock import VirtualClock
from engine.services import Engine
from web import create_app
from tests.conftest import local
from tests.integration.browser_support import ARTIFACTS, launch_chromium, need_browser, serving
from tests.web_login import PASSWORD, client_as, ensure_user



@pytest.fixture
def seeded(make_engine) -> tuple[Engine, VirtualClock]:
    clock = VirtualClock(local(2026, 6, 1, 10, 0))
    engine = make_engine(clock=clock)
    engine.register_unit("U1", "揭阳市生态环境局", ["+8613900000001"])
    engine.open_work_order(number="GD-LATE", unit_code="U1", category="咨询", urgency="一般", source="12345",
                           at=clock.now(), title="噪音投诉")
    engine.open_work_order(number="GD-FINE", unit_code="U1", category="投诉", urgency="一般", source="12345",
                           at=clock.now())
    engine.record_event("GD-FINE", "signed", at=clock.advance(hours=1))
    clock.set(local(2026, 6, 9, 10, 0))  # GD-LATE: deadline 06-03; yellow card on 06-08
    engine.fire_due_timers()
    return engine, clock


def test_order_list_shows_state_deadline_and_escalations(seeded, settings):
    engine, _ = seeded
    client = client_as(create_app(settings, engine=engine), engine, "supervisor1", "supervisor")
    page = client.get("/orders").get_data(as_text=True)
    assert "GD-LATE" in page and "GD-FINE" in page
    assert "黄牌" in page  # GD-LATE was carded on 06-08
    assert "2026-06-03 23:59" in page  # its deadline
    detail = client.get("/orders/GD-LATE").get_data(as_text=True)
    assert "催办通知书" in detail and "2 个工作日" in detail
    assert client.get("/orders/NOPE").status_code == 404
    assert client.get("/orders?status=bogus").status_code == 400
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["timer_backlog"]["due_now"] == 0


@pytest.fixture
def live_server(seeded, settings) -> Iterator[str]:
    engine, _ = seeded
    with serving(create_app(settings, engine=engine)) as url:
        yield url


def test_page_renders_in_chromium(live_server, seeded):
    sync_api = need_browser()
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1200, "height": 700})
        ensure_user(seeded[0], "supervisor1", "supervisor")
        page.goto(live_server + "/orders")
        page.fill("input[name=username]", "supervisor1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        assert page.url.endswith("/orders")
        assert page.locator("h1").inner_text() == "工单列表"
        rows = page.locator("tbody tr")
        assert rows.count() == 2
        page.screenshot(path=str(ARTIFACTS / "order-list.png"), full_page=True)
        page.click("text=GD-LATE")
        assert page.locator("h1").inner_text() == "工单 GD-LATE"
        assert page.locator("text=黄牌").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "order-detail.png"), full_page=True)
        browser.close()


def test_a_unit_contact_signs_for_an_order_from_the_sms_link_on_a_phone(live_server, seeded, settings):
    """The contact taps the link in the SMS: a phone-sized page with the order, one button to sign for it."""
    from workflows.bootstrap import build_sms

    engine, clock = seeded
    engine.open_work_order(number="GD-NEW", unit_code="U1", category="咨询", urgency="一般", source="12345",
                           at=clock.now(), title="路灯不亮")
    sms = build_sms(settings, engine)
    sms.delivery.run(sms.gateway)
    with engine.store.reading() as tx:
        # GD-NEW's reminder went in one digest with the others pending for that phone
        body = tx.c.exec_driver_sql("select body from outbox where body like '%GD-NEW%' order by id desc").scalar()
    path = body[body.index("/a/"):]
    sync_api = need_browser()
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 390, "height": 800}, is_mobile=True)
        page.goto(live_server + path)
        assert "工单 GD-NEW" in page.inner_text("main") and "路灯不亮" in page.inner_text("main")
        page.screenshot(path=str(ARTIFACTS / "sms-link-before.png"), full_page=True)
        page.click("text=签收工单 GD-NEW")
        assert "工单GD-NEW已签收" in page.inner_text("main")
        assert page.locator("text=签收工单 GD-NEW").count() == 0  # nothing left to sign
        page.screenshot(path=str(ARTIFACTS / "sms-link-signed.png"), full_page=True)
        page.goto(live_server + path[:-2] + "xx")
        assert "链接无效" in page.inner_text("main")
        browser.close()
    with engine.store.reading() as tx:
        order = tx.get_order("GD-NEW")
    assert order.signed_at is not None
