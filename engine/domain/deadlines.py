"""Deadline arithmetic. Pure functions of (rules, calendar, instants); every result explains itself.

Instants go in and come out tz-aware; calendar reasoning happens on Asia/Shanghai dates.
"""
from __future__ import annotations

import calendar as _months
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from engine.clock import LOCAL_TZ
from engine.domain.calendar import WorkingCalendar
from engine.domain.rules import ROUTINE, RuleTable

END_OF_DAY = time(23, 59, 59)
LADDER_STEPS = ("due_soon", "overdue", "yellow", "red", "letter")


@dataclass(frozen=True)
class Deadline:
    at: datetime
    provisional: bool
    explanation: str

    def as_dict(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "provisional": self.provisional, "explanation": self.explanation}


def local_instant(day: date, at: time) -> datetime:
    return datetime.combine(day, at, LOCAL_TZ).astimezone(timezone.utc)


def local_date(at: datetime) -> date:
    return at.astimezone(LOCAL_TZ).date()


def _fmt(at: datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def handling_deadline(rules: RuleTable, cal: WorkingCalendar, *, category: str, urgency: str,
                      source: str, start_at: datetime) -> Deadline:
    """When a unit must have replied to an order dispatched (or reopened) at `start_at`."""
    if urgency != ROUTINE:
        hours = rules.urgent_hours[urgency]
        at = start_at + timedelta(hours=hours)
        return Deadline(at, False, f"{urgency}件：自 {_fmt(start_at)} 起 {hours} 小时，至 {_fmt(at)}（自然时间）")
    n = rules.working_days_for(category, source)
    count = cal.nth_working_day_after(local_date(start_at), n)
    at = local_instant(count.result, END_OF_DAY)
    rule = f"{category}件（来源 {source}）办理时限 {n} 个工作日，自 {_fmt(start_at)} 次日起算"
    return Deadline(at, count.provisional, f"{rule}；{count.explain()}；截止 {_fmt(at)}")


def extended_deadline(cal: WorkingCalendar, old_deadline_at: datetime, working_days: int) -> Deadline:
    count = cal.nth_working_day_after(local_date(old_deadline_at), working_days)
    at = local_instant(count.result, END_OF_DAY)
    return Deadline(at, count.provisional,
                    f"延期 {working_days} 个工作日，自原时限 {_fmt(old_deadline_at)} 起算；{count.explain()}；截止 {_fmt(at)}")


def sign_overdue_at(rules: RuleTable, cal: WorkingCalendar, dispatched_at: datetime) -> datetime:
    """When to chase an unsigned routine order: the working day after the sign-for window closes."""
    window_end = cal.nth_working_day_after(local_date(dispatched_at), rules.sign_for_working_days).result
    chase_day = cal.nth_working_day_after(window_end, 1).result
    return local_instant(chase_day, rules.sign_overdue_time)


def ladder_times(rules: RuleTable, cal: WorkingCalendar, *, urgency: str, deadline_at: datetime,
                 armed_at: datetime) -> dict[str, datetime | None]:
    """The moments of each escalation step for a deadline set at `armed_at`."""
    if urgency != ROUTINE:
        return {
            "due_soon": None,
            "overdue": deadline_at,
            "yellow": deadline_at + timedelta(hours=rules.urgent_yellow_card_hours),
            "red": deadline_at + timedelta(hours=rules.urgent_red_card_hours),
            "letter": None,
        }
    deadline_day = local_date(deadline_at)
    due_soon: datetime | None = local_instant(cal.last_working_day_before(deadline_day), rules.due_soon_time)
    if due_soon <= armed_at:
        due_soon = None  # the reminder moment had already passed when the deadline was set

    def after(k: int) -> datetime:
        return local_instant(cal.nth_working_day_after(deadline_day, k).result, rules.ladder_time)

    return {
        "due_soon": due_soon,
        "overdue": after(rules.overdue_working_days),
        "yellow": after(rules.yellow_card_working_days),
        "red": after(rules.red_card_working_days),
        "letter": after(rules.supervision_letter_working_days),
    }


def add_months(at: datetime, months: int) -> datetime:
    """Calendar months, same local time of day; a day the month lacks is clamped (Jan 31 + 1 → Feb 28)."""
    local = at.astimezone(LOCAL_TZ)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, _months.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(timezone.utc)


def instruction_times(rules: RuleTable, instructed_at: datetime) -> tuple[datetime, datetime]:
    return (add_months(instructed_at, rules.instruction_letter_months),
            add_months(instructed_at, rules.instruction_report_months))


def quarter_of(at: datetime) -> tuple[int, int]:
    local = at.astimezone(LOCAL_TZ)
    return local.year, (local.month - 1) // 3 + 1


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def quarter_report_at(rules: RuleTable, cal: WorkingCalendar, year: int, quarter: int) -> datetime:
    """When the report for (year, quarter) is due: 09:00 on the first working day of the next quarter."""
    following_year, following = next_quarter(year, quarter)
    first = date(following_year, 3 * (following - 1) + 1, 1)
    return local_instant(cal.first_working_day_on_or_after(first), rules.quarterly_report_time)


def next_quarter(year: int, quarter: int) -> tuple[int, int]:
    return (year + 1, 1) if quarter == 4 else (year, quarter + 1)


def sms_send_at(rules: RuleTable, at: datetime, *, urgent: bool) -> datetime:
    """Hold a message that falls in quiet hours until the window opens (urgent orders excepted)."""
    if urgent and rules.urgent_sms_ignore_quiet_hours:
        return at
    local = at.astimezone(LOCAL_TZ)
    if local.time() < rules.sms_window_start:
        return local_instant(local.date(), rules.sms_window_start)
    if local.time() >= rules.sms_window_end:
        return local_instant(local.date() + timedelta(days=1), rules.sms_window_start)
    return at


def letter_reply_times(rules: RuleTable, cal: WorkingCalendar, letter_at: datetime) -> tuple[datetime, datetime]:
    """A 督办函 sent at `letter_at`: its written-reply date (end of the Nth working day after it) and the moment an
    order still not replied escalates (提级督办: the next working day at the ladder's time)."""
    reply_day = cal.nth_working_day_after(local_date(letter_at), rules.letter_reply_working_days).result
    reply_by = local_instant(reply_day, time(23, 59, 59))
    return reply_by, local_instant(cal.nth_working_day_after(reply_day, 1).result, rules.ladder_time)
