"""The 典型案例 of the quarterly 专报: the quarter's instructed and escalated orders told as cases — what the
citizen asked and where, the unit, the leader's instruction, what the hotline did (SMS reminders at the times
they left, cards, notices, letters, 专报, 提级督办, each dated) and how it ended — as of the quarter's end."""
from __future__ import annotations

from datetime import date, datetime

from engine.documents import history
from engine.documents.model import OrderFacts, Paragraph
from engine.documents.numbering import chinese_date, local_day
from engine.documents.order_documents import order_sentence, quoted, request_sentence, sentence, state_sentence
from engine.domain.calendar import WorkingCalendar

NARRATED = 3  # of each kind (instructed, escalated): the cases told in full; the table lists every instructed one
ORDINALS = "一二三四五六七八九十"
GRADES = ("满意", "基本满意", "不满意")


def short_date(day: date, year: int) -> str:
    """3月5日 within the report's year, 2025年12月30日 outside it."""
    return f"{day.month}月{day.day}日" if day.year == year else chinese_date(day)


def _dates(times: list[datetime], year: int) -> str:
    days = list(dict.fromkeys(local_day(t) for t in times))
    shown = [short_date(d, year) for d in days]
    if len(shown) > 3:
        return f"{shown[0]}至{shown[-1]}间"
    return "、".join(shown)


def measures_sentence(facts: OrderFacts, until: datetime) -> str:
    """督办过程: the SMS reminders counted with the days they left, then each card, notice, letter, 专报 and
    escalation with its date (and number)."""
    year = local_day(until).year
    done = history.measures(facts, until)
    sms = [at for at, text in done if text.startswith("短信提醒") and not text.endswith(("未能发出", "待发送"))]
    parts = [f"{_dates(sms, year)}向承办单位发送短信提醒{len(sms)}条"] if sms else []
    by_day: dict[date, list[str]] = {}
    for at, text in done:
        if not text.startswith("短信提醒"):
            by_day.setdefault(local_day(at), []).append(text)
    parts += [f"{short_date(day, year)}{'、'.join(dict.fromkeys(texts))}" for day, texts in by_day.items()]
    if not parts:
        return "督办过程：本季度尚未采取督办措施。"
    return sentence("督办过程：" + "；".join(parts))


def _outcome(facts: OrderFacts, until: datetime, calendar: WorkingCalendar) -> str:
    closed = history.closed_at(facts, until)
    year = local_day(until).year
    if closed is not None:
        text = f"办理结果：该工单已于{short_date(local_day(closed), year)}办结"
        callbacks = [e for e in facts.events if e.type == "callback" and e.at <= until
                     and e.details.get("satisfaction") in GRADES]
        if callbacks:
            text += f"，回访市民评价为“{callbacks[-1].details['satisfaction']}”"
        return sentence(text)
    return "办理结果：" + state_sentence(facts, until, calendar, facts.unit_name)


def case_paragraph(n: int, facts: OrderFacts, until: datetime, calendar: WorkingCalendar, *,
                   escalated: bool) -> Paragraph:
    label = "提级督办件" if escalated else "领导批示件"
    text = f"（{ORDINALS[n] if n < len(ORDINALS) else n + 1}）{label}。"
    text += order_sentence(facts, until, facts.unit_name) + request_sentence(facts)
    year = local_day(until).year
    for instruction in facts.instructions:
        if instruction.instructed_at <= until:
            text += sentence(f"{short_date(local_day(instruction.instructed_at), year)}，{instruction.leader}批示："
                             f"{quoted(instruction.text)}")
    reasons = [str(e.details["reason"]) for e in facts.events
               if e.type == "escalated" and e.at <= until and e.details.get("reason")]
    if escalated and reasons:
        text += sentence(f"提级督办理由：{'；'.join(reasons)}")
    return Paragraph(text + measures_sentence(facts, until) + _outcome(facts, until, calendar))


def case_blocks(instructed: list[str], escalated: list[str], facts: dict[str, OrderFacts], *, until: datetime,
                calendar: WorkingCalendar) -> list[Paragraph]:
    """The section's text: how many cases of each kind, then the first `NARRATED` of each told in full (an
    instructed order that was also escalated is told once, as instructed)."""
    if not (instructed or escalated):
        return [Paragraph("本季度无领导批示和提级督办工单。")]
    told = [(facts[n], False) for n in instructed if n in facts][:NARRATED]
    told += [(facts[n], True) for n in escalated if n in facts and n not in instructed][:NARRATED]
    cases = len(set(instructed) | set(escalated))
    counted = [f"在办的领导批示工单{len(instructed)}件（见表2）" if instructed else "",
               f"因督办函逾期未书面答复提级督办的工单{len(escalated)}件" if escalated else ""]
    intro = f"本季度{'，'.join(filter(None, counted))}" + (f"，共{cases}件。" if instructed and escalated else "。")
    if told:
        intro += f"择其{len(told)}件报告如下：" if len(told) < cases else "逐件报告如下："
    return [Paragraph(intro)] + [case_paragraph(n, f, until, calendar, escalated=kind)
                                 for n, (f, kind) in enumerate(told)]
