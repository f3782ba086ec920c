"""The order at a glance: the status strip opens every order page, and the list carries the same two columns."""
from __future__ import annotations

import re

from tests.webapp.conftest import text_of


def strip_of(page: str) -> str:
    found = re.search(r'<div class="strip"[^>]*>(.*?)</div>', page, re.S)
    assert found, "the order page has no status strip"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_the_strip_comes_first_and_says_who_holds_the_order_and_how_late_it_is(world):
    page = text_of(world["sup"].get("/orders/GD201"))
    assert page.index('class="strip"') < page.index('class="panel"')  # before anything else, also on a phone
    strip = strip_of(page)
    assert "承办：区城管局" in strip and "状态：待签收" in strip
    assert re.search(r"超期\d+个工作日", strip)


def test_an_order_in_time_shows_what_is_left_and_the_next_step_with_its_time(world):
    strip = strip_of(text_of(world["unit2"].get("/orders/GD203")))
    assert re.search(r"剩\d+个工作日(\d+小时)?", strip)
    assert re.search(r"下一步：\d+月\d+日 \d\d:\d\d 临期提醒", strip)


def test_a_replied_order_is_held_by_the_supervisors_and_runs_late_no_more(world):
    strip = strip_of(text_of(world["sup"].get("/orders/GD104")))
    assert "承办：督办科（审核回复）" in strip and "超期" not in strip and "无待触发的督办节点" in strip


def test_the_list_shows_lateness_and_next_step_columns(world):
    page = text_of(world["sup"].get("/orders?sort=number&dir=asc"))
    assert "<th>剩余/超期</th>" in page and '<th class="wide">下一步</th>' in page
    row = next(r for r in page.split("<tr") if "/orders/GD201" in r)
    assert re.search(r"超期\d+个工作日", row)
    row = next(r for r in page.split("<tr") if "/orders/GD203" in r)
    assert re.search(r"剩\d+个工作日", row) and "临期提醒" in row


def test_the_current_menu_item_is_marked_and_the_order_page_says_where_it_is(world):
    page = text_of(world["sup"].get("/orders/GD201"))
    assert '<a href="/orders" class="current" aria-current="page">工单</a>' in page
    assert '<a href="/workbench">今日工作台</a>' in page
    assert '<nav class="crumbs" aria-label="位置"><a href="/orders">工单列表</a> › 工单 GD201</nav>' in page


def test_the_audit_log_names_actions_in_words(world):
    page = text_of(world["adm"].get("/admin/audit"))
    assert "签收（order.signed）" in page and "亮牌（card.issued）" in page
