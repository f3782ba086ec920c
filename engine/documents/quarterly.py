"""The quarterly typical-case 专报: figures computed from plain rows, then worded.

Definitions (口径), all over the quarter [first day 00:00, first day of next quarter 00:00) Asia/Shanghai:
- received: orders dispatched in the quarter (work_orders.dispatched_at); dispatched: `dispatched` events in it;
- on-time sign-for: received orders signed by the end of the Nth working day after the dispatch date (N from
  the rule table's sign_for), over received orders;
- on-time reply: orders dispatched in the quarter whose reply fell due in it or that replied in it; on time when
  replied before the quarter's end and not after the deadline;
- satisfaction: `callback` events in the quarter rated 满意 or 基本满意, over all rated callbacks;
- cards and documents: actions recorded in the quarter, by the order's unit;
- instructed cases: instructions given before the quarter's end whose order was not closed before its start;
  the clock runs from the day of the instruction to the day of closure or the quarter's last day.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from engine.clock import LOCAL_TZ
from engine.assessment.definitions import (
    SATISFIED,
    is_replied_on_time,
    is_signed_on_time,
    latest_callbacks,
    sign_for_due_on,
)
from engine.documents.model import Chart, DocumentContent, Letterhead, Paragraph, Table
from engine.documents.numbering import chinese_date, local_day
from engine.domain.calendar import WorkingCalendar

CARD_KINDS = ("urge_notice", "yellow_card", "red_card", "supervision_letter")


@dataclass(frozen=True)
class QuarterData:
    """The rows the figures are computed from (read by the store, or written by hand in a test)."""

    label: str  # 2026Q2
    units: dict[str, str]  # code -> name
    orders: list[dict[str, Any]]  # number, unit_code, dispatched_at, signed_at, replied_at, deadline_at
    dispatched_events: list[datetime]
    callbacks: list[dict[str, Any]]  # order_number, at, satisfaction
    actions: list[dict[str, Any]]  # kind, unit_code, order_number, at, details
    instructions: list[dict[str, Any]]  # id, order_number, unit_code, leader, instructed_at, signed_at, replied_at, closed_at


@dataclass(frozen=True)
class UnitFigures:
    code: str
    name: str
    received: int = 0
    signed_on_time: int = 0
    due: int = 0
    replied_on_time: int = 0
    urge_notices: int = 0
    yellow_cards: int = 0
    red_cards: int = 0
    letters: int = 0


@dataclass(frozen=True)
class InstructedCase:
    order_number: str
    unit_name: str
    leader: str
    instructed_on: date
    status: str
    days: int
    letter_sent: bool
    report_sent: bool


@dataclass(frozen=True)
class QuarterFigures:
    label: str
    first_day: date
    last_day: date
    received: int
    dispatched: int
    signed_on_time: int
    due: int
    replied_on_time: int
    rated: int
    satisfied: int
    units: tuple[UnitFigures, ...]
    weekly: tuple[tuple[str, int], ...]  # (week's first day MM-DD, orders received)
    cases: tuple[InstructedCase, ...]

    def total(self, field: str) -> int:
        return sum(getattr(u, field) for u in self.units)


def quarter_bounds(label: str) -> tuple[datetime, datetime]:
    year, quarter = int(label[:4]), int(label[-1])
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return datetime.combine(first, time(), LOCAL_TZ), datetime.combine(following, time(), LOCAL_TZ)


def rate(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.1f}%" if denominator else "—"


def _sign_on_time(order: dict[str, Any], calendar: WorkingCalendar, sign_days: int, cache: dict[date, date]) -> bool:
    if order["signed_at"] is None:
        return False
    return is_signed_on_time(order["signed_at"], sign_for_due_on(order["dispatched_at"], calendar, sign_days, cache))


def compute_figures(data: QuarterData, calendar: WorkingCalendar, *, sign_working_days: int = 1) -> QuarterFigures:
    start, end = quarter_bounds(data.label)
    per_unit: dict[str, Counter[str]] = {}

    def bump(unit: str, field: str) -> None:
        per_unit.setdefault(unit, Counter())[field] += 1

    cache: dict[date, date] = {}
    weeks = Counter[int]()
    received = signed = due = on_time = 0
    for order in data.orders:
        if not start <= order["dispatched_at"] < end:
            continue
        unit = order["unit_code"]
        received += 1
        bump(unit, "received")
        weeks[(local_day(order["dispatched_at"]) - start.date()).days // 7] += 1
        if _sign_on_time(order, calendar, sign_working_days, cache):
            signed += 1
            bump(unit, "signed_on_time")
        reply, deadline = order["replied_at"], order["deadline_at"]
        replied_in_quarter = reply is not None and reply < end
        if replied_in_quarter or (deadline is not None and deadline < end):
            due += 1
            bump(unit, "due")
            if replied_in_quarter and is_replied_on_time(reply, deadline):
                on_time += 1
                bump(unit, "replied_on_time")
    field_of = {"urge_notice": "urge_notices", "yellow_card": "yellow_cards", "red_card": "red_cards",
                "supervision_letter": "letters"}
    for action in data.actions:
        if action["kind"] in field_of and start <= action["at"] < end and action["unit_code"]:
            bump(action["unit_code"], field_of[action["kind"]])
    latest = latest_callbacks(data.callbacks, start, end)
    units = tuple(UnitFigures(code, data.units.get(code, code), **dict(counts))
                  for code, counts in sorted(per_unit.items()))
    last_day = end.date() - timedelta(days=1)
    weekly = tuple(((start.date() + timedelta(days=7 * i)).strftime("%m-%d"), weeks[i])
                   for i in range((last_day - start.date()).days // 7 + 1))
    return QuarterFigures(
        label=data.label, first_day=start.date(), last_day=last_day, received=received,
        dispatched=sum(1 for at in data.dispatched_events if start <= at < end),
        signed_on_time=signed, due=due, replied_on_time=on_time, rated=len(latest),
        satisfied=sum(1 for c in latest.values() if c["satisfaction"] in SATISFIED),
        units=units, weekly=weekly, cases=_cases(data, start, end))


def _cases(data: QuarterData, start: datetime, end: datetime) -> tuple[InstructedCase, ...]:
    last_day = end.date() - timedelta(days=1)
    cases = []
    for row in sorted(data.instructions, key=lambda r: (r["instructed_at"], r["id"])):
        closed = row["closed_at"]
        if row["instructed_at"] >= end or (closed is not None and closed < start):
            continue
        if closed is not None and closed < end:
            status, until = "已办结", local_day(closed)
        elif row["replied_at"] is not None and row["replied_at"] < end:
            status, until = "已回复待办结", last_day
        elif row["signed_at"] is not None and row["signed_at"] < end:
            status, until = "办理中", last_day
        else:
            status, until = "未签收", last_day
        sent = {a["kind"] for a in data.actions if a["order_number"] == row["order_number"] and a["at"] < end
                and a["details"].get("instruction_id") == row["id"]}
        cases.append(InstructedCase(row["order_number"], data.units.get(row["unit_code"], row["unit_code"]),
                                    row["leader"], local_day(row["instructed_at"]), status,
                                    (until - local_day(row["instructed_at"])).days,
                                    "supervision_letter" in sent, "special_report" in sent))
    return tuple(cases)


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


def _ranking_blocks(ranking: QuarterRanking | None) -> list[Paragraph | Table | Chart]:
    if ranking is None or not (ranking.ranked or ranking.unranked):
        return [Paragraph("本季度尚无绩效考核得分。")]
    blocks: list[Paragraph | Table | Chart] = [Paragraph(
        f"按12345热线办理绩效考核办法，本季度得分为各单位参加考核月份（{'、'.join(ranking.months)}）得分的平均值，"
        f"分档排名；应办结回复工单少于{ranking.min_sample}件的单位不排名。"
        f"红榜（得分达到良好）：{'、'.join(ranking.top) or '无单位达到良好等次'}；"
        f"黑榜（得分低于合格）：{'、'.join(ranking.bottom) or '无单位低于合格'}。")]
    if ranking.ranked:
        blocks.append(Table(("档次", "档内名次", "承办单位", "得分", f"较{ranking.previous}"),
                            tuple((tier, str(r), name, points, change) for tier, r, name, points, change in ranking.ranked),
                            caption="表3 承办单位绩效考核得分排名及变化（—：上季度无得分）"))
    if ranking.unranked:
        blocks.append(Paragraph("未参加排名：" + "、".join(f"{name}（{reason}，应办结回复工单{n}件）"
                                                     for name, reason, n in ranking.unranked) + "。", "note"))
    return blocks


def quarterly_report(figures: QuarterFigures, *, at: datetime, number: str, letterhead: Letterhead,
                     ranking: QuarterRanking | None = None) -> DocumentContent:
    f = figures
    year, quarter = f.label[:4], f.label[-1]
    blocks: list[Paragraph | Table | Chart] = [Paragraph("一、总体情况", "heading"), Paragraph(
        f"{chinese_date(f.first_day)}至{chinese_date(f.last_day)}，12345热线共受理工单{f.received}件，"
        f"派发承办单位{f.dispatched}件。按时签收{f.signed_on_time}件，按时签收率{rate(f.signed_on_time, f.received)}；"
        f"应办结回复{f.due}件，按时办结回复{f.replied_on_time}件，按时办结回复率{rate(f.replied_on_time, f.due)}。")]
    if f.rated:
        blocks.append(Paragraph(f"回访{f.rated}件，满意和基本满意{f.satisfied}件，满意率{rate(f.satisfied, f.rated)}。"))
    else:
        blocks.append(Paragraph("本季度无回访满意度记录，满意率暂缺。"))
    blocks.append(Paragraph(
        f"本季度共发出催办通知书{f.total('urge_notices')}份、督办函{f.total('letters')}份，"
        f"亮黄牌{f.total('yellow_cards')}次、红牌{f.total('red_cards')}次。"))
    blocks.append(Paragraph("统计口径：按时签收指派发后第1个工作日内签收；应办结回复指本季度派发且办理时限届满于本季度或已于本季度"
                            "回复的工单；按时办结回复指在办理时限内回复；满意率以每件工单本季度最后一次回访评价计。", "note"))
    blocks.append(Paragraph("二、各承办单位情况", "heading"))
    blocks.append(Table(
        ("代码", "承办单位", "受理", "按时签收率", "按时办结回复率", "催办通知书", "黄牌", "红牌", "督办函"),
        tuple((u.code, u.name, str(u.received), rate(u.signed_on_time, u.received), rate(u.replied_on_time, u.due),
               str(u.urge_notices), str(u.yellow_cards), str(u.red_cards), str(u.letters)) for u in f.units),
        caption="表1 各承办单位办理及督办情况"))
    blocks.append(Chart("图1 各承办单位受理量（深色）与按时办结回复量（浅色），横轴为单位代码",
                        tuple(u.code for u in f.units),
                        (("received", tuple(float(u.received) for u in f.units)),
                         ("on time", tuple(float(u.replied_on_time) for u in f.units)))))
    blocks.append(Chart("图2 本季度各周受理工单量，横轴为每周起始日期", tuple(w for w, _ in f.weekly),
                        (("received", tuple(float(n) for _, n in f.weekly)),)))
    blocks.append(Paragraph("三、领导批示典型案例办理情况", "heading"))
    if f.cases:
        blocks.append(Table(("工单编号", "承办单位", "批示领导", "批示日期", "季末状态", "历时（天）", "督办函", "专报"),
                            tuple((c.order_number, c.unit_name, c.leader, chinese_date(c.instructed_on), c.status,
                                   str(c.days), "已发" if c.letter_sent else "—", "已报" if c.report_sent else "—")
                                  for c in f.cases), caption="表2 领导批示工单"))
    else:
        blocks.append(Paragraph("本季度无领导批示工单。"))
    blocks.append(Paragraph("四、承办单位绩效考核排名", "heading"))
    blocks.extend(_ranking_blocks(ranking))
    blocks.append(Paragraph("五、下步工作建议", "heading"))
    red, letters = most_carded(f.units, "red_cards"), most_carded(f.units, "letters")
    if red or letters:
        named = "；".join(filter(None, [f"被亮红牌最多的单位为{_counts(red, '次')}" if red else "",
                                       f"收到督办函最多的单位为{_counts(letters, '份')}" if letters else ""]))
        blocks.append(Paragraph(f"本季度{named}。建议对上述单位进行通报，"
                                "对红牌累计较多或督办函逾期未反馈的单位约谈主要负责人，督促限期整改。"))
    else:
        blocks.append(Paragraph("本季度无单位被亮红牌。建议各承办单位继续落实首问负责，提高按时签收和按时办结回复水平。"))
    return DocumentContent("quarterly_report", number, f"{year}年第{quarter}季度12345热线典型案例督办专报",
                           f"{letterhead.report_addressee}：", tuple(blocks), letterhead.issuer, letterhead.mark,
                           local_day(at), (), title_parts=(f"{year}年第{quarter}季度", "12345热线", "典型案例", "督办专报"),
                           signer=letterhead.signer, annotation=f"（{letterhead.contact.strip('（）')}）"
                           if letterhead.contact else "", printer=letterhead.printer)
