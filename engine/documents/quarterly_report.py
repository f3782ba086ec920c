"""The wording of the quarterly typical-case 专报 (figures from `quarterly`), in the words a 专报 uses: 第三季度,
7月, 较上季度; units by their short names on the charts; the 典型案例 told case by case (`typical_cases`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from engine.documents.model import Block, Chart, DocumentContent, Letterhead, Paragraph, Table
from engine.documents.numbering import chinese_date, local_day
from engine.documents.quarterly import QuarterFigures, UnitFigures, quarter_bounds, rate
from engine.documents.typical_cases import case_blocks
from engine.domain.calendar import WorkingCalendar
from engine.domain.unit_directory import derived_short_name

QUARTERS = {"1": "第一季度", "2": "第二季度", "3": "第三季度", "4": "第四季度"}
ShortName = Callable[[str, str], str]  # (unit code, unit name) -> short name


def quarter_words(label: str) -> str:
    """2026Q3 → 2026年第三季度."""
    return f"{label[:4]}年{QUARTERS[label[-1]]}"


def month_words(label: str) -> str:
    """2026-07 → 7月."""
    return f"{int(label[-2:])}月"


def day_words(month_day: str) -> str:
    """07-06 → 7月6日."""
    month, day = month_day.split("-")
    return f"{int(month)}月{int(day)}日"


@dataclass(frozen=True)
class QuarterRanking:
    """The quarter's performance-assessment ranking by the same rules as the assessment pages (engine/assessment/
    ranking.py): within tiers, 样本不足 units not ranked, 红榜 only 良好 or better, 黑榜 only below 合格."""

    ranked: tuple[tuple[str, int, str, str, str], ...]  # (tier, rank in tier, unit name, points, change), best first
    top: tuple[str, ...]  # 红榜: "unit name（points）"
    bottom: tuple[str, ...]  # 黑榜: "unit name（points）", worst first
    months: tuple[str, ...]  # the months combined, e.g. 2026-04
    previous: str = ""  # the quarter the change is measured from, e.g. 2026Q1
    unranked: tuple[tuple[str, str, int], ...] = ()  # (unit name, 样本不足 | 不适用, orders due for a reply)
    min_sample: int = 30


def most_carded(units: tuple[UnitFigures, ...], field: str, limit: int = 3) -> list[tuple[str, int]]:
    """The units with the most of `field` (red_cards, letters…), with counts; ties at the cut are all kept."""
    counted = sorted(((u.name, getattr(u, field)) for u in units if getattr(u, field)), key=lambda x: (-x[1], x[0]))
    if len(counted) <= limit:
        return counted
    floor = counted[limit - 1][1]
    return [x for x in counted if x[1] >= floor]


def _counts(rows: list[tuple[str, int]], unit: str) -> str:
    return "、".join(f"{name}（{n}{unit}）" for name, n in rows)


def _ranking_blocks(ranking: QuarterRanking | None) -> list[Block]:
    if ranking is None or not (ranking.ranked or ranking.unranked):
        return [Paragraph("本季度尚无绩效考核得分。")]
    blocks: list[Block] = [Paragraph(
        f"按12345热线办理绩效考核办法，本季度得分为各单位参加考核月份（{'、'.join(map(month_words, ranking.months))}）"
        f"得分的平均值，分档排名；应办结回复工单少于{ranking.min_sample}件的单位不排名。"
        f"红榜（得分达到良好）：{'、'.join(ranking.top) or '无单位达到良好等次'}；"
        f"黑榜（得分低于合格）：{'、'.join(ranking.bottom) or '无单位低于合格'}。")]
    if ranking.ranked:
        blocks.append(Table(("档次", "档内\n名次", "承办单位", "得分", "较上\n季度"),
                            tuple((tier, str(r), name, points, change) for tier, r, name, points, change in ranking.ranked),
                            caption="表3 承办单位绩效考核得分排名及变化（—：上季度无得分）"))
    if ranking.unranked:
        blocks.append(Paragraph("未参加排名：" + "、".join(f"{name}（{reason}，应办结回复工单{n}件）"
                                                     for name, reason, n in ranking.unranked) + "。", "note"))
    return blocks


def _overview(f: QuarterFigures) -> list[Block]:
    blocks: list[Block] = [Paragraph("一、总体情况", "heading"), Paragraph(
        f"{chinese_date(f.first_day)}至{chinese_date(f.last_day)}，12345热线共受理工单{f.received}件，"
        f"派发承办单位{f.dispatched}件。按时签收{f.signed_on_time}件，按时签收率{rate(f.signed_on_time, f.received)}；"
        f"应办结回复{f.due}件，按时办结回复{f.replied_on_time}件，按时办结回复率{rate(f.replied_on_time, f.due)}。")]
    if f.rated:
        blocks.append(Paragraph(f"回访{f.rated}件，满意和基本满意{f.satisfied}件，满意率{rate(f.satisfied, f.rated)}。"))
    else:
        blocks.append(Paragraph("本季度无回访满意度记录，满意率暂缺。"))
    done = [f"{words}{n}{unit}" for words, n, unit in (
        ("发出催办通知书", f.total("urge_notices"), "份"), ("督办函", f.total("letters"), "份"),
        ("亮黄牌", f.total("yellow_cards"), "次"), ("红牌", f.total("red_cards"), "次")) if n]
    blocks.append(Paragraph(f"本季度共{'、'.join(done)}。" if done else "本季度未发出催办通知书、督办函，未亮牌。"))
    blocks.append(Paragraph("统计口径：按时签收指派发后第1个工作日内签收；应办结回复指本季度派发且办理时限届满于本季度或已于本季度"
                            "回复的工单；按时办结回复指在办理时限内回复；满意率以每件工单本季度最后一次回访评价计。", "note"))
    return blocks


def _units(f: QuarterFigures, short: ShortName) -> list[Block]:
    names = tuple(short(u.code, u.name) for u in f.units)
    return [Paragraph("二、各承办单位情况", "heading"), Table(
        ("承办单位", "受理\n（件）", "按时\n签收率", "按时办结\n回复率", "催办\n通知书", "黄牌", "红牌", "督办函"),
        tuple((u.name, str(u.received), rate(u.signed_on_time, u.received), rate(u.replied_on_time, u.due),
               str(u.urge_notices), str(u.yellow_cards), str(u.red_cards), str(u.letters)) for u in f.units),
        caption="表1 各承办单位办理及督办情况"),
        Chart("图1 各承办单位受理量和按时办结回复量（件）", names,
              (("受理量", tuple(float(u.received) for u in f.units)),
               ("按时办结回复量", tuple(float(u.replied_on_time) for u in f.units))), "件"),
        Chart("图2 本季度各周受理工单量（件，横轴为每周起始日）", tuple(day_words(w) for w, _ in f.weekly),
              (("受理量", tuple(float(n) for _, n in f.weekly)),), "件")]


def _cases(f: QuarterFigures, short: ShortName, calendar: WorkingCalendar) -> list[Block]:
    _, end = quarter_bounds(f.label)
    until = end - timedelta(seconds=1)  # as of the quarter's last moment
    blocks: list[Block] = [Paragraph("三、典型案例", "heading")]
    blocks += case_blocks(list(dict.fromkeys(c.order_number for c in f.cases)), list(f.escalated),
                          {x.number: x for x in f.case_facts}, until=until, calendar=calendar)
    if f.cases:
        blocks.append(Table(("工单编号", "承办单位", "批示\n领导", "批示日期", "季末状态", "历时\n（天）", "督办函", "专报"),
                            tuple((c.order_number, short(c.unit_code, c.unit_name), c.leader,
                                   chinese_date(c.instructed_on), c.status, str(c.days),
                                   "已发" if c.letter_sent else "—", "已报" if c.report_sent else "—")
                                  for c in f.cases), caption="表2 本季度在办的领导批示工单"))
    return blocks


def _advice(f: QuarterFigures) -> list[Block]:
    red, letters = most_carded(f.units, "red_cards"), most_carded(f.units, "letters")
    if not (red or letters):
        return [Paragraph("五、下步工作建议", "heading"),
                Paragraph("本季度无单位被亮红牌。建议各承办单位继续落实首问负责，提高按时签收和按时办结回复水平。")]
    named = "；".join(filter(None, [f"被亮红牌最多的单位为{_counts(red, '次')}" if red else "",
                                   f"收到督办函最多的单位为{_counts(letters, '份')}" if letters else ""]))
    return [Paragraph("五、下步工作建议", "heading"), Paragraph(
        f"本季度{named}。建议对上述单位进行通报，对红牌累计较多或督办函逾期未反馈的单位约谈主要负责人，督促限期整改。")]


def quarterly_report(figures: QuarterFigures, *, at: datetime, number: str, letterhead: Letterhead,
                     calendar: WorkingCalendar, ranking: QuarterRanking | None = None,
                     short: ShortName = lambda code, name: derived_short_name(name),
                     hotspots: tuple[Block, ...] = ()) -> DocumentContent:
    """`hotspots`: the 热点预警 section (engine/hotspots/report.py), last."""
    f = figures
    blocks = [*_overview(f), *_units(f, short), *_cases(f, short, calendar),
              Paragraph("四、承办单位绩效考核排名", "heading"), *_ranking_blocks(ranking), *_advice(f), *hotspots]
    period = quarter_words(f.label)
    return DocumentContent("quarterly_report", number, f"{period}12345热线典型案例督办专报",
                           f"{letterhead.report_addressee}：", tuple(blocks), letterhead.issuer, letterhead.mark,
                           local_day(at), (), title_parts=(period, "12345热线", "典型案例", "督办专报"),
                           signer=letterhead.signer, annotation=f"（{letterhead.contact.strip('（）')}）"
                           if letterhead.contact else "", printer=letterhead.printer)
