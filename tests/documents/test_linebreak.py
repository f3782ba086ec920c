"""Line breaking, measured with a font where every character is one unit wide."""
from __future__ import annotations

from engine.documents.linebreak import balance_title, break_lines


def width(text: str) -> float:
    return float(len(text))


def test_a_full_stop_never_starts_a_line_it_hangs_at_the_end_of_the_previous_one():
    assert break_lines("一二三四五六七八九十。一二三", width, width=10) == ["一二三四五六七八九十。", "一二三"]


def test_an_opening_bracket_never_ends_a_line():
    assert break_lines("一二三四五六七八（九十一二）", width, width=9) == ["一二三四五六七八", "（九十一二）"]


def test_identifiers_go_down_whole_to_the_next_line():
    assert break_lines("一二三四五六七八12345", width, width=10) == ["一二三四五六七八", "12345"]
    assert break_lines("工单GD20260601001派发", width, width=20) == ["工单GD20260601001派发"]
    assert break_lines("向你单位派发工单GD20260601001。", width, width=14) == ["向你单位派发工单", "GD20260601001。"]
    assert break_lines("一二三四五六于2026年10月22日10:30签收", width, width=18) == ["一二三四五六于", "2026年10月22日10:30签收"]
    assert break_lines("一二三四五六七发出揭热线督〔2026〕12号", width, width=14) == ["一二三四五六七发出", "揭热线督〔2026〕12号"]


def test_only_an_identifier_wider_than_a_line_is_cut():
    assert break_lines("GD202606010010001", width, width=10) == ["GD20260601", "0010001"]


def test_the_first_line_is_shorter_by_the_indent_and_nothing_is_lost():
    text = "其间本办已发出催办通知书1次、电话催办1次、短信提醒6次，亮黄牌1次、红牌1次。"
    lines = break_lines(text, width, width=12, first_width=10)
    assert "".join(lines) == text
    assert len(lines[0]) <= 11 and all(len(line) <= 13 for line in lines)
    assert all(line[0] not in "。，、）" for line in lines[1:])


def test_a_title_breaks_between_its_phrases_into_even_lines():
    parts = ("关于", "领导批示工单", "GD202610220113", "办理情况的", "专报")
    assert balance_title(parts, width, width=22) == ["关于领导批示工单", "GD202610220113办理情况的专报"]
    parts = ("关于", "领导批示", "工单GD202610220113", "办理情况的", "专报")
    assert balance_title(parts, width, width=22) == ["关于领导批示工单GD202610220113", "办理情况的专报"]
    assert balance_title(("关于", "督促办理", "工单GD1的", "催办通知书"), width, width=30) == ["关于督促办理工单GD1的催办通知书"]
    assert balance_title(("关于", "督促办理", "工单GD1的", "催办通知书"), width, width=12) == ["关于督促办理", "工单GD1的催办通知书"]
