"""The work-order list: every filter keeps exactly the right orders, a unit never sees another unit's orders,
search, sorts, pages, the export walk, query-string parsing, and the CSV and XLSX files."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from engine.domain.errors import InvalidInput
from engine.persistence.account_tables import cards
from engine.persistence import order_search
from engine.persistence.order_filter import SORTS, OrderFilter
from engine.persistence.order_search import count_orders, iter_orders, search_orders
from engine.persistence.tables import work_orders
from engine.services import Engine
from tests.conftest import local
from workflows.order_export import COLUMNS, csv_chunks, write_csv, write_xlsx

NOW = local(2026, 6, 1, 8, 0)  # the clock fixture's start


@dataclass(frozen=True)
class Spec:
    number: str
    unit: str
    category: str
    urgency: str
    dispatched: datetime
    title: str
    events: tuple[str, ...] = ()


# U1 城管局, U2 住建局. Deadlines: 15 working days for a routine 投诉; 24 hours for 紧急.
SPECS = (
    Spec("GD2026050400001", "U1", "投诉", "一般", local(2026, 5, 4, 9, 0), "小区夜间施工噪音扰民"),  # overdue
    Spec("GD2026052800002", "U1", "咨询", "一般", local(2026, 5, 28, 10, 0), "咨询公积金提取", ("signed",)),
    Spec("GD2026052000003", "U2", "求助", "紧急", local(2026, 5, 20, 11, 0), "路灯不亮 Street Light",
         ("signed", "replied")),
    Spec("GD2026051500004", "U2", "举报", "一般", local(2026, 5, 15, 14, 0), "占道经营",
         ("signed", "replied", "closed")),
    Spec("GD2026053000005", "U1", "建议", "一般", local(2026, 5, 30, 16, 0), "=HYPERLINK(\"http://x\")"),
    Spec("GX2026053100006", "U2", "投诉", "特急", local(2026, 5, 31, 7, 0), "燃气泄漏 100% 紧急", ("signed",)),
)
ALL = {s.number for s in SPECS}
OVERDUE = {"GD2026050400001", "GX2026053100006"}  # open and past the deadline at NOW (特急: 2 hours)


def _build(engine: Engine) -> Engine:
    engine.register_unit("U1", "城管局", ["+8613800138001"])
    engine.register_unit("U2", "住建局", ["+8613800138002"])
    for spec in SPECS:
        engine.open_work_order(number=spec.number, unit_code=spec.unit, category=spec.category, urgency=spec.urgency,
                               source="12345", at=spec.dispatched, title=spec.title)
        for hours, event in enumerate(spec.events, start=1):
            engine.record_event(spec.number, event, at=spec.dispatched.replace(hour=spec.dispatched.hour + hours))
    engine.add_instruction("GD2026052800002", leader="张市长", text="请尽快答复", at=local(2026, 5, 29, 9, 0))
    with engine.store.transaction() as tx:
        _card(tx.c, "GD2026050400001", "U1", "yellow", withdrawn=False)
        _card(tx.c, "GD2026050400001", "U1", "red", withdrawn=True)
        _card(tx.c, "GD2026052000003", "U2", "red", withdrawn=False)
        tx.c.execute(work_orders.update().where(work_orders.c.number == "GD2026053000005")
                     .values(returned_at=local(2026, 5, 31, 9, 0)))
    return engine


def _card(connection: sa.Connection, number: str, unit: str, color: str, *, withdrawn: bool) -> None:
    connection.execute(cards.insert().values(
        order_number=number, unit_code=unit, color=color, source="manual", reason="测试", issued_at=NOW,
        issued_by="tester", withdrawn_at=NOW if withdrawn else None, withdrawn_by="tester" if withdrawn else None))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request, make_engine, clock) -> Engine:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    return _build(make_engine(clock=clock, database_url=url))


@pytest.fixture(params=["sparse", "dense"])
def form(request, monkeypatch) -> str:
    """Both ways a page is read: from the matching numbers (small results) and by walking the sort's index."""
    if request.param == "dense":
        monkeypatch.setattr(order_search, "SPARSE_ROWS", 0)
    return request.param


@pytest.fixture
def sqlite_world(make_engine, clock) -> Engine:
    return _build(make_engine(clock=clock))


