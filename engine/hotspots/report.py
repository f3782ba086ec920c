"""The 热点预警 section of the quarterly 专报: the quarter's flags, one line per category and area (its first
window, how many windows it lasted, its peak against the expected count, its worst grade)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.documents.model import Block, Paragraph, Table
from engine.hotspots.detect import SEVERITY_WORDS

HEADING = "六、热点预警"
RANK = {"severe": 0, "warning": 1, "notice": 2}
LISTED = 10


def _episodes(flags: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for f in sorted(flags, key=lambda f: f["window_first"]):
        e = grouped.setdefault((f["category"], f["area"]), {"category": f["category"], "area": f["area"],
                                                             "first": f["window_first"], "days": f["window_days"],
                                                             "windows": 0, "peak": f, "severity": f["severity"]})
        e["windows"] += 1
        if f["count"] > e["peak"]["count"]:
            e["peak"] = f
        if RANK.get(f["severity"], 3) < RANK.get(e["severity"], 3):
            e["severity"] = f["severity"]
    return sorted(grouped.values(), key=lambda e: (RANK.get(e["severity"], 3), -e["peak"]["ratio"],
                                                   e["category"], e["area"]))


def hotspot_blocks(flags: Sequence[Mapping[str, Any]]) -> list[Block]:
    """The section from the flags of the windows that started in the quarter."""
    episodes = _episodes(flags)
    if not episodes:
        return [Paragraph(HEADING, "heading"), Paragraph("本季度各类诉求在各区域的受理量均未显著超出常态，未发出热点预警。")]
    grades = {key: sum(1 for e in episodes if e["severity"] == key) for key in RANK}
    blocks: list[Block] = [Paragraph(HEADING, "heading"), Paragraph(
        f"本季度热点预警涉及{len(episodes)}个“诉求类别×区域”，其中严重{grades['severe']}个、较重{grades['warning']}个、"
        f"一般{grades['notice']}个。常态受理量以去年同期（历史不足一年时为此前8周）推算；受理量显著高于常态"
        f"（经统计检验）且达到最低件数的才列为预警。建议有关单位对下列区域的集中诉求提前研判、主动治理（未诉先办）。"),
        Table(("诉求\n类别", "区域", "首次预警\n窗口", "预警\n窗口数", "最高受理\n（件）", "常态\n（件）", "倍数", "等级"),
              tuple((e["category"], e["area"], f"{e['first']:%m月%d日}起{e['days']}天", str(e["windows"]),
                     str(e["peak"]["count"]), f"{e['peak']['expected']:.1f}", f"{e['peak']['ratio']:.1f}",
                     SEVERITY_WORDS.get(e["severity"], e["severity"])) for e in episodes[:LISTED]),
              caption=f"表4 本季度热点预警（按等级和倍数排列{'，列前' + str(LISTED) + '个' if len(episodes) > LISTED else ''}）")]
    return blocks
