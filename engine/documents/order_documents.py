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
SOURCE_WORDS = {"12345": "12345热线", "12315": "12315平台转办至12345热线"}
REMINDER_WORDS = (("sms", "短信提醒{}次"), ("phone_urge", "电话催办{}次"), ("urge_notice", "发出催办通知书{}份"),
                  ("yellow_card", "亮黄牌{}次"), ("red_card", "亮红牌{}次"), ("supervision_letter", "发出督办函{}份"))
ENDS_SENTENCE = "。！？"


def sentence(text: str) -> str:
    """`text` ended with one full stop (none added after a quotation that already ends its sentence)."""
    text = text.rstrip("，；、 ")
    if text.endswith("”") and len(text) > 1 and text[-2] in ENDS_SENTENCE:
        return text
    return text if text[-1:] in ENDS_SENTENCE else text + "。"


def quoted(text: str) -> str:
    return f"“{text.strip()}”"


def order_sentence(facts: OrderFacts, at: datetime, you: str = "你单位") -> str:
    source = SOURCE_WORDS.get(facts.source, f"{facts.source}渠道")
    text = (f"{chinese_datetime(facts.dispatched_at)}，{source}将市民诉求（工单编号{facts.number}，{facts.category}类，"
            f"{facts.urgency}件）派发{you}办理")
    deadline = history.deadline_as_of(facts, at)
    if deadline is not None:
        text += f"，办理时限至{chinese_datetime(deadline)}" + ("（暂定）" if facts.deadline_provisional else "")
    return sentence(text)


def request_sentence(facts: OrderFacts) -> str:
    """What the citizen asked and where (the full request and the address when the order carries them)."""
    asked = facts.request or facts.title
    text = f"市民反映：{asked}" if asked else "市民诉求内容见工单"
    if facts.request and facts.title and facts.title not in facts.request:
        text = f"市民反映{quoted(facts.title)}：{facts.request}"
    if facts.address:
        text = sentence(text) + f"诉求地点：{facts.address}"
    return sentence(text)


def state_sentence(facts: OrderFacts, at: datetime, calendar: WorkingCalendar, you: str = "你单位") -> str:
    signed = history.signed_at(facts, at)
    parts = [f"{you}已于{chinese_datetime(signed)}签收" if signed else "该工单至今未签收"]
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
    return sentence("，".join(parts))


def _reminders_sentence(facts: OrderFacts, at: datetime, who: str = "本办") -> str:
    """What was done to urge the unit after the deadline, zero counts left out; '' when nothing was."""
    deadline = history.deadline_as_of(facts, at)
    counts = [(words, history.count_sms_reminders(facts, at, after=deadline) if kind == "sms"
               else history.count_actions_after(facts, kind, at, deadline)) for kind, words in REMINDER_WORDS]
    done = [words.format(n) for words, n in counts if n]
    if not done:
        return ""
    since = "办理时限届满后，" if deadline is not None else ""
    return sentence(f"{since}{who}已{'、'.join(done)}")


def _earlier_letters(facts: OrderFacts, at: datetime, letterhead: Letterhead, calendar: WorkingCalendar) -> list[str]:
    """Each earlier 督办函 on the order, with the reply it asked for and whether it came."""
    said = []
    for ref in facts.documents:
        if ref.kind != "supervision_letter" or ref.issued_at >= at:
            continue
        due = calendar.nth_working_day_after(local_day(ref.issued_at), letterhead.reply_working_days).result
        answer = history.last_event(facts, ("progress_reported", "replied"), at)
        if answer is not None and answer > ref.issued_at:
            status = f"你单位已于{chinese_datetime(answer)}反馈"
        elif due >= local_day(at):
            status = "目前仍在反馈期内"
        else:
            status = "你单位逾期未反馈"
        said.append(f"本办已于{chinese_date(local_day(ref.issued_at))}发出督办函（{ref.number}），"
                    f"要求于{chinese_date(due)}前书面反馈，{status}。")
    return said


def _timeline(facts: OrderFacts, at: datetime, issuing: tuple[str, str], caption: str = "工单办理及督办记录") -> Table:
    return Table(TIMELINE_HEADERS, history.timeline_rows(facts, at, issuing), caption=caption)


def annotation(letterhead: Letterhead) -> str:
    """The 附注 (contact person and telephone), in round brackets."""
    text = letterhead.contact.strip()
    return text if not text or text.startswith("（") else f"（{text}）"


def _instruction_for(facts: OrderFacts, instruction_id: object) -> InstructionFact | None:
    for instruction in facts.instructions:
        if instruction.id == instruction_id:
            return instruction
    return None


def _basis(letterhead: Letterhead) -> str:
    return f"根据{letterhead.basis}，" if letterhead.basis else ""


def _working_day(calendar: WorkingCalendar, at: datetime, days: int) -> str:
    count = calendar.nth_working_day_after(local_day(at), days)
    return chinese_date(count.result) + ("（该年度节假日安排未公布，日期暂定）" if count.provisional else "")


def urge_notice(facts: OrderFacts, *, at: datetime, number: str, letterhead: Letterhead,
                calendar: WorkingCalendar) -> DocumentContent:
    due = _working_day(calendar, at, letterhead.urge_working_days)
    blocks = [Paragraph(order_sentence(facts, at)), Paragraph(request_sentence(facts)),
              Paragraph(state_sentence(facts, at, calendar))]
    if reminders := _reminders_sentence(facts, at):
        blocks.append(Paragraph(reminders))
    blocks += [Paragraph(f"{_basis(letterhead)}现予催办。请你单位接此通知后立即组织办理，于{due}前办结并答复市民，"
                         "同时将办理结果回复12345热线。逾期仍未办结回复的，本办将依规亮牌督办，并纳入年度绩效考核。"),
               _timeline(facts, at, ("urge_notice", number))]
    return DocumentContent("urge_notice", number, f"关于督促办理工单{facts.number}的催办通知书",
                           f"{facts.unit_name}：", tuple(blocks), letterhead.issuer, letterhead.mark, local_day(at),
                           letterhead.cc, title_parts=("关于", "督促办理", f"工单{facts.number}的", "催办通知书"),
                           annotation=annotation(letterhead), printer=letterhead.printer)


