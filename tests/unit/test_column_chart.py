"""The grouped column chart the dashboard and the 专报 share: separate series side by side, Chinese legends, every
value written over its column (0 too), the unit on the axis; and, for it and the other charts, no two pieces of
text on top of each other nor outside the picture, whatever the labels and values."""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.charts import bar_chart, column_chart, line_chart, text_width
from workflows.charts import svg as parts

SVG = "{http://www.w3.org/2000/svg}"
SIZES = {"dbc-small": parts.SMALL_SIZE, "dbc-value": parts.VALUE_SIZE, "dbc-title": parts.TITLE_SIZE}
Box = list[tuple[float, float]]  # a convex polygon's corners


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def columns(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "dbc-col"]


def values_over_columns(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("class") == "dbc-value"]


def text_box(element: ET.Element) -> Box:
    """Where a <text> is drawn: its estimated advance by its anchor, ascent 0.88 em and descent 0.12 em (Noto Sans
    CJK), turned by its rotate() transform."""
    size = SIZES.get(element.get("class", ""), parts.LABEL_SIZE)
    width = text_width("".join(element.itertext()), size)
    x, y = float(element.get("x")), float(element.get("y"))
    start = {"middle": x - width / 2, "end": x - width}.get(element.get("text-anchor", "start"), x)
    corners = [(start, y - 0.88 * size), (start + width, y - 0.88 * size), (start + width, y + 0.12 * size),
               (start, y + 0.12 * size)]
    turned = re.fullmatch(r"rotate\((-?[\d.]+) (-?[\d.]+) (-?[\d.]+)\)", element.get("transform", ""))
    if not turned:
        return corners
    angle, cx, cy = (float(v) for v in turned.groups())
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return [(cx + (px - cx) * cos - (py - cy) * sin, cy + (px - cx) * sin + (py - cy) * cos) for px, py in corners]


def rect_box(element: ET.Element) -> Box:
    x, y, w, h = (float(element.get(k)) for k in ("x", "y", "width", "height"))
    return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]


def overlap(a: Box, b: Box, slack: float = 0.5) -> bool:
    """Separating-axis test for two convex polygons; touching within `slack` px is not overlapping."""
    if (max(x for x, _ in a) <= min(x for x, _ in b) + slack or max(x for x, _ in b) <= min(x for x, _ in a) + slack
            or max(y for _, y in a) <= min(y for _, y in b) + slack or max(y for _, y in b) <= min(y for _, y in a) + slack):
        return False  # their bounding boxes are apart
    for polygon in (a, b):
        for i, (x1, y1) in enumerate(polygon):
            x2, y2 = polygon[(i + 1) % len(polygon)]
            nx, ny = y1 - y2, x2 - x1
            length = math.hypot(nx, ny) or 1.0
            pa = [(px * nx + py * ny) / length for px, py in a]
            pb = [(px * nx + py * ny) / length for px, py in b]
            if max(pa) <= min(pb) + slack or max(pb) <= min(pa) + slack:
                return False  # a separating axis: no overlap
    return True


