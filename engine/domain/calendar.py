"""Working days (工作日) with holidays and adjusted working days (调休).

A `WorkingCalendar` is a plain value: the years it knows, its holidays with their names and the
weekend days that are worked. A date in a year it does not know is judged on weekdays only and the
answer is marked provisional, so a deadline can say it may move when the State Council publishes
that year's arrangement.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str  # "周末" or the holiday's name

    def as_dict(self) -> dict[str, str]:
        return {"date": self.day.isoformat(), "reason": self.reason}


@dataclass(frozen=True)
class WorkingDayCount:
    """The answer to "the Nth working day after d", with everything needed to explain it."""

    start: date
    days: int
    result: date
    skipped: tuple[SkippedDay, ...]
    adjusted_working_days: tuple[date, ...]  # weekend days counted because they are 调休 working days
    provisional: bool  # some day was in a year the calendar does not know

    def explain(self) -> str:
        parts = [f"{self.start.isoformat()} 之后第 {self.days} 个工作日为 {self.result.isoformat()}"]
        holidays = [s for s in self.skipped if s.reason != "周末"]
        weekends = [s for s in self.skipped if s.reason == "周末"]
        if holidays:
            parts.append("跳过节假日 " + "、".join(f"{s.day.isoformat()}（{s.reason}）" for s in holidays))
        if weekends:
            parts.append(f"跳过周末 {len(weekends)} 天")
        if self.adjusted_working_days:
            parts.append("计入调休上班日 " + "、".join(d.isoformat() for d in self.adjusted_working_days))
        if self.provisional:
            parts.append("该年度节假日安排尚未公布，按周一至周五暂算（临时）")
        return "；".join(parts)


@dataclass(frozen=True)
class WorkingCalendar:
    known_years: frozenset[int] = frozenset()
    holidays: dict[date, str] = field(default_factory=dict)
    adjusted_working_days: frozenset[date] = frozenset()

    def knows(self, day: date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: date) -> bool:
        if day in self.adjusted_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days_between(self, after: date, until: date) -> int:
        """How many working days d with after < d <= until (0 when until <= after), in time independent of the
        span: weekdays by arithmetic, then the holidays on weekdays and the worked weekend days in the span."""
        if until <= after:
            return 0
        count = _weekdays_through(until) - _weekdays_through(after)
        count -= sum(1 for d in self.holidays if after < d <= until and d.weekday() < 5
                     and d not in self.adjusted_working_days)
        count += sum(1 for d in self.adjusted_working_days if after < d <= until and d.weekday() >= 5)
        return count

    def why_not_working(self, day: date) -> str:
        return self.holidays.get(day) or "周末"

    def nth_working_day_after(self, start: date, days: int) -> WorkingDayCount:
        """The `days`-th working day strictly after the calendar date `start` (days >= 1)."""
        if days < 1:
            raise ValueError("days must be at least 1")
        day, left = start, days
        skipped: list[SkippedDay] = []
        adjusted: list[date] = []
        provisional = False
        while left:
            day += timedelta(days=1)
            provisional = provisional or not self.knows(day)
            if self.is_working_day(day):
                left -= 1
                if day.weekday() >= 5:
                    adjusted.append(day)
            else:
                skipped.append(SkippedDay(day, self.why_not_working(day)))
        return WorkingDayCount(start, days, day, tuple(skipped), tuple(adjusted), provisional)

    def last_working_day_before(self, day: date) -> date:
        previous = day - timedelta(days=1)
        while not self.is_working_day(previous):
            previous -= timedelta(days=1)
        return previous

    def first_working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def merged(self, other: WorkingCalendar) -> WorkingCalendar:
        """This calendar with `other`'s years laid over it (other wins for the years it knows)."""
        keep_holidays = {d: n for d, n in self.holidays.items() if d.year not in other.known_years}
        keep_adjusted = {d for d in self.adjusted_working_days if d.year not in other.known_years}
        return WorkingCalendar(
            known_years=self.known_years | other.known_years,
            holidays={**keep_holidays, **other.holidays},
            adjusted_working_days=frozenset(keep_adjusted | other.adjusted_working_days),
        )


def _weekdays_through(day: date) -> int:
    """Monday-to-Friday days from 0001-01-01 (a Monday) through `day`."""
    weeks, rest = divmod(day.toordinal(), 7)
    return 5 * weeks + min(rest, 5)