def _instruction_sentences(instruction: InstructionFact, at: datetime, verb: str = "对该工单作出批示") -> str:
    days = (local_day(at) - local_day(instruction.instructed_at)).days
    return (sentence(f"{chinese_date(local_day(instruction.instructed_at))}，{instruction.leader}{verb}："
                     f"{quoted(instruction.text)}")
            + f"截至{chinese_date(local_day(at))}，批示已{days}天，该工单仍未办结。")


def supervision_letter(facts: OrderFacts, *, at: datetime, number: str, letterhead: Letterhead,
                       calendar: WorkingCalendar, instruction_id: object = None,
                       reply_by: str | None = None) -> DocumentContent:
    """`reply_by`: the written-reply date the rules gave the letter (ISO time); past it, unreplied, the order is
    escalated (提级督办). Without it the date is counted from the letterhead's working days."""
    instruction = _instruction_for(facts, instruction_id)
    blocks: list[Paragraph | Table] = [Paragraph(order_sentence(facts, at)), Paragraph(request_sentence(facts))]
    if instruction is not None:
        blocks.append(Paragraph(_instruction_sentences(instruction, at)))
    blocks.append(Paragraph(state_sentence(facts, at, calendar)))
    if reminders := _reminders_sentence(facts, at):
        blocks.append(Paragraph(reminders))
    blocks += [Paragraph(text) for text in _earlier_letters(facts, at, letterhead, calendar)]
    handle = _working_day(calendar, at, letterhead.urge_working_days)
    due = (chinese_date(local_day(datetime.fromisoformat(reply_by))) if reply_by  # the date the rules escalate after
           else _working_day(calendar, at, letterhead.reply_working_days))
    follow = "，切实落实领导批示要求" if instruction is not None else ""
    blocks.append(Paragraph(
        f"{_basis(letterhead)}现予督办。请你单位主要负责同志亲自督办{follow}，于{handle}前办结并答复市民，"
        f"于{due}前将办理情况书面反馈本办（一事一文，加盖公章）。逾期未反馈的，本办将提请约谈你单位主要负责人，"
        "并纳入年度绩效考核。"))
    blocks.append(_timeline(facts, at, ("supervision_letter", number)))
    if instruction is not None:
        title, parts = (f"关于落实领导批示督办工单{facts.number}的督办函",
                        ("关于", "落实领导批示", f"督办工单{facts.number}的", "督办函"))
    else:
        title, parts = (f"关于督促办理超期工单{facts.number}的督办函",
                        ("关于", "督促办理", f"超期工单{facts.number}的", "督办函"))
    return DocumentContent("supervision_letter", number, title, f"{facts.unit_name}：", tuple(blocks),
                           letterhead.issuer, letterhead.mark, local_day(at), letterhead.cc, title_parts=parts,
                           annotation=annotation(letterhead), printer=letterhead.printer)


def special_report(facts: OrderFacts, *, at: datetime, number: str, letterhead: Letterhead,
                   calendar: WorkingCalendar, instruction_id: object = None) -> DocumentContent:
    instruction = _instruction_for(facts, instruction_id) or (facts.instructions[-1] if facts.instructions else None)
    unit = facts.unit_name
    blocks: list[Paragraph | Table] = [Paragraph("一、基本情况", "heading"),
                                       Paragraph(order_sentence(facts, at, unit)), Paragraph(request_sentence(facts)),
                                       Paragraph(state_sentence(facts, at, calendar, unit))]
    blocks.append(Paragraph("二、领导批示情况", "heading"))
    if instruction is not None:
        blocks.append(Paragraph(_instruction_sentences(instruction, at, "批示")))
    else:
        blocks.append(Paragraph("该工单无领导批示记录。"))
    blocks.append(Paragraph("三、督办情况", "heading"))
    reminders = _reminders_sentence(facts, at)
    blocks.append(Paragraph(reminders or "办理时限届满后，本办尚未对该工单采取催办措施。"))
    blocks.append(_timeline(facts, at, ("special_report", number), "历次催办、亮牌、督办及办理记录"))
    blocks.append(Paragraph("四、承办单位办理情况", "heading"))
    responses = [e for e in facts.events if e.type in history.RESPONSE_EVENTS and e.at <= at]
    if responses:
        blocks.append(Table(TIMELINE_HEADERS, tuple((chinese_datetime(e.at), history._event_text(e.type, e.details))
                                                    for e in responses), caption="承办单位反馈记录"))
    else:
        blocks.append(Paragraph(f"{unit}至今未签收、未报告办理进展。"))
    blocks.append(Paragraph("五、意见建议", "heading"))
    blocks.append(Paragraph(
        f"该工单经批示三个月仍未办结。建议提请市政府分管领导牵头，协调{unit}及相关部门会商解决，"
        f"约谈{unit}主要负责人，明确办结时限，办理结果由本办跟踪回访后另行报告。"))
    return DocumentContent("special_report", number, f"关于领导批示工单{facts.number}办理情况的专报",
                           f"{letterhead.report_addressee}：", tuple(blocks), letterhead.issuer, letterhead.mark,
                           local_day(at), (), title_parts=("关于", "领导批示", f"工单{facts.number}", "办理情况的", "专报"),
                           signer=letterhead.signer, annotation=annotation(letterhead), printer=letterhead.printer)
