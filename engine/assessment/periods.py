"""Assessment periods: months (2026-06), quarters (2026Q2) and years (2026), in Asia/Shanghai time."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import cached_property

from engine.clock import LOCAL_TZ
from engine.domain.errors import InvalidInput

_MONTH, _QUARTER, _YEAR = re.compile(r"^(\d{4})-(\d{2})$"), re.compile(r"^(\d{4})Q([1-4])$"), re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    label: str
    kind: str  # month | quarter | year
    first_day: date
    following_day: date  # the first day after the period

    # in UTC: comparing UTC instants is several times cheaper than going through the zoneinfo offset each time
    @cached_property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), LOCAL_TZ).astimezone(timezone.utc)

    @cached_property
    def end(self) -> datetime:
        return datetime.combine(self.following_day, time(), LOCAL_TZ).astimezone(timezone.utc)

    @property
    def months(self) -> tuple[Period, ...]:
        if self.kind == "month":
            return (self,)
        out, day = [], self.first_day
        while day < self.following_day:
            out.append(parse_period(f"{day.year}-{day.month:02d}"))
            day = out[-1].following_day
        return tuple(out)

    @property
    def title(self) -> str:
        year = self.first_day.year
        if self.kind == "month":
            return f"{year}年{self.first_day.month}月"
        if self.kind == "quarter":
            return f"{year}年第{self.label[-1]}季度"
        return f"{year}年度"


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def parse_period(label: str) -> Period:
    """A period from its label; InvalidInput for anything else."""
    text = str(label).strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise InvalidInput(f"no month {month} in {text!r}")
        first = date(year, month, 1)
        return Period(text, "month", first, _next_month(first))
    if m := _QUARTER.match(text):
        year, quarter = int(m[1]), int(m[2])
        first = date(year, 3 * quarter - 2, 1)
        following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Period(text, "quarter", first, following)
    if m := _YEAR.match(text):
        year = int(m[1])
        return Period(text, "year", date(year, 1, 1), date(year + 1, 1, 1))
    raise InvalidInput(f"an assessment period is a month (2026-06), a quarter (2026Q2) or a year (2026), got {label!r}")


def month_of(at: datetime) -> Period:
    local = at.astimezone(LOCAL_TZ)
    return parse_period(f"{local.year}-{local.month:02d}")