def numbers(engine: Engine, scope_unit: str | None = None, **criteria: object) -> set[str]:
    f = OrderFilter(per_page=200, **criteria)  # type: ignore[arg-type]
    with engine.store.reading() as tx:
        page = search_orders(tx.c, f, now=NOW, scope_unit=scope_unit)
    assert page.total == len(page.rows)
    return {row["number"] for row in page.rows}


def ordered(engine: Engine, f: OrderFilter, scope_unit: str | None = None) -> list[str]:
    with engine.store.reading() as tx:
        return [row["number"] for row in search_orders(tx.c, f, now=NOW, scope_unit=scope_unit).rows]


# ---------------------------------------------------------------------------------------- filters
def test_no_filter_lists_every_order(world):
    assert numbers(world) == ALL


FILTER_CASES = [
    ({"status": "dispatched"}, {"GD2026050400001", "GD2026053000005"}),
    ({"status": "signed"}, {"GD2026052800002", "GX2026053100006"}),
    ({"status": "replied"}, {"GD2026052000003"}),
    ({"status": "closed"}, {"GD2026051500004"}),
    ({"category": "投诉"}, {"GD2026050400001", "GX2026053100006"}),
    ({"urgency": "紧急"}, {"GD2026052000003"}),
    ({"unit_code": "U2"}, {"GD2026052000003", "GD2026051500004", "GX2026053100006"}),
    ({"overdue": True}, OVERDUE),
    ({"overdue": False}, ALL - OVERDUE),
    ({"card": "yellow"}, {"GD2026050400001"}),  # its red card was withdrawn
    ({"card": "red"}, {"GD2026052000003"}),
    ({"card": "any"}, {"GD2026050400001", "GD2026052000003"}),
    ({"instructed": True}, {"GD2026052800002"}),
    ({"instructed": False}, ALL - {"GD2026052800002"}),
    ({"returned": True}, {"GD2026053000005"}),
    ({"returned": False}, ALL - {"GD2026053000005"}),
    ({"unit_code": "U1", "overdue": True}, {"GD2026050400001"}),
    ({"status": "signed", "category": "投诉", "urgency": "特急"}, {"GX2026053100006"}),
    ({"unit_code": "U9"}, set()),
]


def test_each_filter_keeps_exactly_the_matching_orders(world, form):
    """One world per database and form, every case on it (a world takes a while to build)."""
    for criteria, expected in FILTER_CASES:
        f = OrderFilter(**criteria)  # type: ignore[arg-type]
        assert numbers(world, **criteria) == expected, criteria
        with world.store.reading() as tx:
            assert count_orders(tx.c, f, now=NOW) == len(expected), criteria
            assert {r["number"] for r in iter_orders(tx.c, f, now=NOW, batch=2)} == expected, criteria


def test_rows_carry_the_unit_name_cards_instruction_timer_and_overdue_flag(world):
    with world.store.reading() as tx:
        rows = {r["number"]: r for r in search_orders(tx.c, OrderFilter(), now=NOW).rows}
    first = rows["GD2026050400001"]
    assert first["unit_name"] == "城管局" and first["cards"] == ["yellow"] and first["overdue"] is True
    assert first["instructed"] is False and first["title"] == "小区夜间施工噪音扰民"
    assert first["deadline_at"] < NOW and first["dispatched_at"] == local(2026, 5, 4, 9, 0)
    assert first["next_due_at"] is not None and first["next_due_at"].utcoffset() is not None
    assert rows["GD2026052800002"]["instructed"] is True
    assert rows["GD2026052000003"]["cards"] == ["red"] and rows["GD2026052000003"]["overdue"] is False
    assert rows["GD2026051500004"]["closed_at"] is not None and rows["GD2026051500004"]["next_due_at"] is None
    assert rows["GD2026053000005"]["returned_at"] == local(2026, 5, 31, 9, 0)
    assert set(first) >= {"number", "title", "unit_code", "unit_name", "category", "urgency", "source", "status",
                          "dispatched_at", "deadline_at", "deadline_provisional", "signed_at", "replied_at",
                          "closed_at", "returned_at", "overdue", "next_due_at", "cards", "instructed"}


