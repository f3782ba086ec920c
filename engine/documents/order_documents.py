"""The wording of the documents about one work order: 催办通知书, 督办函 and the instruction 专报.

Each function takes the order's facts, the moment of issue and the number already allotted, and
returns the content; it states only what the facts say as of that moment.
"""
from __future__ import annotations

from datetime import datetime

from engine.documents import history
from engine.documents.model import DocumentContent, InstructionFact, Letterhead, OrderFacts, Paragraph, Table
from engine.documents.numbering import chinese_date, chinese_datetime, local_day
from engine.domain.calendar import WorkingCalendar

TIMELINE_HEADERS = ("时间", "事项")


def _order_sentence(facts: OrderFacts, at: datetime) -> str:
    about = f"；诉求：{facts.title}" if facts.title else ""
    text = (f"{chinese_datetime(facts.dispatched_at)}，12345热线向你单位派发工单{facts.number}"
            f"（{facts.category}类，{facts.urgency}件，来源{facts.source}{about}）")
    deadline = history.deadline_as_of(facts, at)
    if deadline is not None:
        text += f"，办理时限至{chinese_datetime(deadline)}" + ("（暂定）" if facts.deadline_provisional else "")
    return text + "。"


def _state_sentence(facts: OrderFacts, at: datetime, calendar: WorkingCalendar) -> str:
    signed = history.signed_at(facts, at)
    parts = [f"你单位已于{chinese_datetime(signed)}签收" if signed else "该工单至今未签收"]
    replied = history.replied_at(facts, at)
    if replied is not None:
        parts.append(f"已于{chinese_datetime(replied)}办结回复")
    else:
        deadline = history.deadline_as_of(facts, at)
        text = f"截至{chinese_date(local_day(at))}尚未办结回复"
        if deadline is not None and deadline < at:
            overdue = history.working_days_overdue(calendar, deadline, local_day(at))
            text += f"，已超过办理时限{overdue}个工作日" if overdue else "，已超过办理时限"
        parts.append(text)
    return "，".join(parts) + "。"


def _timeline(facts: OrderFacts, at: datetime, caption: str = "工单办理及督办记录") -> Table:
    return Table(TIMELINE_HEADERS, history.timeline_rows(facts, at), caption=caption)


def _contact(letterhead: Letterhead) -> tuple[Paragraph, ...]:
    return (Paragraph(letterhead.contact, "note"),) if letterhead.contact else ()


def _instruction_for(facts: OrderFacts, instruction_id: object) -> InstructionFact | None:
    for instruction in facts.instructions:
        if instruction.id == instruction_id:
            return instruction
    return None


def urge_notice(facts: OrderFacts, *, at: datetime, number: str, letterhead: Letterhead,
                calendar: WorkingCalendar) -> DocumentContent:
    blocks = (
        Paragraph(_order_sentence(facts, at)),
        Paragraph(_state_sentence(facts, at, calendar)),
        Paragraph("请你单位接此通知后立即组织办理，尽快办结并答复市民、回复12345热线。逾期仍未办结回复的，"
                  "将依规亮牌督办，并纳入绩效考核。"),
        _timeline(facts, at),
        *_contact(letterhead),
    )
    return DocumentContent("urge_notice", number, f"关于督促办理工单{facts.number}的催办通知书",
                           f"{facts.unit_name}：", blocks, letterhead.issuer, letterhead.mark, local_day(at),
                           letterhead.cc)


def reply_date(calendar: WorkingCalendar, at: datetime, working_days: int) -> tuple[str, bool]:
    """The 反馈 date: the Nth working day after the day of issue; provisional when that year is not known."""
    count = calendar.nth_working_day_after(local_day(at), working_days)
    return chinese_date(count.result), count.provisional


