"""How late an order is, or what is left, in words a supervisor reads at a glance: "剩1个工作日4小时",
"超期3个工作日"; and the next step of its ladder in words and time ("12月4日 09:00 亮黄牌").

Routine orders count working days of the calendar: the hours left today (if today is a working day) and the
working days after today up to the deadline's date; overdue, the working days after the deadline's date up to
today. Urgent orders (natural-hour deadlines) count hours."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.clock import LOCAL_TZ
from engine.domain.calendar import WorkingCalendar

HOUR = timedelta(hours=1)
URGENT_DUE_SOON = timedelta(hours=4)

NEXT_STEP_WORDS = {
    "sign_overdue": "催签收（短信+电话）", "due_soon": "临期提醒", "overdue": "超期催办", "yellow": "亮黄牌",
    "red": "亮红牌", "letter": "发督办函", "escalated": "提级督办", "instruction_letter": "批示件督办函",
    "instruction_report": "批示件专报",
}


@dataclass(frozen=True)
class Lateness:
    overdue: bool
    working_days: int
    hours: int
    due_soon: bool  # 临期: the last working day before the deadline, or a few hours left on an urgent order

    @property
    def text(self) -> str:
        if self.overdue:
            if self.working_days:
                return f"超期{self.working_days}个工作日"
            return f"超期{max(self.hours, 1)}小时" if self.hours else "刚超期"
        days = f"{self.working_days}个工作日" if self.working_days else ""
        hours = f"{self.hours}小时" if self.hours else ("" if days else "不到1小时")
        return f"剩{days}{hours}"


def lateness(deadline_at: datetime, now: datetime, cal: WorkingCalendar, *, natural_hours: bool = False) -> Lateness:
    """What is left before `deadline_at`, or how late it is at `now`."""
    if natural_hours:
        return _in_hours(deadline_at, now)
    today = now.astimezone(LOCAL_TZ).date()
    due_day = deadline_at.astimezone(LOCAL_TZ).date()
    if now > deadline_at:
        days = cal.working_days_between(due_day, today)
        return Lateness(True, days, 0 if days else int((now - deadline_at) / HOUR), False)
    if due_day == today:
        return Lateness(False, 0, int((deadline_at - now) / HOUR), True)
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), LOCAL_TZ)
    hours = int((midnight - now) / HOUR) if cal.is_working_day(today) else 0
    days = cal.working_days_between(today, due_day)
    return Lateness(False, days, hours, days <= 1)


def _in_hours(deadline_at: datetime, now: datetime) -> Lateness:
    if now > deadline_at:
        return Lateness(True, 0, int((now - deadline_at) / HOUR), False)
    left = deadline_at - now
    return Lateness(False, 0, int(left / HOUR), left <= URGENT_DUE_SOON)


def next_step_text(step: str, due_at: datetime) -> str:
    local = due_at.astimezone(LOCAL_TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M} {NEXT_STEP_WORDS.get(step, step)}"