# ---------------------------------------------------------------------------------------- a unit's scope
def test_a_unit_scope_sees_only_its_own_orders(world, form):
    own = {s.number for s in SPECS if s.unit == "U1"}
    assert numbers(world, scope_unit="U1") == own
    assert numbers(world, scope_unit="U1", unit_code="U1") == own
    assert numbers(world, scope_unit="U1", unit_code="U2") == set()  # asking for another unit gives nothing
    assert numbers(world, scope_unit="U1", q="GD2026052000003") == set()  # U2's order, by its number
    assert numbers(world, scope_unit="U1", card="red") == set()  # the only red card is U2's
    assert numbers(world, scope_unit="U2", overdue=True) == {"GX2026053100006"}


def test_a_unit_scope_holds_for_the_export_walk(world):
    with world.store.reading() as tx:
        assert [r["unit_code"] for r in iter_orders(tx.c, OrderFilter(), now=NOW, scope_unit="U2")] == ["U2"] * 3
        assert list(iter_orders(tx.c, OrderFilter(unit_code="U1"), now=NOW, scope_unit="U2")) == []
        assert count_orders(tx.c, OrderFilter(unit_code="U1"), now=NOW, scope_unit="U2") == 0


# ---------------------------------------------------------------------------------------- search
SEARCH_CASES = [
    ("GD2026052800002", {"GD2026052800002"}),  # the whole number
    ("GD202605", ALL - {"GX2026053100006"}),  # a prefix
    ("gx", {"GX2026053100006"}),  # letter case aside
    ("2026052800002", set()),  # the middle of a number is not a prefix
    ("噪音", {"GD2026050400001"}),  # a piece of the title
    ("street light", {"GD2026052000003"}),  # ASCII letters in any case
    ("STREET", {"GD2026052000003"}),
    ("100%", {"GX2026053100006"}),  # LIKE wildcards are plain characters
    ("%", {"GX2026053100006"}),
    ("_", set()),
]


def test_search_by_number_prefix_or_title_piece(world, form):
    for q, expected in SEARCH_CASES:
        assert numbers(world, q=q) == expected, q


# ---------------------------------------------------------------------------------------- sort and pages
def _expected_order(engine: Engine, sort: str, descending: bool) -> list[str]:
    with engine.store.reading() as tx:
        rows = tx.c.execute(sa.select(work_orders)).mappings().all()
    keys = {"dispatched_at": ("dispatched_at",), "deadline_at": ("deadline_at",), "number": (),
            "unit": ("unit_code", "dispatched_at"), "status": ("status", "dispatched_at")}[sort]
    rows = sorted(rows, key=lambda r: (*(r[k] for k in keys), r["number"]), reverse=descending)
    return [r["number"] for r in rows]


def test_every_sort_in_both_directions(world, form):
    for sort in SORTS:
        for descending in (True, False):
            f = OrderFilter(sort=sort, descending=descending)
            expected = _expected_order(world, sort, descending)
            assert ordered(world, f) == expected, f
            with world.store.reading() as tx:  # the export walks the same order, in batches smaller than the result
                assert [r["number"] for r in iter_orders(tx.c, f, now=NOW, batch=2)] == expected, f
                assert [r["number"] for r in iter_orders(tx.c, f, now=NOW, batch=6)] == expected, f


def test_pages_split_the_result_and_count_it(world, form):
    f = OrderFilter(per_page=4, sort="number", descending=False)
    with world.store.reading() as tx:
        first = search_orders(tx.c, f, now=NOW)
        second = search_orders(tx.c, f.at_page(2), now=NOW)
        beyond = search_orders(tx.c, f.at_page(3), now=NOW)
        narrow = search_orders(tx.c, OrderFilter(per_page=1, status="signed"), now=NOW)
    assert (first.total, first.pages, len(first.rows), first.has_next, first.has_previous) == (6, 2, 4, True, False)
    assert (second.total, second.pages, len(second.rows), second.has_next) == (6, 2, 2, False)
    assert [r["number"] for r in first.rows + second.rows] == sorted(ALL)
    assert (beyond.total, beyond.rows, beyond.page) == (6, [], 3)
    assert (narrow.total, narrow.pages) == (2, 2)


