"""A supervisor's day in a real browser (Debian Chromium) against a live server: the call queue shrinks as a unit
signs and replies; a reply is sent back and the order shows its new deadline; a callback is entered; an escalated
order is on the leader's page; a unit signs from its phone (390 px) and from the SMS link. Screenshots of each page
go to test-artifacts/casework-*.png."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from engine.clock import VirtualClock
from engine.persistence.tables import outbox
from tests.conftest import local
from tests.integration.browser_support import (Live, browser, horizontal_overflow, main_text,  # noqa: F401
                                               serving, shot, submit)
from tests.web_login import ensure_user
from web import create_app


@pytest.fixture
def day(browser, make_engine, settings) -> Iterator[tuple[Live, object]]:
    """Thu 2026-06-25 10:00. C-SIGN (dispatched Mon 06-22, never signed) has a sign-for chase; C-LATE (咨询 of 06-01,
    signed) and C-PHONE (unsigned since 06-01) are overdue with calls queued; C-REPLY was replied today; C-LETTER got
    its 督办函 and escalated past the reply date."""
    clock = VirtualClock(local(2026, 6, 1, 10, 0))
    engine = make_engine(clock=clock)
    engine.register_unit("U1", "区住房和城乡建设局", ["+8613800138000", "+8613800138002"], contacts=["陈晓燕", "林志强"])
    engine.register_unit("U2", "区城市管理和综合执法局", ["+8613800138001"], contacts=["黄建华"])
    for number, unit, category, title in [("C-LATE", "U1", "咨询", "小区电梯停运无人维修"),
                                          ("C-PHONE", "U1", "咨询", "楼道堆放杂物"),
                                          ("C-LETTER", "U2", "咨询", "占道经营长期无人管")]:
        engine.open_work_order(number=number, unit_code=unit, category=category, urgency="一般", source="12345",
                               at=clock.now(), title=title)
    engine.record_event("C-LATE", "signed", at=local(2026, 6, 1, 11, 0))
    engine.record_event("C-LETTER", "signed", at=local(2026, 6, 1, 11, 0))
    clock.set(local(2026, 6, 22, 10, 0))
    engine.fire_due_timers()
    engine.open_work_order(number="C-SIGN", unit_code="U1", category="投诉", urgency="一般", source="12345",
                           at=clock.now(), title="夜间施工噪音扰民")
    engine.open_work_order(number="C-REPLY", unit_code="U1", category="投诉", urgency="一般", source="12345",
                           at=clock.now(), title="路灯损坏夜间无照明")
    engine.record_event("C-REPLY", "signed", at=clock.now())
    clock.set(local(2026, 6, 26, 10, 0))
    while engine.fire_due_timers():
        pass
    engine.record_event("C-REPLY", "replied", at=clock.now(), note="已更换路灯灯头，恢复照明",
                        details={"handled_on": "2026-06-26", "attachments": "维修前后照片各1张"})
    for role, username, unit in (("supervisor", "sup", None), ("unit", "unit1", "U1"), ("leader", "boss", None)):
        ensure_user(engine, username, role, unit)
    app = create_app(settings, engine=engine)
    with serving(app) as base:
        live = Live(base=base, engine=engine, clock=clock, browser=browser)
        try:
            yield live, app
            live.assert_clean()
        finally:
            live.close()


def queue_size(page) -> int:
    return int(re.search(r"电话催办队列（(\d+)）", main_text(page)).group(1))


def test_a_supervisors_day(day):
    live, app = day
    sup = live.page_as("sup")
    sup.goto(live.url("/workbench"))
    start = queue_size(sup)
    cards = main_text(sup)
    assert "陈晓燕 +8613800138000" in cards and "超期" in cards and "下一步：" in cards
    shot(sup, "casework-workbench.png")

    # the unit signs from its phone: one big 签收 button first, no sideways scrolling
    phone = live.page_as("unit1", phone=True)
    phone.goto(live.url("/orders/C-SIGN"))
    assert horizontal_overflow(phone) <= 0
    shot(phone, "casework-unit-phone-before-sign.png")
    submit(phone, phone.get_by_role("button", name="签收"))
    assert "已签收" in main_text(phone)
    shot(phone, "casework-unit-phone-signed.png")
    sup.goto(live.url("/workbench"))
    assert queue_size(sup) == start - 1  # the sign-for chase ended by itself

    # the unit replies to an overdue order: its call ends too
    phone.goto(live.url("/orders/C-LATE"))
    phone.fill("#reply-text", "已协调物业更换电梯主板，电梯恢复运行")
    submit(phone, phone.get_by_role("button", name="办结回复"))
    sup.goto(live.url("/workbench"))
    assert queue_size(sup) == start - 2
    shot(sup, "casework-workbench-after.png")

    # reply review: the reply heads the order; sending it back reopens with a new deadline
    sup.goto(live.url("/orders/C-REPLY"))
    assert "已更换路灯灯头，恢复照明" in main_text(sup) and "维修前后照片各1张" in main_text(sup)
    shot(sup, "casework-reply-review.png")
    sup.fill("#send-back-reason", "未说明是否已排查同路段其他路灯")
    submit(sup, sup.get_by_role("button", name="退回重办"))
    shown = main_text(sup)
    assert "已退回重办，新的办理时限：" in shown
    new_deadline = re.search(r"新的办理时限：(\d{4}-\d\d-\d\d \d\d:\d\d)", shown).group(1)
    strip = sup.locator("div.strip").inner_text()
    assert new_deadline in strip and "办理中" in strip
    shot(sup, "casework-sent-back.png")

    # a callback on the order the unit just replied
    sup.goto(live.url("/orders/C-LATE"))
    sup.get_by_label("基本满意").check()
    sup.select_option("select[name=solved]", "yes")
    sup.select_option("select[name=attributed]", "yes")
    submit(sup, sup.get_by_role("button", name="登记回访"))
    assert "回访已登记：基本满意" in main_text(sup)
    shot(sup, "casework-callback.png")

    # the escalated order is on the leader's page
    leader = live.page_as("boss")
    leader.goto(live.url("/leader"))
    escalated = leader.locator("#escalated").inner_text()
    assert "C-LETTER" in escalated and "区城市管理和综合执法局" in escalated
    shot(leader, "casework-leader-escalated.png")


def test_a_unit_signs_from_the_sms_link_on_its_phone(day):
    live, app = day
    with live.engine.store.reading() as tx:
        message_id = tx.c.execute(sa.select(outbox.c.id).where(outbox.c.order_number == "C-PHONE",
                                                              outbox.c.channel == "sms")
                                  .order_by(outbox.c.id)).scalars().first()
    token = app.extensions["duban.sms"].links.token(message_id, live.clock.now())
    phone = live.new_page(phone=True)
    phone.goto(live.url(f"/a/{token}"))
    assert horizontal_overflow(phone) <= 0
    shot(phone, "casework-sms-link.png")
    submit(phone, phone.get_by_role("button", name="签收工单 C-PHONE"))
    assert "工单C-PHONE已签收" in phone.inner_text("body")
    assert "签收工单 C-PHONE" not in phone.inner_text("body")
    shot(phone, "casework-sms-link-signed.png")
