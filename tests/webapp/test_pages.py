"""What the pages show: the order list's filters, sort, pages and exports; the order page; the rules, calendar,
dashboard, workbench and leadership pages; the health check; and `duban user …` on the command line."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from html import unescape
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from engine.persistence.account_tables import users
from tests.web_login import post, sign_in
from tests.webapp.conftest import (U01_ORDERS, U02_ORDERS, UNITS, World, login_token, path_of, rows_with,
                                   text_of)
from web.pages import orders as orders_web
from web.cli import main as duban

ROOT = Path(__file__).resolve().parents[2]
OVERDUE = {"GD101", "GD102", "GD106", "GD201", "GD202"}  # GD103 was returned: it waits for the hotline
ALL = U01_ORDERS | U02_ORDERS
_ROW_LINK = re.compile(r'<tr>\s*<td><a href="/orders/([^"]+)">')


def listed(page: str) -> list[str]:
    """The order numbers in the list's table, in their order."""
    return _ROW_LINK.findall(page.split("<tbody>")[1].split("</tbody>")[0])


def links(page: str, label: str) -> list[str]:
    return [unescape_href(h) for h in re.findall(rf'<a href="([^"]+)">{label}</a>', page)]


def unescape_href(href: str) -> str:
    return href.replace("&amp;", "&")


def section(page: str, title: str) -> str:
    """The HTML from a heading containing `title` to the next <h2>."""
    after = re.split(rf"<h2>[^<]*{re.escape(title)}[^<]*</h2>", page, maxsplit=1)[1]
    return after.split("<h2>")[0]


