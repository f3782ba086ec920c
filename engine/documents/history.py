"""What happened to an order, in words, as of a moment: the timeline tables and the state sentences."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from engine.documents.model import ActionFact, OrderFacts
from engine.documents.numbering import chinese_datetime, local_day
from engine.domain.calendar import WorkingCalendar

EVENT_LABELS = {
    "dispatched": "派发至承办单位", "signed": "承办单位签收", "progress_reported": "承办单位报告办理进展",
    "replied": "承办单位办结回复", "closed": "热线办结", "reopened": "退回重办", "extension_approved": "批准延期",
    "instruction": "领导批示", "callback": "回访", "escalated": "提级督办", "letter_answered": "承办单位书面答复督办函",
}
ACTION_LABELS = {
    "phone_urge": "电话催办", "urge_notice": "发出催办通知书", "yellow_card": "亮黄牌", "red_card": "亮红牌",
    "supervision_letter": "发出督办函", "special_report": "报送专报", "escalated": "提级督办",
}
SMS_LABELS = {
    "dispatched": "派单", "sign_overdue": "签收超时", "due_soon": "临期", "overdue": "超期", "yellow_card": "黄牌",
    "red_card": "红牌", "supervision_letter": "督办函", "instruction": "领导批示", "reopened": "重办",
    "escalated": "提级督办", "digest": "督办提醒汇总",
}
REMINDER_KINDS = ("phone_urge", "urge_notice", "yellow_card", "red_card", "supervision_letter", "special_report")
RESPONSE_EVENTS = ("signed", "progress_reported", "replied", "extension_approved")


def _event_text(kind: str, details: dict[str, object]) -> str:
    text = EVENT_LABELS.get(kind, kind)
    if kind == "extension_approved" and details.get("working_days"):
        text += f"{details['working_days']}个工作日"
    if kind == "instruction":
        text += f"（{details.get('leader', '')}：{details.get('text', '')}）"
    if details.get("note"):
        text += f"（{details['note']}）"
    return text


def sms_left_at(action: ActionFact, until: datetime) -> datetime | None:
    """When the SMS of this action left for the gateway, as known at `until` (the outbox row's sent time, or its
    digest's when it went merged into one); None when it had not left by then."""
    sent = action.details.get("sent_at")
    return sent if isinstance(sent, datetime) and sent <= until else None


def _sms_line(action: ActionFact, until: datetime) -> tuple[datetime, str] | None:
    """An SMS as the record shows it: at the time it actually left, or marked as not (yet) sent; a message held
    back as a repeat of one sent within 24 hours, or the document's own SMS not yet gone, is no line."""
    template = str(action.details.get("template", ""))
    label = f"短信提醒（{SMS_LABELS.get(template, template)}）"
    status = action.details.get("sms_status")
    left = sms_left_at(action, until)
    if left is not None:
        return left, label + ("，与其他提醒合并发送" if status == "merged" else "")
    if status is None:  # no outbox row known (older records): the time the rules sent it
        return action.at, label
    if status == "suppressed" or action.at >= until:
        return None
    if status in ("failed", "undelivered"):
        return action.at, label + "，未能发出"
    return action.at, label + "，待发送"


def _action_lines(facts: OrderFacts, until: datetime, issuing: tuple[str, str] | None = None
                  ) -> list[tuple[datetime, str]]:
    """Every reminder, card, document and escalation up to `until`; an SMS sent to several numbers of the unit at
    one moment is one line, at the time it left."""
    numbers = {(d.kind, d.issued_at): d.number for d in facts.documents}
    if issuing is not None:  # the document being worded: its own line carries its number too
        numbers[(issuing[0], until)] = issuing[1]
    lines: list[tuple[datetime, str]] = []
    seen_sms: set[tuple[datetime, str]] = set()  # the minute and the words: one line for the unit's numbers
    for action in facts.actions:
        if action.at > until:
            continue
        if action.kind == "sms":
            line = _sms_line(action, until)
            if line is not None and (key := (line[0].replace(second=0, microsecond=0), line[1])) not in seen_sms:
                seen_sms.add(key)
                lines.append(line)
        elif action.kind in ACTION_LABELS:
            text = ACTION_LABELS[action.kind]
            number = numbers.get((action.kind, action.at))
            lines.append((action.at, f"{text}（{number}）" if number else text))
    return lines


def timeline(facts: OrderFacts, until: datetime, issuing: tuple[str, str] | None = None
             ) -> list[tuple[datetime, str]]:
    """Every event, reminder, card and document up to `until` (inclusive), oldest first; `issuing`: the kind and
    number of the document this is for."""
    lines = [(e.at, _event_text(e.type, e.details)) for e in facts.events if e.at <= until]
    lines += _action_lines(facts, until, issuing)
    lines.sort(key=lambda line: line[0])
    return lines


def measures(facts: OrderFacts, until: datetime) -> list[tuple[datetime, str]]:
    """What the hotline did to the order up to `until` (no events), oldest first."""
    return sorted(_action_lines(facts, until), key=lambda line: line[0])


def timeline_rows(facts: OrderFacts, until: datetime, issuing: tuple[str, str] | None = None
                  ) -> tuple[tuple[str, str], ...]:
    return tuple((chinese_datetime(at), text) for at, text in timeline(facts, until, issuing))


def count_actions(facts: OrderFacts, kind: str, until: datetime) -> int:
    return sum(1 for a in facts.actions if a.kind == kind and a.at <= until)


NOT_REMINDERS = ("dispatched", "instruction", "reopened", "document_issued")  # notices, not urging
NOT_SENT = ("failed", "undelivered", "suppressed")  # an SMS that did not go (a repeat is held back)


def count_sms_reminders(facts: OrderFacts, until: datetime, *, after: datetime | None = None) -> int:
    """SMS reminders sent to the unit (one per moment and template), after `after` (the deadline) and before
    `until` (the document's own SMS, sent at its moment, is not counted); notices such as the dispatch SMS
    are not reminders."""
    return len({(a.at, a.details.get("template")) for a in facts.actions
                if a.kind == "sms" and a.at < until and (after is None or a.at > after)
                and a.details.get("template") not in NOT_REMINDERS
                and a.details.get("sms_status") not in NOT_SENT})


def count_actions_after(facts: OrderFacts, kind: str, until: datetime, after: datetime | None) -> int:
    return sum(1 for a in facts.actions if a.kind == kind and a.at < until and (after is None or a.at > after))


def last_event(facts: OrderFacts, kinds: tuple[str, ...], until: datetime) -> datetime | None:
    times = [e.at for e in facts.events if e.type in kinds and e.at <= until]
    return max(times) if times else None


def signed_at(facts: OrderFacts, until: datetime) -> datetime | None:
    return last_event(facts, ("signed",), until)


def replied_at(facts: OrderFacts, until: datetime) -> datetime | None:
    """The reply of the current handling round as of `until` (a reopen after it cancels it)."""
    reply = last_event(facts, ("replied",), until)
    reopen = last_event(facts, ("reopened",), until)
    return reply if reply is not None and (reopen is None or reply > reopen) else None


def closed_at(facts: OrderFacts, until: datetime) -> datetime | None:
    closed = last_event(facts, ("closed",), until)
    reopen = last_event(facts, ("reopened",), until)
    return closed if closed is not None and (reopen is None or closed > reopen) else None


def deadline_as_of(facts: OrderFacts, until: datetime) -> datetime | None:
    """The handling deadline in force at `until`. The order row holds today's; if an extension or reopen came
    later, the deadline the engine's own SMS stated at or before `until` is used; None if unknown."""
    changed_later = any(e.type in ("extension_approved", "reopened") and e.at > until for e in facts.events)
    if not changed_later:
        return facts.deadline_at
    stated = [a for a in facts.actions if a.kind == "sms" and a.at <= until
              and isinstance(a.details.get("params"), dict) and a.details["params"].get("deadline")]
    if not stated:
        return None
    return datetime.fromisoformat(max(stated, key=lambda a: a.at).details["params"]["deadline"])


def working_days_overdue(calendar: WorkingCalendar, deadline_at: datetime, on: date) -> int:
    """Working days after the deadline's date up to and including `on`."""
    day, count = local_day(deadline_at), 0
    while day < on:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    return count
