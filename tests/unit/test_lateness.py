"""What is left or how late an order is, in working days and hours, and the next step in words."""
from __future__ import annotations

from datetime import date

import pytest

from engine.domain.calendar import WorkingCalendar
from engine.domain.lateness import lateness, next_step_text
from tests.conftest import local

CAL = WorkingCalendar(known_years=frozenset({2026}), holidays={date(2026, 6, 19): "端午节"})
DEADLINE = local(2026, 6, 4, 23, 59, 59)  # Thursday


@pytest.mark.parametrize("now, text, due_soon", [
    (local(2026, 6, 3, 20, 0), "剩1个工作日4小时", True),        # Wed evening: Thursday left, plus 4 hours today
    (local(2026, 6, 1, 9, 0), "剩3个工作日15小时", False),
    (local(2026, 6, 4, 19, 30), "剩4小时", True),               # the deadline's own day
    (local(2026, 6, 4, 23, 59, 30), "剩不到1小时", True),
    (local(2026, 5, 30, 10, 0), "剩4个工作日", False),          # Saturday: no hours of today count
])
def test_what_is_left(now, text, due_soon):
    late = lateness(DEADLINE, now, CAL)
    assert (late.text, late.due_soon, late.overdue) == (text, due_soon, False)


@pytest.mark.parametrize("now, text", [
    (local(2026, 6, 5, 9, 0), "超期1个工作日"),
    (local(2026, 6, 9, 9, 0), "超期3个工作日"),                 # Fri, Mon, Tue: the weekend does not count
    (local(2026, 6, 22, 9, 0), "超期11个工作日"),               # the holiday on the 19th does not count
])
def test_how_late(now, text):
    late = lateness(DEADLINE, now, CAL)
    assert late.overdue and late.text == text


def test_a_deadline_before_a_weekend_is_late_by_hours_until_the_next_working_day():
    friday = local(2026, 6, 5, 23, 59, 59)
    assert lateness(friday, local(2026, 6, 7, 10, 0), CAL).text == "超期34小时"


def test_urgent_orders_count_natural_hours():
    deadline = local(2026, 6, 6, 10, 0)  # a Saturday: urgent orders do not wait for working days
    assert lateness(deadline, local(2026, 6, 6, 7, 0), CAL, natural_hours=True).text == "剩3小时"
    assert lateness(deadline, local(2026, 6, 6, 7, 0), CAL, natural_hours=True).due_soon
    assert lateness(deadline, local(2026, 6, 7, 12, 0), CAL, natural_hours=True).text == "超期26小时"


def test_the_next_step_in_words_and_local_time():
    assert next_step_text("yellow", local(2026, 12, 4, 9, 0)) == "12月4日 09:00 亮黄牌"


def test_working_days_between_agrees_with_counting_day_by_day_across_holidays_and_adjusted_days():
    """The lateness of an order years overdue is computed by arithmetic; it must equal walking the calendar."""
    import random
    from datetime import timedelta

    golden_week = {date(2026, 10, 1) + timedelta(days=i): "国庆节" for i in range(8)}
    cal = WorkingCalendar(frozenset({2025, 2026}), {**golden_week, date(2026, 1, 1): "元旦"},
                          frozenset({date(2026, 9, 27), date(2026, 10, 10), date(2026, 10, 3)}))

    def walked(after: date, until: date) -> int:
        count, day = 0, after
        while day < until:
            day += timedelta(days=1)
            count += cal.is_working_day(day)
        return count

    rng = random.Random(2026)
    for _ in range(3000):
        after = date(2025, 6, 1) + timedelta(days=rng.randrange(700))
        until = after + timedelta(days=rng.randrange(-10, 800))
        assert cal.working_days_between(after, until) == walked(after, until), (after, until)
    assert cal.working_days_between(date(2026, 9, 30), date(2026, 10, 8)) == 1  # only the worked 3 October