def assert_readable(svg: str) -> None:
    """No text on other text or on a column; all text inside the picture."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    boxes = [(("".join(t.itertext())), text_box(t)) for t in root.iter(f"{SVG}text")]
    for label, box in boxes:
        assert all(-0.5 <= px <= width + 0.5 and -0.5 <= py <= height + 0.5 for px, py in box), (label, box)
    for i, (label, box) in enumerate(boxes):
        for other, other_box in boxes[i + 1:]:
            assert not overlap(box, other_box), (label, other)
        for column in columns(root):
            assert not overlap(box, rect_box(column)), (label, column.get("x"))


# --- what the reader sees ----------------------------------------------------------------------------

def test_each_series_has_its_own_column_and_its_chinese_legend():
    svg = column_chart(["市监局", "住建局"], [("派发", [5, 3]), ("办结", [2, 4])], title="派发与办结", unit="件")
    root = ET.fromstring(svg)
    drawn = columns(root)
    assert len(drawn) == 4  # not stacked into one: two columns per unit
    fills = [c.get("fill") for c in drawn]
    assert fills[0] == fills[2] != fills[1] == fills[3]
    heights = [float(c.get("height")) for c in drawn]
    assert heights[0] / heights[1] == pytest.approx(5 / 2, rel=0.01)
    assert heights[3] / heights[2] == pytest.approx(4 / 3, rel=0.01)
    assert {"派发", "办结", "市监局", "住建局"} <= set(texts(root))
    assert values_over_columns(root) == ["5", "2", "3", "4"]  # each value, not their sum


def test_zero_is_written_where_a_column_is_missing():
    root = ET.fromstring(column_chart(["甲", "乙"], [("受理量", [0, 7]), ("按时办结回复量", [0, 0])], title="t"))
    assert len(columns(root)) == 1
    assert values_over_columns(root) == ["0", "0", "7", "0"]


def test_the_axis_says_its_unit():
    counts = texts(ET.fromstring(column_chart(["甲"], [("受理量", [12])], title="t", unit="件")))
    assert "单位：件" in counts and "15" in counts
    rates = texts(ET.fromstring(column_chart(["甲"], [("按时办结率", [92.5])], title="t", unit="%")))
    assert [t for t in rates if t.endswith("%")] == ["0%", "25%", "50%", "75%", "100%"]


def test_a_documents_chart_leaves_its_title_to_the_caption():
    titled = ET.fromstring(column_chart(["甲"], [("受理量", [1])], title="图1 受理量"))
    untitled = ET.fromstring(column_chart(["甲"], [("受理量", [1])], title="图1 受理量", titled=False))
    assert "图1 受理量" in texts(titled) and "图1 受理量" not in texts(untitled)
    assert untitled.get("aria-label") == "图1 受理量"


def test_many_columns_write_their_values_upright_and_still_apart():
    days = [f"12-{d:02d}" for d in range(1, 15)]
    svg = column_chart(days, [("派发", [120 + d for d in range(14)]), ("办结", [0] * 14)], title="t", unit="件")
    root = ET.fromstring(svg)
    upright = [t for t in root.iter(f"{SVG}text") if t.get("class") == "dbc-value" and t.get("transform")]
    assert len(upright) == 28
    assert_readable(svg)


# --- never overlapping --------------------------------------------------------------------------------

NAMES = ["市监局", "住建局", "自来水公司", "榕城区", "市交通运输局", "供电局", "GD-7", "市住房和城乡建设局", "7月1日"]
labels = st.lists(st.one_of(st.sampled_from(NAMES), st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF),
                                                              min_size=1, max_size=12)), min_size=1, max_size=24)
value = st.one_of(st.integers(0, 100_000), st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 2)))


@settings(max_examples=60, deadline=None)
@given(labels, st.lists(st.sampled_from(["受理量", "按时办结回复量", "派发", "办结", "黄牌"]), min_size=1, max_size=3,
                        unique=True), st.data(), st.sampled_from(["件", "%", "", "工作日"]))
def test_no_text_overlaps_in_a_column_chart(categories, names, data, unit):
    series = [(n, data.draw(st.lists(value, min_size=len(categories), max_size=len(categories)))) for n in names]
    for titled in (True, False):
        assert_readable(column_chart(categories, series, title="图1 各承办单位受理量", unit=unit, titled=titled))


@settings(max_examples=30, deadline=None)
@given(labels, st.data(), st.sampled_from(["件", "%", "", "分"]))
def test_no_text_overlaps_in_the_other_charts(categories, data, unit):
    numbers = data.draw(st.lists(value, min_size=len(categories), max_size=len(categories)))
    assert_readable(bar_chart(list(zip(categories, numbers)), title="超期工单最多的单位", unit=unit))
    assert_readable(line_chart(categories, [("按期办结率", numbers), ("全市", numbers[::-1])], title="趋势", unit=unit))