# ---------------------------------------------------------------------------------------- the list
@pytest.mark.parametrize("query,expected", [
    ("", ALL),
    ("status=dispatched", {"GD101", "GD103", "GD201", "GD202"}),
    ("status=signed", {"GD102", "GD106", "GD203"}),
    ("status=replied", {"GD104"}),
    ("status=closed", {"GD105"}),
    ("unit=U02", U02_ORDERS),
    ("category=咨询", {"GD101", "GD201"}),
    ("urgency=紧急", {"GD202"}),
    ("overdue=1", OVERDUE),
    ("overdue=1&unit=U01", OVERDUE & U01_ORDERS),
    ("card=yellow", OVERDUE | {"GD203"}),
    ("card=red", OVERDUE),
    ("card=any&unit=U02", U02_ORDERS),
    ("instructed=1", {"GD106"}),
    ("returned=1", {"GD103"}),
    ("q=GD20", U02_ORDERS),
    ("q=GD105", {"GD105"}),
    ("q=噪音", {"GD101", "GD203"}),
    ("q=路灯", {"GD102"}),
    ("q=噪音&unit=U02", {"GD203"}),
    # what the filter form sends: every field, the blank ones empty
    ("q=&unit=&status=signed&category=&urgency=&card=&sort=dispatched_at", {"GD102", "GD106", "GD203"}),
])
def test_the_list_shows_exactly_the_filtered_orders(world: World, query: str, expected: set[str]) -> None:
    response = world["sup"].get(f"/orders?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert set(listed(page)) == expected
    assert f"共 {len(expected)} 件" in page


@pytest.mark.parametrize("query", ["status=open", "card=green", "overdue=maybe", "page=0", "per_page=1000",
                                   "sort=title", "dir=up", "q=" + "长" * 101])
def test_a_bad_filter_is_a_400_with_its_reason(world: World, query: str) -> None:
    response = world["sup"].get(f"/orders?{query}")
    assert response.status_code == 400
    assert "请求有误" in text_of(response)


@pytest.mark.parametrize("sort,direction,expected", [
    ("number", "asc", sorted(ALL)),
    ("number", "desc", sorted(ALL, reverse=True)),
    ("deadline_at", "asc", ["GD202", "GD101", "GD201"]),  # the urgent one is due first
])
def test_the_list_sorts(world: World, sort: str, direction: str, expected: list[str]) -> None:
    page = world["sup"].get(f"/orders?sort={sort}&dir={direction}").get_data(as_text=True)
    assert listed(page)[:len(expected)] == expected


def ascending_control(page: str) -> tuple[str, str, bool]:
    """The filter form's 升序 choice: its field name, its value, and whether it is chosen now."""
    form = page.split('aria-label="筛选"')[1].split("</form>")[0]
    for name, options in re.findall(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        found = re.search(r'<option value="([^"]+)"( selected)?>升序</option>', options)
        if found:
            return name, found[1], bool(found[2])
    found = re.search(r'<input type="checkbox" name="([^"]+)" value="([^"]+)"( checked)?[^>]*> 升序', form)
    assert found, "the filter form offers no 升序"
    return found[1], found[2], bool(found[3])


def test_choosing_ascending_in_the_filter_form_sorts_ascending(world: World) -> None:
    """Submitted as the browser does it, the form's 升序 gives the ascending order and stays chosen."""
    name, value, chosen = ascending_control(world["sup"].get("/orders").get_data(as_text=True))
    assert not chosen
    page = world["sup"].get(f"/orders?q=&unit=&status=&category=&urgency=&card=&sort=number&{name}={value}")
    html = page.get_data(as_text=True)
    assert listed(html) == sorted(ALL)
    assert ascending_control(html)[2]


def test_the_page_links_keep_the_filter_and_the_sort(world: World) -> None:
    client, seen = world["sup"], []
    path = "/orders?status=dispatched&sort=number&dir=asc&per_page=1"
    for _ in range(10):
        page = client.get(path).get_data(as_text=True)
        seen += listed(page)
        for href in links(page, "CSV") + links(page, "XLSX"):
            assert "page=" not in href.replace("per_page", "") and "status=dispatched" in href
        following = links(page, "下一页")
        if not following:
            break
        args = parse_qs(urlsplit(following[0]).query)
        assert (args["status"], args["sort"], args["dir"], args["per_page"]) == (["dispatched"], ["number"], ["asc"],
                                                                                 ["1"])
        path = following[0]
    assert seen == ["GD101", "GD103", "GD201", "GD202"]
    assert "第 4 / 4 页" in page and links(page, "上一页")


# ---------------------------------------------------------------------------------------- the exports
def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_rows(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("query,expected", [
    ("unit=U02", U02_ORDERS),
    ("overdue=1&unit=U01", OVERDUE & U01_ORDERS),
    ("q=噪音", {"GD101", "GD203"}),
    ("card=red&category=咨询", {"GD101", "GD201"}),
    ("status=closed", {"GD105"}),
    ("per_page=1&page=2", ALL),  # the export is the whole filter, not one page
])
def test_the_exports_hold_exactly_the_filtered_orders(world: World, query: str, expected: set[str]) -> None:
    client = world["sup"]
    as_csv, as_xlsx = client.get(f"/orders/export.csv?{query}"), client.get(f"/orders/export.xlsx?{query}")
    assert as_csv.status_code == as_xlsx.status_code == 200
    assert "attachment" in as_csv.headers["Content-Disposition"]
    table, sheet = csv_rows(as_csv.data), xlsx_rows(as_xlsx.data)
    assert table[0][:4] == ["工单编号", "标题", "承办单位", "单位代码"] and sheet[0] == table[0]
    assert {r[0] for r in table[1:]} == expected and len(table) - 1 == int(as_csv.headers["X-Row-Count"])
    assert [r[:8] for r in sheet[1:]] == [r[:8] for r in table[1:]]


def test_an_export_over_its_limit_is_refused_with_the_count_and_not_cut_short(world: World, monkeypatch) -> None:
    monkeypatch.setattr(orders_web, "EXPORT_LIMITS", {"csv": len(U02_ORDERS), "xlsx": len(U02_ORDERS) - 1})
    client = world["sup"]
    assert client.get("/orders/export.csv?unit=U02").status_code == 200
    refused = client.get("/orders/export.xlsx?unit=U02")
    assert refused.status_code == 400 and "attachment" not in refused.headers.get("Content-Disposition", "")
    assert f"当前筛选有 {len(U02_ORDERS)} 件工单，超过 XLSX 导出上限" in text_of(refused)


def test_the_export_shows_names_and_labels_in_chinese(world: World) -> None:
    rows = {r[0]: r for r in csv_rows(world["sup"].get("/orders/export.csv?q=GD202").data)[1:]}
    header = csv_rows(world["sup"].get("/orders/export.csv?q=GD202").data)[0]
    row = dict(zip(header, rows["GD202"]))
    assert (row["承办单位"], row["状态"], row["紧急程度"], row["是否超期"], row["有效红黄牌"]) == \
        ("区城管局", "待签收", "紧急", "是", "黄牌、红牌")


# ---------------------------------------------------------------------------------------- the order page
@pytest.fixture(scope="module")
def order_page(world: World) -> str:
    return text_of(world["sup"].get("/orders/GD106"))


def test_the_order_page_shows_the_timeline_with_its_actors(order_page: str) -> None:
    timeline = section(order_page, "时间线")
    assert rows_with(timeline, "签收", "<td class=\"nowrap\">unit1 测试</td>")  # people by name, not login
    assert rows_with(timeline, "领导批示", "<td class=\"nowrap\">sup 测试</td>", "限期办结并报告")
    assert rows_with(timeline, "红牌", "<td class=\"nowrap\">规则</td>")


def test_the_order_page_explains_the_steps_ahead(world: World, order_page: str) -> None:
    steps = section(order_page, "待触发的督办节点")
    assert "督办函" in steps and "2026-07-07 09:00" in steps
    assert "超期第 10 个工作日" in steps and "跳过周末" in steps
    assert "批示后 3 个月" in steps
    fresh = section(text_of(world["sup"].get("/orders/GD203")), "待触发的督办节点")
    assert "临期提醒" in fresh and "第 1 个工作日为 2026-07-21" in fresh


def test_the_order_page_draws_where_the_order_stands(order_page: str) -> None:
    drawings = section(order_page, "流程图")
    assert drawings.count("<svg") >= 2  # the order's process and the instruction's
    assert re.search(r'<g data-id="[^"]+" class="el [^"]*\bdone\b', drawings)
    assert re.search(r'<g data-id="[^"]+" class="el [^"]*\bcurrent\b', drawings)
    assert "<script" not in order_page


def test_the_order_page_lists_sms_and_documents(world: World, order_page: str) -> None:
    sms = section(order_page, "短信")
    assert "+86138****8000" in sms and UNITS["U01"][1] not in order_page
    assert all(f'href="/sms/{m["id"]}"' in sms for m in world.sms_of("GD106"))
    assert "派单通知（dispatched）" in sms  # the template by name, with the gateway's template id
    documents = section(order_page, "公文")
    for document in world.documents_of("GD106"):
        assert document["number"] in documents and f'/documents/{document["id"]}/pdf' in documents


def test_the_unit_sees_its_forms_and_not_the_supervisors(world: World) -> None:
    page = text_of(world["unit1"].get("/orders/GD101"))  # not signed yet: the big 签收 button, no handling forms
    assert "/orders/GD101/sign" in page
    assert not any(f"/orders/GD101/{form}" in page for form in ("reply", "progress", "extension-request"))
    page = text_of(world["unit1"].get("/orders/GD102"))  # signed: the handling forms, no 签收 button
    assert "/orders/GD102/sign" not in page
    assert all(f"/orders/GD102/{form}" in page for form in ("reply", "progress", "extension-request"))
    assert "/orders/GD101/cards" not in page and "/orders/GD101/instruction" not in page
    assert "<h2>短信</h2>" not in page


# ---------------------------------------------------------------------------------------- rules and calendar
def test_the_rules_page_draws_every_process_with_its_version(world: World) -> None:
    page = text_of(world["sup"].get("/rules"))
    shipped = len(list((ROOT / "bpmn").glob("*.bpmn")))
    assert len(world.engine.definitions) == shipped
    for definition in world.engine.definitions.values():
        assert f"流程 {definition.process_id} · 版本 {definition.key}" in page
    assert "<h2>工单督办（催办阶梯）</h2>" in page and "<h2>督办函书面答复（提级督办）</h2>" in page
    sentences = section(page, "规则说明")
    assert "超期第 1 个工作日 09:00" in sentences and "督办函要求 5 个工作日内书面答复" in sentences
    assert "{" not in sentences and "True" not in sentences
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram"') == shipped


def test_the_rules_page_shows_the_rule_table_of_the_config_file(world: World) -> None:
    rules = tomllib.loads((ROOT / "config" / "rules.toml").read_text(encoding="utf-8"))
    page = text_of(world["sup"].get("/rules"))
    for category, days in rules["handling"]["working_days"].items():
        assert f"{category} {days} 个工作日" in page  # in the sentences
        assert f"{category} {days}" in page  # and in the table
    assert "投诉 15" in page
    assert re.search(rf"红牌（超期第 N 个工作日）</td><td>{rules['ladder']['red_card_working_days']}<", page)


def test_the_calendar_shows_holidays_and_adjusted_working_days(world: World) -> None:
    page = world["sup"].get("/rules/calendar?year=2026&month=10").get_data(as_text=True)
    day = {d: cell for d, cell in re.findall(r'datetime="(2026-10-\d\d)">\d+</time>(.*?)</td>', page, re.S)}
    assert "国庆节" in day["2026-10-01"] and "休" in day["2026-10-01"]
    assert "班" in day["2026-10-10"]  # a Saturday worked in exchange
    assert "班" not in day["2026-10-17"]
    assert 'href="/rules/calendar?year=2026&amp;month=11"' in page


@pytest.mark.parametrize("query", ["month=13", "year=2026&month=0", "year=99999&month=1"])
def test_a_month_that_does_not_exist_is_a_400(world: World, query: str) -> None:
    assert world["sup"].get(f"/rules/calendar?{query}").status_code == 400


# ---------------------------------------------------------------------------------------- boards
def figure(page: str, label: str) -> str:
    found = re.search(rf'<div class="muted">{label}</div><div class="figure[^"]*">([^<]*)<', page)
    assert found, label
    return found.group(1)


def test_the_dashboard_shows_the_figures_and_two_charts(world: World) -> None:
    page = world["sup"].get("/dashboard").get_data(as_text=True)
    assert (figure(page, "在办工单"), figure(page, "超期工单")) == ("7", "5")
    assert figure(page, "待办电话催办") == str(sum(len(world.tasks_of(n)) for n in ALL))
    assert page.count("<svg") == 2 and "近 14 天每日派发与办结（件）" in page and "超期工单最多的单位" in page
    assert "超期率（超期 ÷ 在办）" in page and "71.4%" in page  # 5 of 7 open orders


def test_the_dashboard_draws_dispatched_and_closed_apart_as_the_report_draws_its_chart(world: World) -> None:
    """派发 and 办结 are separate columns, each day's count written over its column (0 too), in Chinese; and the
    drawing is the 专报's: the quarterly report's chart function gives the same text for the same numbers."""
    import xml.etree.ElementTree as ET

    from engine.clock import LOCAL_TZ
    from engine.documents.model import Chart
    from engine.persistence.tables import work_orders
    from workflows.documents.charts import chart_svg

    title = "近 14 天每日派发与办结（件）"
    page = world["sup"].get("/dashboard").get_data(as_text=True)
    drawn = re.search(rf'<svg [^>]*aria-label="{title}".*?</svg>', page, re.S).group(0)
    days = [date(2026, 6, 17) + timedelta(days=i) for i in range(14)]  # the world's now: 2026-06-30 10:00
    with world.engine.store.reading() as tx:
        rows = tx.c.execute(sa.select(work_orders.c.dispatched_at, work_orders.c.closed_at)).all()
    local_days = [[at.astimezone(LOCAL_TZ).date() for at in column if at is not None] for column in zip(*rows)]
    dispatched, closed = ([column.count(d) for d in days] for column in local_days)
    assert dispatched[days.index(date(2026, 6, 29))] >= 1 and sum(closed) == 0  # GD203; GD105 closed on 06-02

    def words(svg: str, kind: str | None = None) -> list[str]:
        return ["".join(t.itertext()) for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
                if kind is None or t.get("class") == kind]

    assert words(drawn)[:3] == [title, "派发", "办结"] and "单位：件" in words(drawn)
    assert words(drawn, "dbc-value") == [str(n) for pair in zip(dispatched, closed) for n in pair]
    report = chart_svg(Chart(title, tuple(d.strftime("%m-%d") for d in days),
                             (("派发", tuple(map(float, dispatched))), ("办结", tuple(map(float, closed)))), "件"))
    assert words(report) == words(drawn)[1:]  # the report prints the title as the caption under its picture


def test_the_workbench_lists_what_waits_for_the_supervisor(world: World) -> None:
    page = text_of(world["sup"].get("/workbench"))
    tasks = section(page, "电话催办队列")
    assert all(f'action="/tasks/{t["id"]}/done"' in tasks for t in world.tasks_of("GD201"))
    assert "申请 5 个工作日：需要协调多个部门" in section(page, "待审批延期") and "GD203" in section(page, "待审批延期")
    assert re.findall(r'href="/orders/(GD\d+)"', section(page, "退单待重新派发")) == ["GD103"]
    overdue = section(page, "各单位超期工单")
    assert re.search(r"区住建局</a></td><td class=\"overdue\">3<", overdue)
    assert re.search(r"区城管局</a></td><td class=\"overdue\">2<", overdue)


def test_leadership_sees_the_instructed_order_with_its_clocks(world: World) -> None:
    page = text_of(world["lead"].get("/leader"))
    row = rows_with(page, "/orders/GD106")[0]
    assert "王市长" in row and "2026-07-02 10:00" in row and "2026-09-02 10:00" in row and "剩 2 天" in row
    assert "<svg" in page


def test_each_figure_on_the_leaders_home_equals_the_count_of_the_list_it_links_to(world: World) -> None:
    page = world["lead"].get("/leader").get_data(as_text=True)
    figures = re.findall(r'<a class="figure[^"]*" href="([^"]+)" data-figure="(\w+)">(\d+)</a>', page)
    assert [key for _, key, _ in figures] == ["open", "overdue", "due_soon", "new_today"]
    units = re.findall(r'<a href="([^"]+)" data-unit-overdue="(\w+)">[^<：]+：(\d+) 件</a>', page)
    assert [code for _, code, _ in units] == ["U01", "U02"]
    for link, _, value in [*figures, *units]:
        listing = world["lead"].get(unescape(link)).get_data(as_text=True)
        assert f"共 {value} 件" in listing, link
    shown = {key: int(value) for _, key, value in figures}
    # the world (06-30 10:00): open = GD101 GD102 GD103 GD106 GD201 GD202 GD203; overdue = all but GD103 and
    # GD203 (returned; not yet due); GD203 is due 07-06 (an extension asked, not granted): not within a working day
    assert shown["open"] == 7 and shown["overdue"] == 5 and shown["new_today"] == 0
    assert "本月按时签收率" in page and "上月无数据" in page and "超期工单最多的单位" in page  # May: no orders


def test_leadership_sees_the_card_board_by_unit(world: World) -> None:
    page = world["lead"].get("/leader/cards").get_data(as_text=True)
    assert "<tr><td>区住建局</td><td>3</td><td>3</td></tr>" in page  # none for GD103 once it was returned
    assert "<tr><td>区城管局</td><td>3</td><td>2</td></tr>" in page
    assert "推诿扯皮" in page
    chart = re.search(r'<svg [^>]*aria-label="各单位在督红黄牌（张）".*?</svg>', page, re.S).group(0)
    # yellow and red side by side for each unit (not one stacked bar with their sum), counts written over them
    values = re.findall(r'<text class="dbc-value"[^>]*>(\d+)</text>', chart)
    assert values == ["3", "3", "3", "2"] and "单位：张" in chart and ">黄牌<" in chart and ">红牌<" in chart


def test_the_health_check_is_public_json(world: World) -> None:
    response = world.anonymous().get("/healthz")
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["status"] == "ok" and body["timer_backlog"]["due_now"] == 0


# ---------------------------------------------------------------------------------------- duban user …
def run(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = duban(argv)
    except SystemExit as exit_:  # argparse refuses bad choices itself
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_cli_creates_lists_and_disables_users(world: World, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--database", world.database_url]
    code, out, _ = run(["create-admin", "boss", "--password-stdin", *db], monkeypatch, capsys, "Boss-password-2026\n")
    assert code == 0 and "boss" in out
    code, out, _ = run(["user", "create", "clerk", "--role", "unit", "--unit", "U01", "--name", "王办事员",
                        "--password-stdin", *db], monkeypatch, capsys, "Clerk-password-2026\n")
    assert code == 0 and "U01" in out
    code, out, _ = run(["user", "list", *db], monkeypatch, capsys)
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "admin" in lines["boss"] and "active" in lines["boss"]
    assert "unit" in lines["clerk"] and "U01" in lines["clerk"] and "王办事员" in lines["clerk"]
    admin = sign_in(world.anonymous(), "boss", "Boss-password-2026")
    assert "clerk" in admin.get("/admin/users").get_data(as_text=True)
    clerk = sign_in(world.anonymous(), "clerk", "Clerk-password-2026")
    assert clerk.get("/unit").status_code == 200
    code, out, _ = run(["user", "disable", "clerk", *db], monkeypatch, capsys)
    assert code == 0 and "disabled" in out
    assert "disabled" in run(["user", "list", *db], monkeypatch, capsys)[1].split("clerk", 1)[1].splitlines()[0]
    assert path_of(clerk.get("/unit").headers["Location"]) == "/login"
    refused = world.anonymous()
    assert refused.post("/login", data={"username": "clerk", "password": "Clerk-password-2026",
                                        "csrf_token": login_token(refused)}).status_code == 401


@pytest.mark.parametrize("argv,stdin,message", [
    (["user", "create", "x.bad", "--role", "boss"], "Good-password-1\n", "invalid choice"),
    (["user", "create", "x.bad", "--role", "unit", "--unit", "U99"], "Good-password-1\n", "unknown handling unit"),
    (["user", "create", "x.bad", "--role", "unit"], "Good-password-1\n", "须绑定一个单位"),
    (["user", "create", "x.bad", "--role", "leader"], "password\n", "密码需"),
    (["user", "create", "unit1", "--role", "leader"], "Good-password-1\n", "已存在"),
    (["create-admin", "x.bad"], "", "--password-stdin"),  # no terminal to ask on
    (["user", "disable", "nobody"], "", "没有用户"),
])
def test_the_cli_refuses_bad_users_with_exit_code_2(world: World, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str,
                                                    message: str) -> None:
    extra = ["--password-stdin"] if "create" in argv[:2] and stdin else []
    code, out, err = run([*argv, *extra, "--database", world.database_url], monkeypatch, capsys, stdin)
    assert code == 2 and message in err
    assert "Traceback" not in err
    assert not world.rows(sa.select(users).where(users.c.username == "x.bad"))


def test_a_unit_given_a_re_dispatched_order_sees_its_own_part_of_the_history(world: World) -> None:
    number = world.new_order("U01", signed=True)
    world.engine.issue_card(number, color="red", reason="U01推诿扯皮", actor="sup")
    post(world["unit1"], f"/orders/{number}/return", {"reason": "属城管职责"})
    post(world["sup"], f"/orders/{number}/redispatch", {"unit_code": "U02"})
    page = text_of(world["unit2"].get(f"/orders/{number}"))
    assert "重新派发" in page and "U01推诿扯皮" not in page and "属城管职责" not in page
    assert "U01推诿扯皮" in text_of(world["sup"].get(f"/orders/{number}"))  # the hotline keeps the whole story


@pytest.mark.parametrize("path", ["/documents/99999999999999999999", "/sms/99999999999999999999",
                                  "/documents?page=99999999999999999999", "/sms?page=99999999999999999999",
                                  "/assessment?period=0000-01", "/assessment/9999-12/units/U01",
                                  "/assessment/trend?year=99999", "/assessment/0001/export.xlsx",
                                  "/admin/audit?page=99999999999999999999"])
def test_absurd_numbers_in_addresses_get_an_answer_not_a_server_error(world: World, path: str) -> None:
    assert world["adm"].get(path).status_code in (200, 400, 404)


def test_only_supervisors_get_the_task_form_on_the_workbench(world: World) -> None:
    assert 'action="/tasks/' in text_of(world["sup"].get("/workbench"))
    assert 'action="/tasks/' not in text_of(world["adm"].get("/workbench"))


def test_timelines_and_the_audit_log_name_people_and_units_in_chinese(world: World) -> None:
    """Issue 12 item 8: actors by their names (not login names or `seed`), audit details with Chinese keys and
    unit names instead of codes."""
    timeline = section(text_of(world["sup"].get("/orders/GD203")), "时间线")
    assert rows_with(timeline, "申请延期", "unit2 测试") and rows_with(timeline, "签收", "unit2 测试")
    assert "<td class=\"nowrap\">unit2</td>" not in timeline
    seeded = section(text_of(world["sup"].get("/orders/GD102")), "时间线")
    assert "初始数据" in seeded or "unit1 测试" in seeded
    audit = text_of(world["adm"].get("/admin/audit"))
    card_rows = rows_with(audit, "亮牌")
    assert card_rows and all("单位：区城管局" in row for row in card_rows if "GD203" in row)
    assert "unit: U02" not in audit and "unit_code: U0" not in audit