def supervision_letter(facts: OrderFacts, *, at: datetime, number: str, letterhead: Letterhead,
                       calendar: WorkingCalendar, instruction_id: object = None) -> DocumentContent:
    instruction = _instruction_for(facts, instruction_id)
    blocks: list[Paragraph | Table] = [Paragraph(_order_sentence(facts, at))]
    if instruction is not None:
        days = (local_day(at) - local_day(instruction.instructed_at)).days
        blocks.append(Paragraph(
            f"{chinese_date(local_day(instruction.instructed_at))}，{instruction.leader}对该工单作出批示：“{instruction.text}”。"
            f"截至{chinese_date(local_day(at))}，批示已{days}天，该工单仍未办结。"))
    blocks.append(Paragraph(_state_sentence(facts, at, calendar)))
    blocks.append(Paragraph(
        f"其间本办已发出催办通知书{history.count_actions(facts, 'urge_notice', at)}次、电话催办"
        f"{history.count_actions(facts, 'phone_urge', at)}次、短信提醒{history.count_sms_reminders(facts, at)}次，"
        f"亮黄牌{history.count_actions(facts, 'yellow_card', at)}次、红牌{history.count_actions(facts, 'red_card', at)}次。"))
    due, provisional = reply_date(calendar, at, letterhead.reply_working_days)
    blocks.append(Paragraph(
        f"请你单位主要负责同志亲自督办，于{due}前将办理情况书面反馈本办" + ("（该年度节假日安排未公布，日期暂定）" if provisional else "")
        + "（一事一文，加盖公章）。逾期未反馈的，本办将提请约谈你单位主要负责人，并纳入年度绩效考核。"))
    blocks.append(_timeline(facts, at))
    blocks.extend(_contact(letterhead))
    return DocumentContent("supervision_letter", number, f"关于工单{facts.number}的督办函", f"{facts.unit_name}：",
                           tuple(blocks), letterhead.issuer, letterhead.mark, local_day(at), letterhead.cc)


def special_report(facts: OrderFacts, *, at: datetime, number: str, letterhead: Letterhead,
                   calendar: WorkingCalendar, instruction_id: object = None) -> DocumentContent:
    instruction = _instruction_for(facts, instruction_id) or (facts.instructions[-1] if facts.instructions else None)
    today = chinese_date(local_day(at))
    blocks: list[Paragraph | Table] = [Paragraph("一、基本情况", "heading"),
                                       Paragraph(_order_sentence(facts, at).replace("你单位", facts.unit_name)),
                                       Paragraph(_state_sentence(facts, at, calendar).replace("你单位", facts.unit_name))]
    blocks.append(Paragraph("二、领导批示情况", "heading"))
    if instruction is not None:
        days = (local_day(at) - local_day(instruction.instructed_at)).days
        blocks.append(Paragraph(
            f"{chinese_date(local_day(instruction.instructed_at))}，{instruction.leader}批示：“{instruction.text}”。"
            f"截至{today}，批示已{days}天，工单仍未办结。"))
    else:
        blocks.append(Paragraph("该工单无领导批示记录。"))
    blocks.append(Paragraph("三、督办情况", "heading"))
    blocks.append(Paragraph(
        f"本办先后短信提醒{history.count_sms_reminders(facts, at)}次、电话催办{history.count_actions(facts, 'phone_urge', at)}次，"
        f"发出催办通知书{history.count_actions(facts, 'urge_notice', at)}次、督办函"
        f"{history.count_actions(facts, 'supervision_letter', at)}次，亮黄牌{history.count_actions(facts, 'yellow_card', at)}次、"
        f"红牌{history.count_actions(facts, 'red_card', at)}次。"))
    blocks.append(_timeline(facts, at, "历次催办、亮牌、督办及办理记录"))
    blocks.append(Paragraph("四、承办单位办理情况", "heading"))
    responses = [e for e in facts.events if e.type in history.RESPONSE_EVENTS and e.at <= at]
    if responses:
        blocks.append(Table(TIMELINE_HEADERS, tuple((chinese_datetime(e.at), history._event_text(e.type, e.details))
                                                    for e in responses), caption="承办单位反馈记录"))
    else:
        blocks.append(Paragraph(f"{facts.unit_name}至今未签收、未报告办理进展。"))
    blocks.append(Paragraph("五、意见建议", "heading"))
    blocks.append(Paragraph(
        f"该工单经批示三个月仍未办结。建议提请市政府分管领导牵头，协调{facts.unit_name}及相关部门会商解决，"
        f"约谈{facts.unit_name}主要负责人，明确办结时限，办理结果由本办跟踪回访后另行报告。"))
    blocks.extend(_contact(letterhead))
    return DocumentContent("special_report", number, f"关于领导批示工单{facts.number}办理情况的专报",
                           f"{letterhead.report_addressee}：", tuple(blocks), letterhead.issuer, letterhead.mark,
                           local_day(at), ())