def test_search_results_page_and_count_like_lists(world, form):
    f = OrderFilter(q="gd", per_page=2, sort="number", descending=False)
    expected = sorted(ALL - {"GX2026053100006"})
    with world.store.reading() as tx:
        pages = [search_orders(tx.c, f.at_page(n), now=NOW) for n in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [5] * 4 and pages[0].pages == 3
    assert [r["number"] for p in pages[:3] for r in p.rows] == expected
    assert pages[3].rows == []


def test_an_empty_scope_is_one_empty_page(world):
    with world.store.reading() as tx:
        page = search_orders(tx.c, OrderFilter(unit_code="U2"), now=NOW, scope_unit="U1")
    assert (page.total, page.rows, page.pages) == (0, [], 1)


def test_the_export_walk_survives_equal_sort_keys(sqlite_world):
    """Orders dispatched at the same instant: the number breaks the tie, none is lost or repeated."""
    for i in range(5):
        sqlite_world.open_work_order(number=f"TIE{i}", unit_code="U1", category="咨询", urgency="一般",
                                     source="12345", at=local(2026, 5, 25, 9, 0), title="同时派发")
    f = OrderFilter(q="TIE", sort="dispatched_at")
    with sqlite_world.store.reading() as tx:
        walked = [r["number"] for r in iter_orders(tx.c, f, now=NOW, batch=2)]
    assert walked == [f"TIE{i}" for i in reversed(range(5))]


def test_the_export_walk_places_orders_without_a_deadline(sqlite_world):
    with sqlite_world.store.transaction() as tx:
        tx.c.execute(work_orders.update().where(work_orders.c.number.in_(["GD2026052800002", "GD2026051500004"]))
                     .values(deadline_at=None))
    for descending in (True, False):
        f = OrderFilter(sort="deadline_at", descending=descending)
        with sqlite_world.store.reading() as tx:
            paged = [r["number"] for r in search_orders(tx.c, f, now=NOW).rows]
            walked = [r["number"] for r in iter_orders(tx.c, f, now=NOW, batch=1)]
        assert walked == paged and sorted(walked) == sorted(ALL)


# ---------------------------------------------------------------------------------------- query strings
def test_a_query_string_becomes_a_filter_and_back():
    args = {"unit": "U1", "status": "signed", "category": "投诉", "urgency": "一般", "overdue": "1", "card": "red",
            "instructed": "0", "returned": "true", "q": " 噪音 ", "sort": "deadline_at", "dir": "asc", "page": "3",
            "per_page": "100", "csrf_token": "ignored"}
    f = OrderFilter.from_args(args)
    assert f == OrderFilter(unit_code="U1", status="signed", category="投诉", urgency="一般", overdue=True, card="red",
                            instructed=False, returned=True, q="噪音", sort="deadline_at", descending=False, page=3,
                            per_page=100)
    assert OrderFilter.from_args(f.to_args()) == f
    assert f.to_args()["instructed"] == "0" and f.to_args()["dir"] == "asc"


def test_blank_values_mean_no_filter_and_defaults_are_left_out():
    assert OrderFilter.from_args({"status": "", "q": "   ", "page": "", "overdue": ""}) == OrderFilter()
    assert OrderFilter().to_args() == {}
    assert OrderFilter(page=2).to_args() == {"page": "2"}


def test_link_helpers():
    f = OrderFilter(status="signed", page=4)
    assert f.sorted_by("dispatched_at") == OrderFilter(status="signed", descending=False)  # same column: flip
    assert f.sorted_by("number") == OrderFilter(status="signed", sort="number")
    assert f.at_page(5).page == 5 and f.without_paging().to_args() == {"status": "signed"}


@pytest.mark.parametrize(("args", "words"), [
    ({"status": "open"}, ("状态", "unknown status")),
    ({"category": "表扬"}, ("类别", "unknown category")),
    ({"urgency": "x"}, ("紧急程度", "unknown urgency")),
    ({"card": "green"}, ("红黄牌", "unknown card")),
    ({"sort": "title"}, ("排序", "unknown sort")),
    ({"dir": "up"}, ("排序方向", "dir must be")),
    ({"overdue": "maybe"}, ("overdue", "must be 1 or 0")),
    ({"page": "0"}, ("页码", "page must be")),
    ({"page": "-1"}, ("page", "whole number")),
    ({"page": "abc"}, ("page", "whole number")),
    ({"page": "1" * 30}, ("page", "whole number")),
    ({"per_page": "201"}, ("每页条数", "per_page must be")),
    ({"per_page": "0"}, ("每页条数", "per_page must be")),
    ({"q": "长" * 101}, ("搜索内容", "search text")),
    ({"unit": "U" * 33}, ("单位代码", "unit code")),
    ({"q": "a\x00b"}, ("控制字符", "control characters")),
])
def test_bad_query_strings_are_refused_in_chinese_and_english(args, words):
    with pytest.raises(InvalidInput) as caught:
        OrderFilter.from_args(args)
    assert all(word in str(caught.value) for word in words)


def test_a_filter_built_in_code_is_checked_too():
    with pytest.raises(InvalidInput):
        OrderFilter(per_page=0)
    with pytest.raises(InvalidInput):
        OrderFilter(overdue="yes")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- export files
def _rows(engine: Engine) -> list[dict]:
    with engine.store.reading() as tx:
        return list(iter_orders(tx.c, OrderFilter(sort="number", descending=False), now=NOW))


def test_a_large_csv_download_comes_in_pieces_that_add_up_to_the_file(sqlite_world):
    """The export streams: the first piece (BOM, headers, the first rows) is ready before the rest is read."""
    rows = _rows(sqlite_world) * 400  # 2,400 rows
    pieces = list(csv_chunks(iter(rows), rows_per_chunk=500))
    assert len(pieces) == 6 and pieces[0].startswith("\ufeff工单编号,标题".encode())
    assert pieces[0].decode().count("\r\n") == 101  # the header and the first 100 rows: the download starts at once
    assert pieces[1].decode().count("\r\n") == 400  # then up to each 500th row
    whole = io.BytesIO()
    assert write_csv(iter(rows), whole) == 2_400 and b"".join(pieces) == whole.getvalue()


def test_csv_opens_in_excel_with_chinese_headers_local_times_and_no_formulas(sqlite_world):
    out = io.BytesIO()
    assert write_csv(_rows(sqlite_world), out) == 6
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["工单编号", "标题", "承办单位"]
    assert len(lines) == 7
    first = lines[1].split(",")
    assert first[:3] == ["GD2026050400001", "小区夜间施工噪音扰民", "城管局"]
    assert first[8] == "2026-05-04 09:00"  # 派发时间 in Asia/Shanghai
    assert "待签收" in first and "黄牌" in first
    injected = next(line for line in lines if line.startswith("GD2026053000005"))
    assert ",\"'=HYPERLINK(\"\"http://x\"\")\"," in injected


def test_csv_cells_that_could_run_as_formulas_get_a_quote():
    from workflows.order_export import csv_text

    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx"):
        assert csv_text(text) == "'" + text
    assert csv_text("普通标题") == "普通标题" and csv_text(None) == ""


def test_xlsx_has_real_local_datetimes_a_frozen_header_and_text_that_stays_text(sqlite_world):
    out = io.BytesIO()
    assert write_xlsx(_rows(sqlite_world), out) == 6
    out.seek(0)
    sheet = load_workbook(out).active
    headers = [c.value for c in sheet[1]]
    assert headers == [column.header for column in COLUMNS]
    assert sheet.freeze_panes == "A2" and sheet.max_row == 7
    assert sheet.column_dimensions["B"].width == 40
    row = {h: c for h, c in zip(headers, sheet[2])}
    assert row["工单编号"].value == "GD2026050400001"
    assert row["派发时间"].value == datetime(2026, 5, 4, 9, 0) and row["派发时间"].is_date
    assert row["状态"].value == "待签收" and row["有效红黄牌"].value == "黄牌" and row["是否超期"].value == "是"
    formula = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "GD2026053000005")[1]
    assert formula.value == "=HYPERLINK(\"http://x\")" and formula.data_type == "s"


def test_xlsx_drops_characters_xml_cannot_hold():
    out = io.BytesIO()
    write_xlsx([{"number": "N1", "title": "坏\x07字符", "status": "signed"}], out)
    out.seek(0)
    assert load_workbook(out).active["B2"].value == "坏字符"
