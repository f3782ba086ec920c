"""Deadline arithmetic with the default rule set (issue #2) and the real 2026 calendar.

Expected values are worked by hand from the 2026 arrangement (see test_calendar.py), never by calling
the code under test. All instants are compared as tz-aware datetimes in Asia/Shanghai.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from config.loader import builtin_calendar
from engine.domain.calendar import WorkingCalendar
from engine.domain.deadlines import (
    add_months,
    extended_deadline,
    handling_deadline,
    instruction_times,
    ladder_times,
    quarter_report_at,
    sign_overdue_at,
    sms_send_at,
)
from engine.domain.rules import RuleTable

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


def eod(y: int, mo: int, d: int) -> datetime:
    return sh(y, mo, d, 23, 59, 59)


def nine(y: int, mo: int, d: int) -> datetime:
    return sh(y, mo, d, 9, 0)


# The default rule set, written out from issue #2 (independent of config/rules.toml).
DEFAULT_RULES = RuleTable(
    handling_working_days={"咨询": 2, "求助": 10, "建议": 10, "投诉": 15, "举报": 15},
    source_working_days={"12315": {"投诉": 7}},
    urgent_hours={"紧急": 24, "特急": 2},
)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return builtin_calendar()


@pytest.fixture
def rules() -> RuleTable:
    return DEFAULT_RULES


def deadline(rules, cal, category, start_at, *, urgency="一般", source="12345"):
    return handling_deadline(rules, cal, category=category, urgency=urgency, source=source, start_at=start_at)


# --- handling deadlines ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("category", "start", "expected"),
    [
        # Thu 06-18, 06-19..21 端午: Mon 06-22 (1), Tue 06-23 (2)
        ("咨询", sh(2026, 6, 18, 10, 0), eod(2026, 6, 23)),
        # Wed 04-29: Thu 04-30 (1), 05-01..05 劳动节, 06 (2), 07 (3), 08 (4), Sat 05-09 调休 (5),
        # 11..15 (6..10)
        ("求助", sh(2026, 4, 29, 10, 0), eod(2026, 5, 15)),
        # Mon 02-09: 10..13 (1..4), Sat 02-14 调休 (5), 02-15..23 春节, 24..27 (6..9), Sat 02-28 调休 (10)
        ("建议", sh(2026, 2, 9, 10, 0), eod(2026, 2, 28)),
        # worked example P1: Wed 04-29 → Fri 05-22
        ("投诉", sh(2026, 4, 29, 10, 0), eod(2026, 5, 22)),
        # Fri 09-18: Sun 09-20 调休 (1), 21..24 (2..5), 25..27 中秋, 28..30 (6..8), 10-01..07 国庆节,
        # 10-08 (9), 10-09 (10), Sat 10-10 调休 (11), 12..15 (12..15)
        ("举报", sh(2026, 9, 18, 10, 0), eod(2026, 10, 15)),
    ],
)
def test_routine_handling_deadline_per_category(rules, cal, category, start, expected):
    d = deadline(rules, cal, category, start)
    assert d.at == expected
    assert d.at.tzinfo is not None
    assert d.at.astimezone(SH).time() == time(23, 59, 59)
    assert d.provisional is False


def test_complaint_deadline_explains_may_day_and_the_adjusted_saturday(rules, cal):
    d = deadline(rules, cal, "投诉", sh(2026, 4, 29, 10, 0))
    assert "15 个工作日" in d.explanation
    assert "2026-05-01（劳动节）" in d.explanation
    assert "2026-05-09" in d.explanation  # the 调休 Saturday is listed
    assert "2026-05-22 23:59:59" in d.explanation


def test_12315_complaint_uses_the_7_working_day_statutory_clock(rules, cal):
    # Wed 04-29: 04-30 (1), 05-06 (2), 07 (3), 08 (4), Sat 05-09 (5), 11 (6), 12 (7)
    d = deadline(rules, cal, "投诉", sh(2026, 4, 29, 10, 0), source="12315")
    assert d.at == eod(2026, 5, 12)
    assert "7 个工作日" in d.explanation


def test_12315_override_only_touches_complaints(rules, cal):
    d = deadline(rules, cal, "咨询", sh(2026, 6, 18, 10, 0), source="12315")
    assert d.at == eod(2026, 6, 23)
    d = deadline(rules, cal, "举报", sh(2026, 4, 29, 10, 0), source="12315")
    assert d.at == eod(2026, 5, 22)


def test_dispatch_late_in_the_evening_still_counts_from_the_next_day(rules, cal):
    assert deadline(rules, cal, "咨询", sh(2026, 6, 18, 23, 30)).at == eod(2026, 6, 23)
    assert deadline(rules, cal, "咨询", sh(2026, 6, 18, 0, 0)).at == eod(2026, 6, 23)


def test_dispatch_date_is_the_shanghai_date_not_the_utc_date(rules, cal):
    # 2026-04-29T16:30Z is Thu 04-30 00:30 in Shanghai: count from 04-30 → 05-06 (1), 05-07 (2).
    # Counting from the UTC date 04-29 would wrongly give 05-06.
    start = datetime(2026, 4, 29, 16, 30, tzinfo=UTC)
    assert deadline(rules, cal, "咨询", start).at == eod(2026, 5, 7)
    # 2026-04-29T15:30Z is 04-29 23:30 in Shanghai: 04-30 (1), 05-06 (2)
    start = datetime(2026, 4, 29, 15, 30, tzinfo=UTC)
    assert deadline(rules, cal, "咨询", start).at == eod(2026, 5, 6)


def test_dispatch_on_a_holiday_counts_from_the_next_working_day(rules, cal):
    # Sat 10-03 (国庆节): 10-08 (1), 10-09 (2)
    assert deadline(rules, cal, "咨询", sh(2026, 10, 3, 15, 0)).at == eod(2026, 10, 9)


def test_deadline_running_into_2027_is_provisional(rules, cal):
    # Tue 12-15: 16..18 (1..3), 21..25 (4..8), 28..31 (9..12), Fri 2027-01-01 (13, weekday-only),
    # Mon 01-04 (14), Tue 01-05 (15)
    d = deadline(rules, cal, "举报", sh(2026, 12, 15, 10, 0))
    assert d.at == eod(2027, 1, 5)
    assert d.provisional is True
    assert "临时" in d.explanation


def test_urgent_deadline_is_24_natural_hours_through_a_holiday(rules, cal):
    d = deadline(rules, cal, "投诉", sh(2026, 9, 30, 15, 0), urgency="紧急")
    assert d.at == sh(2026, 10, 1, 15, 0)
    assert d.provisional is False
    assert "24 小时" in d.explanation


def test_extra_urgent_deadline_is_2_natural_hours_across_midnight(rules, cal):
    d = deadline(rules, cal, "求助", sh(2026, 10, 1, 23, 0), urgency="特急")
    assert d.at == sh(2026, 10, 2, 1, 0)
    assert d.provisional is False


def test_urgent_deadline_ignores_source_override_and_unknown_years(rules, cal):
    d = deadline(rules, cal, "投诉", sh(2028, 1, 1, 12, 0), urgency="紧急", source="12315")
    assert d.at == sh(2028, 1, 2, 12, 0)
    assert d.provisional is False


# --- sign-for window ------------------------------------------------------------------------------

def test_sign_overdue_worked_example(rules, cal):
    # Thu 06-18 dispatch; 1st WD Mon 06-22 (after 端午); chase at 09:00 on Tue 06-23
    assert sign_overdue_at(rules, cal, sh(2026, 6, 18, 10, 0)) == nine(2026, 6, 23)


def test_sign_overdue_across_national_day(rules, cal):
    # Wed 09-30 dispatch: 1st WD Thu 10-08, chase Fri 10-09 09:00
    assert sign_overdue_at(rules, cal, sh(2026, 9, 30, 18, 0)) == nine(2026, 10, 9)


def test_sign_overdue_on_an_adjusted_saturday(rules, cal):
    # Thu 10-08 dispatch: 1st WD Fri 10-09, chase Sat 10-10 (调休) 09:00
    assert sign_overdue_at(rules, cal, sh(2026, 10, 8, 11, 0)) == nine(2026, 10, 10)


def test_sign_overdue_uses_shanghai_date(rules, cal):
    # 2026-06-17T16:30Z = Thu 06-18 00:30 Shanghai → same as the worked example
    assert sign_overdue_at(rules, cal, datetime(2026, 6, 17, 16, 30, tzinfo=UTC)) == nine(2026, 6, 23)


# --- overdue ladder -------------------------------------------------------------------------------

def test_routine_ladder_across_mid_autumn_and_national_day(rules, cal):
    # deadline Thu 09-24. due_soon Wed 09-23. After 09-24: 09-25..27 中秋, Mon 09-28 (1), 29 (2),
    # 30 (3), 10-01..07 国庆节, 10-08 (4), 10-09 (5), Sat 10-10 调休 (6), 12 (7), 13 (8), 14 (9), 15 (10)
    times = ladder_times(rules, cal, urgency="一般", deadline_at=eod(2026, 9, 24), armed_at=sh(2026, 9, 1, 10))
    assert times == {
        "due_soon": nine(2026, 9, 23),
        "overdue": nine(2026, 9, 28),
        "yellow": nine(2026, 9, 30),
        "red": nine(2026, 10, 9),
        "letter": nine(2026, 10, 15),
    }


def test_routine_ladder_worked_example_p1(rules, cal):
    # deadline Fri 05-22: due_soon Thu 05-21; Mon 05-25 (1), 26 (2), 27 (3), 28 (4), 29 (5),
    # 06-01 (6) .. 06-05 (10)
    times = ladder_times(rules, cal, urgency="一般", deadline_at=eod(2026, 5, 22), armed_at=sh(2026, 4, 29, 10))
    assert times == {
        "due_soon": nine(2026, 5, 21),
        "overdue": nine(2026, 5, 25),
        "yellow": nine(2026, 5, 27),
        "red": nine(2026, 5, 29),
        "letter": nine(2026, 6, 5),
    }


def test_due_soon_reaches_back_over_spring_festival_to_the_adjusted_saturday(rules, cal):
    # deadline Tue 02-24: last WD before it is Sat 02-14 (调休), before the 春节 break
    times = ladder_times(rules, cal, urgency="一般", deadline_at=eod(2026, 2, 24), armed_at=sh(2026, 2, 2, 10))
    assert times["due_soon"] == nine(2026, 2, 14)
    assert times["overdue"] == nine(2026, 2, 25)


def test_due_soon_dropped_when_already_past_as_the_deadline_is_set(rules, cal):
    # 咨询 deadline Tue 06-23; due_soon would be Mon 06-22 09:00
    dl = eod(2026, 6, 23)
    later = ladder_times(rules, cal, urgency="一般", deadline_at=dl, armed_at=sh(2026, 6, 22, 10, 0))
    assert later["due_soon"] is None
    assert later["overdue"] == nine(2026, 6, 24)


def test_due_soon_dropped_when_armed_exactly_at_that_moment(rules, cal):
    dl = eod(2026, 6, 23)
    assert ladder_times(rules, cal, urgency="一般", deadline_at=dl, armed_at=nine(2026, 6, 22))["due_soon"] is None


def test_due_soon_kept_when_armed_one_second_before(rules, cal):
    dl = eod(2026, 6, 23)
    armed = nine(2026, 6, 22) - timedelta(seconds=1)
    assert ladder_times(rules, cal, urgency="一般", deadline_at=dl, armed_at=armed)["due_soon"] == nine(2026, 6, 22)


def test_ladder_times_are_tz_aware(rules, cal):
    times = ladder_times(rules, cal, urgency="一般", deadline_at=eod(2026, 5, 22), armed_at=sh(2026, 4, 29, 10))
    for value in times.values():
        assert value.tzinfo is not None


def test_ladder_deadline_given_in_utc_uses_the_shanghai_date(rules, cal):
    # 2026-09-24T15:59:59Z is 09-24 23:59:59 in Shanghai
    dl = datetime(2026, 9, 24, 15, 59, 59, tzinfo=UTC)
    times = ladder_times(rules, cal, urgency="一般", deadline_at=dl, armed_at=sh(2026, 9, 1, 10))
    assert times["due_soon"] == nine(2026, 9, 23)
    assert times["overdue"] == nine(2026, 9, 28)


@pytest.mark.parametrize("urgency", ["紧急", "特急"])
def test_urgent_ladder_is_natural_hours_from_the_deadline(rules, cal, urgency):
    dl = sh(2026, 10, 1, 15, 0)
    times = ladder_times(rules, cal, urgency=urgency, deadline_at=dl, armed_at=sh(2026, 9, 30, 15, 0))
    assert times == {
        "due_soon": None,
        "overdue": sh(2026, 10, 1, 15, 0),
        "yellow": sh(2026, 10, 2, 15, 0),
        "red": sh(2026, 10, 4, 15, 0),
        "letter": None,
    }


# --- extension ------------------------------------------------------------------------------------

def test_extension_of_5_working_days_across_holidays(cal):
    # old deadline Thu 09-24: 09-28 (1), 29 (2), 30 (3), 10-08 (4), 10-09 (5)
    d = extended_deadline(cal, eod(2026, 9, 24), 5)
    assert d.at == eod(2026, 10, 9)
    assert d.provisional is False
    assert "延期 5 个工作日" in d.explanation
    assert "国庆节" in d.explanation


def test_extension_from_a_utc_expressed_deadline(cal):
    d = extended_deadline(cal, datetime(2026, 9, 24, 15, 59, 59, tzinfo=UTC), 5)
    assert d.at == eod(2026, 10, 9)


def test_extension_landing_on_an_adjusted_sunday(cal):
    # old deadline Fri 09-18: Sun 09-20 (调休) is the 1st WD
    assert extended_deadline(cal, eod(2026, 9, 18), 1).at == eod(2026, 9, 20)


def test_extension_into_2027_is_provisional(cal):
    # Mon 12-28: 29, 30, 31, Fri 2027-01-01 (weekday-only), Mon 01-04
    d = extended_deadline(cal, eod(2026, 12, 28), 5)
    assert d.at == eod(2027, 1, 4)
    assert d.provisional is True


# --- calendar months (leadership instructions) ----------------------------------------------------

@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (sh(2026, 1, 31, 10), 1, sh(2026, 2, 28, 10)),
        (sh(2026, 8, 31, 10), 1, sh(2026, 9, 30, 10)),
        (sh(2026, 8, 31, 10), 3, sh(2026, 11, 30, 10)),
        (sh(2024, 1, 31, 10), 1, sh(2024, 2, 29, 10)),  # leap year
        (sh(2026, 11, 30, 10), 3, sh(2027, 2, 28, 10)),  # across the year end
        (sh(2026, 12, 31, 16, 45, 30), 1, sh(2027, 1, 31, 16, 45, 30)),
        (sh(2026, 10, 15, 9, 30), 1, sh(2026, 11, 15, 9, 30)),  # no clamping needed
        (sh(2026, 3, 31, 10), 12, sh(2027, 3, 31, 10)),
        (sh(2026, 3, 31, 10), -1, sh(2026, 2, 28, 10)),
    ],
)
def test_add_months_clamps_to_month_end_and_keeps_time_of_day(start, months, expected):
    result = add_months(start, months)
    assert result == expected
    assert result.tzinfo is not None
    assert result.astimezone(SH).time() == start.time()


def test_add_months_works_on_the_shanghai_date_of_a_utc_instant():
    # 2026-03-30T17:00Z = 03-31 01:00 Shanghai → 04-30 01:00 Shanghai
    # (UTC arithmetic would give 04-30T17:00Z = 05-01 01:00 Shanghai)
    assert add_months(datetime(2026, 3, 30, 17, 0, tzinfo=UTC), 1) == sh(2026, 4, 30, 1, 0)
    # 2026-01-30T21:00Z = 01-31 05:00 Shanghai → 02-28 05:00 Shanghai
    assert add_months(datetime(2026, 1, 30, 21, 0, tzinfo=UTC), 1) == sh(2026, 2, 28, 5, 0)


def test_instruction_times_worked_example(rules):
    letter, report = instruction_times(rules, sh(2026, 8, 31, 10, 0))
    assert letter == sh(2026, 9, 30, 10, 0)
    assert report == sh(2026, 11, 30, 10, 0)


# --- quarterly report -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("year", "quarter", "expected"),
    [
        (2026, 1, nine(2026, 4, 1)),  # Wed
        (2026, 2, nine(2026, 7, 1)),  # Wed
        (2026, 3, nine(2026, 10, 8)),  # 10-01..07 国庆节
        (2025, 4, nine(2026, 1, 4)),  # 01-01..03 元旦, Sun 01-04 调休
        (2024, 3, nine(2024, 10, 8)),  # 2024 国庆节 10-01..07
    ],
)
def test_quarter_report_at_first_working_day_of_next_quarter(rules, cal, year, quarter, expected):
    assert quarter_report_at(rules, cal, year, quarter) == expected


# --- SMS quiet hours ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (sh(2026, 5, 12, 21, 30), sh(2026, 5, 13, 8, 0)),
        (sh(2026, 5, 12, 7, 0), sh(2026, 5, 12, 8, 0)),
        (sh(2026, 5, 12, 12, 0), sh(2026, 5, 12, 12, 0)),
        (sh(2026, 5, 12, 21, 0), sh(2026, 5, 13, 8, 0)),  # window end is exclusive
        (sh(2026, 5, 12, 20, 59, 59), sh(2026, 5, 12, 20, 59, 59)),
        (sh(2026, 5, 12, 8, 0), sh(2026, 5, 12, 8, 0)),  # window start is inclusive
        (sh(2026, 5, 12, 0, 0), sh(2026, 5, 12, 8, 0)),
        (sh(2026, 12, 31, 23, 15), sh(2027, 1, 1, 8, 0)),  # over the year end
    ],
)
def test_sms_quiet_hours(rules, at, expected):
    result = sms_send_at(rules, at, urgent=False)
    assert result == expected
    assert result.tzinfo is not None


def test_sms_quiet_hours_judged_in_shanghai_time(rules):
    # 2026-05-12T13:30Z is 21:30 Shanghai (daytime in UTC): held until 05-13 08:00 Shanghai
    assert sms_send_at(rules, datetime(2026, 5, 12, 13, 30, tzinfo=UTC), urgent=False) == sh(2026, 5, 13, 8, 0)
    # 2026-05-12T02:00Z is 10:00 Shanghai: sent at once
    assert sms_send_at(rules, datetime(2026, 5, 12, 2, 0, tzinfo=UTC), urgent=False) == sh(2026, 5, 12, 10, 0)


@pytest.mark.parametrize("at", [sh(2026, 5, 12, 23, 30), sh(2026, 5, 12, 3, 0), sh(2026, 5, 12, 21, 0)])
def test_urgent_sms_ignores_quiet_hours(rules, at):
    assert sms_send_at(rules, at, urgent=True) == at


def test_urgent_sms_held_when_the_rule_switch_is_off():
    rules = RuleTable(handling_working_days=DEFAULT_RULES.handling_working_days,
                      source_working_days={}, urgent_hours={"紧急": 24, "特急": 2},
                      urgent_sms_ignore_quiet_hours=False)
    assert sms_send_at(rules, sh(2026, 5, 12, 23, 30), urgent=True) == sh(2026, 5, 13, 8, 0)


# --- a changed rule table changes the answers (no hard-coded numbers) -----------------------------

def test_rule_table_numbers_drive_the_maths(cal):
    rules = RuleTable(handling_working_days={"咨询": 3, "求助": 10, "建议": 10, "投诉": 15, "举报": 15},
                      source_working_days={}, urgent_hours={"紧急": 12, "特急": 1},
                      ladder_time=time(10, 30), overdue_working_days=2)
    # Thu 06-18: 06-22 (1), 23 (2), 24 (3)
    assert deadline(rules, cal, "咨询", sh(2026, 6, 18, 10)).at == eod(2026, 6, 24)
    assert deadline(rules, cal, "咨询", sh(2026, 6, 18, 10), urgency="紧急").at == sh(2026, 6, 18, 22)
    times = ladder_times(rules, cal, urgency="一般", deadline_at=eod(2026, 6, 24), armed_at=sh(2026, 6, 18, 10))
    assert times["overdue"] == sh(2026, 6, 26, 10, 30)  # 06-25 (1), 06-26 (2)
