"""Each role in a real browser: log in through the form, find its own pages and menu, and do its day's work
(sign, reply, urge by phone, ask for and approve an extension) against a live server over SQLite. Timers are
fired by moving the virtual clock, never by waiting. No page may load a script or trip the CSP."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from engine.casework import Casework
from engine.clock import VirtualClock
from engine.persistence.tables import supervisor_tasks as tasks_table
from tests.conftest import local
from tests.integration.browser_support import (Live, browser, horizontal_overflow, log_in,  # noqa: F401
                                               main_text, nav_links, order_deadline,
                                               order_status, path_of, serving, shot, submit)
from tests.web_login import PASSWORD, ensure_user
from web import create_app

# Each role's home after login, and exactly the links its menu shows (改密码 is everyone's).
HOMES = {"supervisor": "/workbench", "admin": "/workbench", "unit": "/unit", "leader": "/leader"}
SUPERVISOR_MENU = {"今日工作台", "工单", "统计", "热点预警", "短信", "数据推送", "公文", "绩效考核", "督办规则"}
MENUS = {
    "supervisor": SUPERVISOR_MENU | {"改密码"},
    "admin": SUPERVISOR_MENU | {"用户", "单位", "审计日志", "改密码"},
    "unit": {"本单位待办", "本单位工单", "红黄牌与函件", "改密码"},
    "leader": {"领导批示件", "红黄牌", "专报", "热点预警", "统计", "工单", "绩效考核", "改密码"},
}
USERS = {"supervisor": ("sup", None), "admin": ("root", None), "unit": ("unit1", "U1"), "leader": ("boss", None)}
OTHER_UNIT_ORDERS = ("GD-OTHER", "GD-OTHER2")
# Each role's main pages: path, screenshot in test-artifacts/, the page's heading, and what else it must show
ROLE_PAGES = {
    "supervisor": [
        ("/workbench", "supervisor-workbench.png", "今日工作台", ("电话催办队列（4）", "GD-LATE")),
        ("/orders", "supervisor-orders.png", "工单列表", ("共 6 件", "GD-OTHER", "黄牌")),
        ("/orders/GD-LATE", "supervisor-order.png", "工单 GD-LATE", ("流程图", "王副市长", "黄牌")),
        ("/dashboard", "supervisor-dashboard.png", "今日统计", ("超期工单",)),
        ("/push", "supervisor-push.png", "数据推送", ("没有搁置的消息",)),
        ("/hotspots", "supervisor-hotspots.png", "热点预警", ("每月一题",)),
        ("/rules", "supervisor-rules.png", "督办规则", ()),
        ("/rules/calendar", "supervisor-calendar.png", "工作日历", ("端午",)),
    ],
    "unit": [
        ("/unit", "unit-home.png", "区住房和城乡建设局 · 待办", ("GD-SIGN", "GD-LATE")),
        ("/orders", "unit-orders.png", "本单位工单", ("共 4 件",)),
        ("/orders/GD-SIGN", "unit-order.png", "工单 GD-SIGN", ("签收", "办结回复", "申请延期")),
        ("/unit/cards", "unit-cards.png", "本单位的红黄牌与督办函件", ("GD-LATE", "黄牌")),
    ],
    "leader": [
        ("/leader", "leader-home.png", "全市工单一览", ("GD-LATE", "王副市长", "近 12 周按期办结率", "在办", "临期",
                                                      "本月按时签收率", "超期工单最多的单位")),
        ("/dashboard", "leader-dashboard.png", "今日统计", ("超期率", "本月按时办结率")),
        ("/assessment?period=2026-06", "leader-assessment-month.png", "绩效考核",
         ("本月尚未结束，得分为暂定", "未参加排名的单位", "样本不足")),
        ("/assessment?period=2026Q2", "leader-assessment-quarter.png", "绩效考核", ("参加考核月份", "样本不足")),
        ("/assessment/trend?year=2026", "leader-assessment-trend.png", "趋势", ()),
        ("/leader/cards", "leader-cards.png", "红黄牌督办", ("区住房和城乡建设局", "区城市管理和综合执法局")),
    ],
    "admin": [
        ("/workbench", "admin-workbench.png", "今日工作台", ("GD-LATE",)),
        ("/admin/users", "admin-users.png", "用户与角色", ("unit1 测试", "boss 测试", "sup 测试", "开设账号")),
    ],
}


@pytest.fixture
def live(browser, make_engine, settings) -> Iterator[Live]:
    """Two units; on Mon 2026-06-01 10:00 six orders are dispatched, then the clock moves to Tue 06-09 10:00 and
    the due timers fire: GD-LATE (咨询, deadline 06-03) is overdue with a phone-urging task and a yellow card,
    GD-SIGN still waits to be signed, GD-EXT and GD-FORM are being handled with time to spare."""
    clock = VirtualClock(local(2026, 6, 1, 10, 0))
    engine = make_engine(clock=clock)
    engine.register_unit("U1", "区住房和城乡建设局", ["+8613800138000"])
    engine.register_unit("U2", "区城市管理和综合执法局", ["+8613800138001"])
    opened = clock.now()
    for number, unit, category, title in [
        ("GD-LATE", "U1", "咨询", "小区电梯停运无人维修"), ("GD-SIGN", "U1", "投诉", "夜间施工噪音扰民"),
        ("GD-EXT", "U1", "投诉", "老旧小区雨污管网改造"), ("GD-FORM", "U1", "投诉", "楼道堆放杂物"),
        ("GD-OTHER", "U2", "投诉", "占道经营"), ("GD-OTHER2", "U2", "咨询", "共享单车乱停放"),
    ]:
        engine.open_work_order(number=number, unit_code=unit, category=category, urgency="一般", source="12345",
                               at=opened, title=title)
    for number in ("GD-LATE", "GD-EXT", "GD-FORM", "GD-OTHER2"):
        engine.record_event(number, "signed", at=local(2026, 6, 1, 11, 0), actor="unit1")
    engine.add_instruction("GD-LATE", leader="王副市长", text="请住建局尽快协调物业恢复电梯运行", at=local(2026, 6, 2, 9, 0))
    clock.set(local(2026, 6, 9, 10, 0))
    engine.fire_due_timers()
    for role, (username, unit) in USERS.items():
        ensure_user(engine, username, role, unit)
    with serving(create_app(settings, engine=engine)) as base:
        session = Live(base=base, engine=engine, clock=clock, browser=browser)
        try:
            yield session
            session.assert_clean()
        finally:
            session.close()


def _day(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")


# ----------------------------------------------------------------------------------- 1. each role's own pages
@pytest.mark.parametrize("role", ["supervisor", "unit", "leader", "admin"])
def test_each_role_logs_in_to_its_own_home_menu_and_pages(live, role):
    """Through the login form to the role's home, with its own menu; then a full-page picture of each of its main
    pages (test-artifacts/<role>-<page>.png), none of which may load a script."""
    username, _ = USERS[role]
    page = live.new_page()
    response = log_in(page, live.base, username)
    assert response.status == 200
    assert path_of(page) == HOMES[role]
    assert nav_links(page) == MENUS[role]
    header = page.inner_text("header")
    assert f"{username} 测试" in header and "退出" in header
    for path, picture, heading, must_show in ROLE_PAGES[role]:
        response = page.goto(live.url(path))
        assert response.status == 200, path
        assert "script-src 'none'" in response.headers["content-security-policy"]
        assert heading in page.inner_text("h1"), path
        shown = main_text(page)
        for text in must_show:
            assert text in shown, (path, text)
        shot(page, picture)
        if path.startswith("/orders/"):  # the BPMN drawing of the order's escalation process is on the page
            drawing = page.locator("figure.diagram svg.bpmn-diagram").first
            assert drawing.is_visible() and drawing.bounding_box()["height"] > 50
            assert page.locator("figure.diagram figcaption").first.inner_text().startswith("work_order")
    # pages of other roles, typed by hand: no menu link and no access
    for path in {"supervisor": ["/admin/users", "/unit"], "admin": ["/unit"], "unit": ["/sms", "/workbench", "/leader"],
                 "leader": ["/workbench", "/sms", "/admin/users"]}[role]:
        forbidden = page.goto(live.url(path))
        assert forbidden.status == 403, path
        assert "无权访问此页面" in main_text(page)


def test_order_page_and_unit_home_are_readable_on_a_phone(live):
    phone = live.page_as("unit1", phone=True)
    assert path_of(phone) == "/unit"
    assert horizontal_overflow(phone) == 0, "the unit's home scrolls sideways on a 390 px phone"
    shot(phone, "unit-home-phone.png")
    phone.goto(live.url("/orders/GD-SIGN"))
    assert phone.get_by_role("button", name="签收", exact=True).is_visible()
    assert horizontal_overflow(phone) == 0, "the order page scrolls sideways on a 390 px phone"
    # the wide BPMN drawing scrolls inside its own frame instead of widening the page
    frame = phone.locator("figure.diagram").first.bounding_box()
    assert frame["x"] >= 0 and frame["x"] + frame["width"] <= 390
    shot(phone, "unit-order-phone.png")


def test_the_bpmn_drawings_are_drawn_large_enough_to_read(live):
    """Labels are 12 px in the drawing's own units. Shrunk to the column, the 3700-unit escalation ladder would show
    them at ~4 px on a desktop and ~1 px on a phone; instead the drawing keeps at least 0.6 of its size (labels of
    7 px or more) and its frame scrolls sideways, while the page itself does not."""
    scale_of = """svg => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width"""
    for phone in (False, True):
        page = live.page_as("sup", phone=phone)
        page.goto(live.url("/orders/GD-LATE"))
        drawings = page.locator("figure.diagram svg.bpmn-diagram")
        assert drawings.count() == 2  # the order's escalation ladder and the leadership instruction
        for i in range(drawings.count()):
            scale = drawings.nth(i).evaluate(scale_of)
            where = "a phone" if phone else "a desktop"
            assert 12 * scale >= 7, f"drawing {i} on {where}: labels at {12 * scale:.1f}px"
        assert horizontal_overflow(page) == 0  # the page itself still does not scroll sideways


# ----------------------------------------------------------------------------------- 2. sign, reply, see it
def test_unit_signs_and_replies_then_the_supervisor_sees_the_reply(live):
    unit = live.page_as("unit1")
    unit.click("text=GD-SIGN")
    assert unit.inner_text("h1") == "工单 GD-SIGN"
    assert order_status(unit) == "待签收"
    submit(unit, unit.get_by_role("button", name="签收", exact=True))
    assert "已签收，请在办理时限内办结。" in unit.inner_text("main p.flash")
    assert order_status(unit) == "办理中"
    assert unit.get_by_role("button", name="签收", exact=True).count() == 0

    unit.fill("#reply-text", "已协调施工单位调整作业时间，夜间22时后停止施工，已电话告知诉求人。")
    assert unit.input_value("input[name=handled_on]") == "2026-06-09"  # today, filled in
    response = submit(unit, unit.get_by_role("button", name="办结回复"))
    assert response.status == 200
    assert "已办结回复，等待热线审核。" in unit.inner_text("main p.flash")
    assert order_status(unit) == "已回复"
    assert unit.get_by_role("button", name="办结回复").count() == 0  # nothing left to reply to

    sup = live.page_as("sup")
    sup.goto(live.url("/orders?status=replied"))
    assert sup.locator("tbody tr").count() == 1 and "GD-SIGN" in sup.inner_text("tbody")
    sup.click("text=GD-SIGN")
    assert order_status(sup) == "已回复"
    timeline = sup.locator("h2:has-text('时间线') + table")
    assert "夜间22时后停止施工" in timeline.inner_text()
    assert sup.locator("table tr", has_text="办结回复").filter(has_text="unit1").count() == 1
    assert sup.get_by_role("button", name="审核通过，办结").is_visible()


# ----------------------------------------------------------------------------------- 3. the supervisor's work
def test_supervisor_completes_a_phone_urging_task_from_the_workbench(live):
    with live.engine.store.reading() as tx:
        task_id = tx.c.execute(tasks_table.select().where(tasks_table.c.order_number == "GD-LATE",
                                                          tasks_table.c.kind == "phone_urge",
                                                          tasks_table.c.status == "open")).first().id
    sup = live.page_as("sup")
    card = sup.locator("section.panel div.panel", has_text=f"#{task_id}")
    assert card.count() == 1 and "GD-LATE" in card.inner_text()
    card.locator("select[name=outcome]").select_option("no_answer")
    card.locator("input[name=note]").fill("联系人手机无人接听，明早再拨")
    submit(sup, card.get_by_role("button", name="完成"))
    assert path_of(sup) == "/workbench"
    assert "电话催办已记录。" in sup.inner_text("main p.flash")
    assert sup.locator("section.panel div.panel", has_text=f"#{task_id}").count() == 0

    sup.goto(live.url("/orders/GD-LATE"))
    timeline = sup.locator("h2:has-text('时间线') + table")
    done = timeline.locator("tr", has_text="完成督办任务")
    assert done.count() == 1
    assert "联系人手机无人接听，明早再拨" in done.inner_text() and "sup" in done.inner_text()
    tasks = sup.locator("h2:has-text('督办任务') + table")
    assert "无人接听：联系人手机无人接听，明早再拨" in tasks.inner_text()


def test_the_timeline_names_the_phone_outcome_in_chinese(live):
    with live.engine.store.reading() as tx:
        task_id = tx.c.execute(tasks_table.select().where(tasks_table.c.order_number == "GD-LATE",
                                                          tasks_table.c.kind == "phone_urge")).first().id
    Casework(live.engine.store, live.clock).complete_task(task_id, outcome="no_answer", note="", actor="sup")
    sup = live.page_as("sup")
    sup.goto(live.url("/orders/GD-LATE"))
    done = sup.locator("h2:has-text('时间线') + table tr", has_text="完成督办任务").inner_text()
    assert "无人接听" in done and "no_answer" not in done and "phone_urge" not in done


def test_unit_asks_for_an_extension_and_the_supervisor_approves_it(live):
    unit = live.page_as("unit1")
    unit.goto(live.url("/orders/GD-EXT"))
    before = _day(order_deadline(unit))
    form = unit.locator("form[action$='/extension-request']")
    form.locator("input[name=working_days]").fill("5")
    form.locator("textarea[name=reason]").fill("管网改造需协调燃气、电力管线迁改，施工周期较长")
    submit(unit, form.get_by_role("button", name="申请延期"))
    assert "已申请延期 5 个工作日，等待热线审批。" in unit.inner_text("main p.flash")
    assert _day(order_deadline(unit)) == before  # asking does not move the deadline

    sup = live.page_as("sup")
    pending = sup.locator("section.panel", has_text="待审批延期")
    assert "GD-EXT" in pending.inner_text() and "管网改造需协调燃气" in pending.inner_text()
    pending.locator("a", has_text="GD-EXT").click()
    sup.wait_for_url("**/orders/GD-EXT")
    assert _day(order_deadline(sup)) == before
    approve = sup.locator("form[action$='/extension-approve']")
    assert approve.locator("input[name=working_days]").input_value() == "5"
    approve.locator("input[name=note]").fill("同意")
    submit(sup, approve.get_by_role("button", name="批准延期"))
    assert "已批准延期 5 个工作日" in sup.inner_text("main p.flash")
    after = _day(order_deadline(sup))
    assert after > before and (after - before).days >= 5  # 5 working days is at least 5 calendar days
    assert sup.get_by_role("button", name="批准延期").count() == 0
    sup.goto(live.url("/workbench"))
    assert "没有待审批的延期申请。" in sup.inner_text("main")

    unit.reload()
    assert _day(order_deadline(unit)) == after  # the unit sees the new deadline too


# ----------------------------------------------------------------------------------- 4. other units' orders
def test_a_unit_user_cannot_reach_another_units_orders(live):
    unit = live.page_as("unit1")
    response = unit.goto(live.url("/orders/GD-OTHER"))
    assert response.status == 404
    assert "页面或工单不存在" in main_text(unit)
    assert "占道经营" not in unit.content()
    not_there = main_text(unit)
    assert unit.goto(live.url("/orders/GD-NO-SUCH")).status == 404
    assert main_text(unit) == not_there  # an existing order of another unit looks exactly like no order

    response = unit.goto(live.url("/orders?unit=U2"))
    assert response.status == 200
    page = unit.content()
    assert unit.locator("select[name=unit]").count() == 0  # no unit filter to pick from
    for number in OTHER_UNIT_ORDERS:
        assert number not in page
    assert "占道经营" not in page and "共享单车" not in page
    unit.goto(live.url("/orders?q=GD-OTHER"))
    assert "没有符合条件的工单" in main_text(unit)
    unit.goto(live.url("/orders"))
    listed = set(unit.locator("tbody tr td:first-child a").all_inner_texts())
    assert listed == {"GD-LATE", "GD-SIGN", "GD-EXT", "GD-FORM"}


# ----------------------------------------------------------------------------------- 5. a refused form
def test_an_empty_reply_is_refused_with_a_message_and_nothing_changes(live):
    unit = live.page_as("unit1")
    unit.goto(live.url("/orders/GD-FORM"))
    assert order_status(unit) == "办理中"
    # an old browser that ignores `required` sends the empty reply: the server must still refuse it
    unit.evaluate("document.querySelector('#reply-text').removeAttribute('required')")
    assert unit.input_value("#reply-text") == ""
    response = submit(unit, unit.get_by_role("button", name="办结回复"))
    assert response.status == 422
    assert "请填写答复内容" in unit.inner_text("main p.error")
    assert order_status(unit) == "办理中"
    # blanks pass `required` in any browser, and are refused the same way
    unit.fill("#reply-text", " \n  ")
    response = submit(unit, unit.get_by_role("button", name="办结回复"))
    assert response.status == 422
    assert "请填写答复内容" in unit.inner_text("main p.error")
    assert order_status(unit) == "办理中"

    unit.evaluate("document.querySelector('input[name=handled_on]').removeAttribute('required')")
    unit.fill("#reply-text", "已清理楼道杂物")
    unit.fill("input[name=handled_on]", "2026-05-20")
    response = submit(unit, unit.get_by_role("button", name="办结回复"))
    assert response.status == 422
    assert "办结日期（2026-05-20）早于派单日期 2026-06-01" in unit.inner_text("main p.error")
    assert order_status(unit) == "办理中"
    with live.engine.store.reading() as tx:
        assert tx.get_order("GD-FORM").replied_at is None


# ----------------------------------------------------------------------------------- 6. logging out
def test_logging_out_ends_the_session(live):
    sup = live.page_as("sup")
    sup.goto(live.url("/orders/GD-LATE"))
    assert sup.inner_text("h1") == "工单 GD-LATE"
    submit(sup, sup.get_by_role("button", name="退出"))
    assert path_of(sup) == "/login"
    assert sup.get_by_role("button", name="登录").is_visible()
    assert nav_links(sup) == set()

    sup.go_back()  # not the order page from the cache (no-store): asked again, it needs a login
    assert path_of(sup) == "/login?next=%2Forders%2FGD-LATE"
    assert "工单 GD-LATE" not in main_text(sup) and "小区电梯停运" not in sup.content()

    sup.goto(live.url("/workbench"))
    assert path_of(sup) == "/login?next=%2Fworkbench"
    assert "请先登录。" in main_text(sup)
    sup.fill("input[name=username]", "sup")
    sup.fill("input[name=password]", PASSWORD)
    submit(sup, sup.get_by_role("button", name="登录"))
    assert path_of(sup) == "/workbench"  # back where they were going
