"""避头尾 line breaking, measured with a font where every character is one unit wide."""
from __future__ import annotations

from engine.documents.linebreak import break_lines


def width(text: str) -> float:
    return float(len(text))


def test_a_full_stop_never_starts_a_line_it_hangs_at_the_end_of_the_previous_one():
    assert break_lines("一二三四五六七八九十。一二三", width, width=10) == ["一二三四五六七八九十。", "一二三"]


def test_an_opening_bracket_never_ends_a_line():
    assert break_lines("一二三四五六七八（九十一二）", width, width=9) == ["一二三四五六七八", "（九十一二）"]


def test_short_numbers_and_times_stay_whole_and_long_order_numbers_fill_the_line():
    assert break_lines("一二三四五六七八12345", width, width=10) == ["一二三四五六七八", "12345"]
    assert break_lines("工单GD20260601001派发", width, width=10) == ["工单GD202606", "01001派发"]


def test_the_first_line_is_shorter_by_the_indent_and_nothing_is_lost():
    text = "其间本办已发出催办通知书1次、电话催办1次、短信提醒6次，亮黄牌1次、红牌1次。"
    lines = break_lines(text, width, width=12, first_width=10)
    assert "".join(lines) == text
    assert len(lines[0]) <= 11 and all(len(line) <= 13 for line in lines)
    assert all(line[0] not in "。，、）" for line in lines[1:])
