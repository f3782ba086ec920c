"""Server-drawn SVG charts: well-formed XML, accessible, escaped, proportional, gaps for missing data."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from workflows.charts import bar_chart, column_chart, line_chart, nice_ticks, text_width, truncate

NS = {"svg": "http://www.w3.org/2000/svg"}
NASTY = 'A<&"局>'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{{{NS['svg']}}}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{{{NS['svg']}}}rect") if "dbc-bar" in r.get("class", "").split()]


def assert_accessible(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+(\.\d)? \d+(\.\d)?", root.get("viewBox", ""))
    assert root.find("svg:title", NS) is not None and root.find("svg:title", NS).text == title
    assert root.find("svg:style", NS) is not None


SAMPLES = {
    "bar": lambda: bar_chart([("市住房和城乡建设局", 42), ("城管局", 35.5)], title="超期工单", unit="件"),
    "bar_empty": lambda: bar_chart([], title="超期工单"),
    "columns": lambda: column_chart(["市监局", "住建局"], [("受理量", [12, 0]), ("按时办结回复量", [3, 0])], title="受理",
                                    unit="件"),
    "columns_untitled": lambda: column_chart(["市监局"], [("受理量", [1])], title="图1 受理", titled=False),
    "columns_empty": lambda: column_chart([], [], title="受理"),
    "line": lambda: line_chart(["1周", "2周", "3周"], [("全市", [90, None, 95]), ("住建局", [80, 85, 88])],
                               title="按期办结率", unit="%", y_max=100),
    "line_empty": lambda: line_chart(["1周"], [("全市", [None])], title="按期办结率"),
}


# --- every chart ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_chart_is_well_formed_and_accessible(name):
    svg = SAMPLES[name]()
    root = parse(svg)
    title = root.get("aria-label")
    assert title
    assert_accessible(root, title)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_output_is_deterministic(name):
    assert SAMPLES[name]() == SAMPLES[name]()


def test_hostile_text_is_escaped_everywhere():
    charts = [
        bar_chart([(NASTY, 3)], title=NASTY, unit="<件>", highlight={NASTY}),
        line_chart([NASTY, "b"], [(NASTY, [1, 2]), ("x", [2, 1])], title=NASTY, unit="&"),
        column_chart([NASTY], [(NASTY, [2])], title=NASTY, unit="<件>", colors={NASTY: '"><script>'}),
    ]
    for svg in charts:
        root = parse(svg)  # would fail on a raw < or &
        assert root.get("aria-label") == NASTY
        assert NASTY in texts(root)
        assert "<script" not in svg and "<件>" not in svg


def test_control_characters_are_dropped():
    root = parse(bar_chart([("a\x00b\x1fc", 1)], title="t\x07"))
    assert "abc" in texts(root)


# --- bar chart -----------------------------------------------------------------------------------

def test_bar_lengths_are_proportional_to_values():
    root = parse(bar_chart([("甲", 40), ("乙", 20), ("丙", 10), ("丁", 0)], title="t"))
    widths = [float(r.get("width")) for r in bars(root)]
    assert len(widths) == 4
    assert widths[0] > 0
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.1)
    assert widths[2] == pytest.approx(widths[0] / 4, abs=0.1)
    assert widths[3] == 0


def test_bar_values_and_units_are_printed_at_the_bar_end():
    root = parse(bar_chart([("甲", 12), ("乙", 3.5), ("丙", 0)], title="t", unit="件"))
    shown = texts(root)
    assert {"12件", "3.5件", "0件"} <= set(shown)


def test_all_zero_bars_draw_nothing_but_still_label():
    root = parse(bar_chart([("甲", 0), ("乙", 0)], title="t"))
    assert [float(r.get("width")) for r in bars(root)] == [0, 0]
    assert "甲" in texts(root)


def test_single_bar_fills_the_plot():
    root = parse(bar_chart([("唯一", 7)], title="t"))
    [bar] = bars(root)
    assert float(bar.get("width")) > 200


def test_empty_bar_chart_says_no_data():
    root = parse(bar_chart([], title="空"))
    assert "暂无数据" in texts(root)
    assert bars(root) == []


def test_highlighted_bars_are_marked():
    root = parse(bar_chart([("甲", 1), ("乙", 2)], title="t", highlight={"乙"}))
    classes = [r.get("class") for r in bars(root)]
    assert classes == ["dbc-bar", "dbc-bar dbc-hl"]


def test_long_labels_are_truncated_but_kept_in_the_tooltip():
    label = "市住房和城乡建设局直属第三分局物业管理科"
    root = parse(bar_chart([(label, 1)], title="t"))
    shown = texts(root)
    assert label not in shown
    assert any(t.endswith("…") and label.startswith(t[:-1]) for t in shown)
    tooltips = ["".join(t.itertext()) for t in root.iter(f"{{{NS['svg']}}}title")]
    assert any(label in tip for tip in tooltips)


# --- columns ----------------------------------------------------------------------------------

def test_columns_take_the_cards_colours_and_a_callers_colour():
    root = parse(column_chart(["甲"], [("黄牌", [3]), ("红牌", [1]), ("派单", [2])], title="t",
                              colors={"派单": "#123456"}))
    fills = [r.get("fill") for r in root.iter(f"{{{NS['svg']}}}rect") if r.get("class") == "dbc-col"]
    assert fills == ["#f5c518", "#c62828", "#123456"]


def test_columns_reject_mismatched_series():
    with pytest.raises(ValueError):
        column_chart(["甲", "乙"], [("黄牌", [1])], title="t")


def test_many_categories_still_parse_and_thin_their_labels():
    days = [f"4月{d}日" for d in range(1, 31)]
    root = parse(column_chart(days, [("派单", list(range(30)))], title="t"))
    shown = [t for t in texts(root) if t in days]
    assert 0 < len(shown) < 30


# --- line chart ----------------------------------------------------------------------------------

def paths(root: ET.Element) -> list[str]:
    return [p.get("d") for p in root.iter(f"{{{NS['svg']}}}path")]


def test_line_chart_leaves_a_gap_for_none():
    root = parse(line_chart(["1", "2", "3", "4", "5"], [("全市", [90, 92, None, 94, 95])], title="t", y_max=100))
    [d] = paths(root)
    assert d.count("M") == 2  # two runs: 1–2 and 4–5
    assert d.count("L") == 2


def test_isolated_points_get_markers_but_no_line():
    root = parse(line_chart(["1", "2", "3"], [("全市", [90, None, 95])], title="t"))
    assert paths(root) == []
    markers = list(root.iter(f"{{{NS['svg']}}}circle"))
    assert len(markers) == 2


def test_markers_have_tooltips_with_period_series_value_and_unit():
    root = parse(line_chart(["第1周", "第2周"], [("全市", [91.5, 93])], title="t", unit="%"))
    tips = ["".join(t.itertext()) for t in root.iter(f"{{{NS['svg']}}}title")]
    assert "第1周 · 全市：91.5%" in tips
    assert "第2周 · 全市：93%" in tips


def test_y_axis_has_four_or_five_nice_ticks_reaching_y_max():
    root = parse(line_chart(["1", "2"], [("全市", [60, 70])], title="t", unit="%", y_max=100))
    shown = texts(root)
    assert [t for t in shown if t.endswith("%")] == ["0%", "25%", "50%", "75%", "100%"]


def test_legend_only_with_more_than_one_series():
    one = texts(parse(line_chart(["1", "2"], [("全市", [1, 2])], title="t")))
    two = texts(parse(line_chart(["1", "2"], [("全市", [1, 2]), ("住建局", [2, 1])], title="t")))
    assert "全市" not in one
    assert {"全市", "住建局"} <= set(two)


def test_line_chart_without_any_value_says_no_data():
    assert "暂无数据" in texts(parse(line_chart(["1", "2"], [("全市", [None, None])], title="t")))
    assert "暂无数据" in texts(parse(line_chart([], [], title="t")))


def test_line_chart_rejects_mismatched_series():
    with pytest.raises(ValueError):
        line_chart(["1", "2"], [("全市", [1])], title="t")


def test_single_period_is_drawn_as_a_point():
    root = parse(line_chart(["3月"], [("全市", [88])], title="t"))
    assert len(list(root.iter(f"{{{NS['svg']}}}circle"))) == 1


# --- helpers -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("low", "high", "integer", "expected"), [
    (0, 100, False, (0, 25, 50, 75, 100)),
    (0, 7, True, (0, 2, 4, 6, 8)),
    (0, 1, True, (0, 1, 2, 3)),
    (0, 0, True, (0, 1, 2, 3, 4)),
    (0, 0.3, False, (0, 0.1, 0.2, 0.3)),
    (0, 23, True, (0, 10, 20, 30)),
    (-5, 12, False, (-5, 0, 5, 10, 15)),
    (0, 9.2, False, (0, 2.5, 5, 7.5, 10)),
])
def test_nice_ticks(low, high, integer, expected):
    ticks = nice_ticks(low, high, integer=integer)
    assert ticks.values == pytest.approx(expected)
    assert 4 <= len(ticks.values) <= 5


def test_nice_tick_labels_have_no_float_noise():
    ticks = nice_ticks(0, 0.3)
    assert [ticks.label(v) for v in ticks.values] == ["0", "0.1", "0.2", "0.3"]
    assert [nice_ticks(0, 9.2).label(v) for v in nice_ticks(0, 9.2).values] == ["0", "2.5", "5", "7.5", "10"]


def test_truncate_keeps_short_text_and_fits_long_text():
    assert truncate("城管局", 100, 14) == "城管局"
    short = truncate("市住房和城乡建设局直属分局", 70, 14)
    assert short.endswith("…") and text_width(short, 14) <= 70
