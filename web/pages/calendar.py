"""The working calendar (工作日历) as a month grid: which days are worked, which are 节假日 and which are 调休上班.

Pure data for a template: `month_view` lays a month out in Monday-first weeks and classifies every day using the
engine's `WorkingCalendar`, so the page shows exactly what deadline arithmetic uses. A year the calendar does not
know is still laid out (weekdays worked, weekends off) with every day marked `known=False`: the engine treats
such deadlines as provisional and the page should say so.
"""
from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date
from typing import Literal

from engine.domain.calendar import WorkingCalendar

DayKind = Literal["workday", "weekend", "holiday", "adjusted_workday"]

WEEKDAY_HEADERS: tuple[str, ...] = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
KIND_LABELS: dict[str, str] = {
    "workday": "工作日",
    "weekend": "周末",
    "holiday": "节假日",
    "adjusted_workday": "调休上班",
}
_MARKS: dict[str, str] = {"holiday": "休", "adjusted_workday": "班"}


@dataclass(frozen=True)
class Day:
    """One calendar day as the engine sees it."""

    date: date
    working: bool
    kind: DayKind
    name: str  # the holiday's name (e.g. "国庆节") when the calendar has one, else ""
    known: bool  # False when the year is outside the calendar's data (weekday-only, provisional)
    today: bool = False

    @property
    def mark(self) -> str:
        """The short badge Chinese calendars print on a day: 休 for a holiday, 班 for a 调休 working day."""
        return _MARKS.get(self.kind, "")

    @property
    def kind_label(self) -> str:
        """The kind in words, for screen readers and tooltips."""
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class MonthView:
    """A month laid out Monday-first, with navigation and totals."""

    year: int
    month: int
    weeks: list[list[Day | None]]  # each week has 7 slots; None pads before the 1st and after the last day
    prev: tuple[int, int]
    next: tuple[int, int]
    working_days: int
    holidays: int  # days off that belong to a named holiday or fall on a weekday
    adjusted_working_days: int  # weekend days worked because of 调休

    @property
    def known(self) -> bool:
        """Whether the calendar has this month's official arrangement (False: weekday-only, provisional)."""
        return all(day.known for day in self.days)

    @property
    def days(self) -> list[Day]:
        """The month's days in order, without padding."""
        return [day for week in self.weeks for day in week if day is not None]

    @property
    def title(self) -> str:
        return f"{self.year}年{self.month}月"


def classify(calendar: WorkingCalendar, day: date, *, today: date | None = None) -> Day:
    """How the engine treats `day`: working or not, and why."""
    working = calendar.is_working_day(day)
    weekend = day.weekday() >= 5
    name = "" if working else calendar.holidays.get(day, "")
    kind: DayKind
    if working:
        kind = "adjusted_workday" if weekend else "workday"
    else:
        kind = "holiday" if name or not weekend else "weekend"
    return Day(date=day, working=working, kind=kind, name=name, known=calendar.knows(day), today=day == today)


def month_view(calendar: WorkingCalendar, year: int, month: int, *, today: date | None = None) -> MonthView:
    """The month `year`-`month` classified by `calendar`; `today` (optional) flags that day. ValueError if invalid."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, got {month}")
    if not MINYEAR < year < MAXYEAR:  # keeps the padding days and prev/next inside what `date` can hold
        raise ValueError(f"year must be {MINYEAR + 1}–{MAXYEAR - 1}, got {year}")
    grid = stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    weeks: list[list[Day | None]] = [
        [classify(calendar, d, today=today) if d.month == month else None for d in week] for week in grid
    ]
    days = [day for week in weeks for day in week if day is not None]
    return MonthView(
        year=year,
        month=month,
        weeks=weeks,
        prev=(year - 1, 12) if month == 1 else (year, month - 1),
        next=(year + 1, 1) if month == 12 else (year, month + 1),
        working_days=sum(day.working for day in days),
        holidays=sum(day.kind == "holiday" for day in days),
        adjusted_working_days=sum(day.kind == "adjusted_workday" for day in days),
    )
