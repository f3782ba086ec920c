"""The quarterly 专报's 热点预警 section from stored flags: one line per category and area, worst grade first."""
from __future__ import annotations

from datetime import date

from engine.documents.model import Paragraph, Table
from engine.hotspots.report import hotspot_blocks


def flag(category, area, first, count, expected, severity):
    return {"category": category, "area": area, "window_first": first, "window_days": 7, "count": count,
            "expected": expected, "ratio": count / expected, "severity": severity}


def test_windows_of_one_area_make_one_line_with_its_peak_and_worst_grade():
    blocks = hotspot_blocks([flag("投诉", "江区", date(2026, 5, 2), 40, 12.0, "warning"),
                             flag("投诉", "江区", date(2026, 5, 3), 52, 12.0, "severe"),
                             flag("投诉", "江区", date(2026, 5, 4), 45, 12.0, "warning"),
                             flag("求助", "湖区", date(2026, 6, 1), 18, 8.0, "notice")])
    assert blocks[0] == Paragraph("六、热点预警", "heading")
    assert "涉及2个“诉求类别×区域”，其中严重1个、较重0个、一般1个" in blocks[1].text
    assert isinstance(blocks[2], Table) and blocks[2].rows == (
        ("投诉", "江区", "05月02日起7天", "3", "52", "12.0", "4.3", "严重"),
        ("求助", "湖区", "06月01日起7天", "1", "18", "8.0", "2.2", "一般"))


def test_a_quiet_quarter_says_so():
    assert [b.text for b in hotspot_blocks([])] == [  # type: ignore[union-attr]
        "六、热点预警", "本季度各类诉求在各区域的受理量均未显著超出常态，未发出热点预警。"]
