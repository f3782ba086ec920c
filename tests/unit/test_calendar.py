"""Working-day maths on the real 2026 State Council arrangement, unknown years and calendar overrides.

Every expected date below was worked out by hand from the 2026 arrangement
(holidays 01-01..03, 02-15..23, 04-04..06, 05-01..05, 06-19..21, 09-25..27, 10-01..07;
调休 working days 01-04 Sun, 02-14 Sat, 02-28 Sat, 05-09 Sat, 09-20 Sun, 10-10 Sat),
never by calling the code under test.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from config.loader import builtin_calendar, load_calendar
from engine.domain.calendar import WorkingCalendar
from engine.domain.errors import RuleError

HOLIDAYS_2026 = {
    **{date(2026, 1, d): "元旦" for d in (1, 2, 3)},
    **{date(2026, 2, d): "春节" for d in range(15, 24)},
    **{date(2026, 4, d): "清明" for d in (4, 5, 6)},
    **{date(2026, 5, d): "劳动节" for d in range(1, 6)},
    **{date(2026, 6, d): "端午" for d in (19, 20, 21)},
    **{date(2026, 9, d): "中秋" for d in (25, 26, 27)},
    **{date(2026, 10, d): "国庆节" for d in range(1, 8)},
}
ADJUSTED_2026 = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
                 date(2026, 9, 20), date(2026, 10, 10)}


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return builtin_calendar()


def _is_wd_by_hand(day: date) -> bool:
    """Independent oracle for 2026, straight from the published arrangement."""
    if day in ADJUSTED_2026:
        return True
    return day.weekday() < 5 and day not in HOLIDAYS_2026


# --- the 2026 data itself -------------------------------------------------------------------------

def test_builtin_calendar_knows_2004_through_2026_and_not_2027(cal):
    assert 2004 in cal.known_years
    assert 2026 in cal.known_years
    assert 2027 not in cal.known_years
    assert 2028 not in cal.known_years


def test_builtin_2026_holidays_and_adjusted_days_match_the_state_council_notice(cal):
    assert {d: n for d, n in cal.holidays.items() if d.year == 2026} == HOLIDAYS_2026
    assert {d for d in cal.adjusted_working_days if d.year == 2026} == ADJUSTED_2026


@pytest.mark.parametrize("day", sorted(ADJUSTED_2026))
def test_2026_adjusted_weekend_days_are_working_days(cal, day):
    assert day.weekday() >= 5  # they really are Saturdays/Sundays
    assert cal.is_working_day(day)


def test_sunday_2026_09_20_is_a_working_day_and_friday_09_25_is_not(cal):
    assert cal.is_working_day(date(2026, 9, 20))
    assert not cal.is_working_day(date(2026, 9, 25))
    assert cal.why_not_working(date(2026, 9, 25)) == "中秋"


def test_ordinary_weekend_is_not_a_working_day(cal):
    assert not cal.is_working_day(date(2026, 9, 19))  # Saturday before the 调休 Sunday
    assert cal.why_not_working(date(2026, 9, 19)) == "周末"


def test_every_day_of_2026_matches_the_published_arrangement(cal):
    day = date(2026, 1, 1)
    while day.year == 2026:
        assert cal.is_working_day(day) == _is_wd_by_hand(day), day
        day += timedelta(days=1)


# --- National Day 2026 ----------------------------------------------------------------------------

def test_national_day_one_working_day_after_09_30_is_10_08(cal):
    count = cal.nth_working_day_after(date(2026, 9, 30), 1)
    assert count.result == date(2026, 10, 8)
    assert count.provisional is False
    assert [s.day for s in count.skipped] == [date(2026, 10, d) for d in range(1, 8)]
    assert {s.reason for s in count.skipped} == {"国庆节"}
    assert count.adjusted_working_days == ()


def test_national_day_three_working_days_after_09_30_is_saturday_10_10(cal):
    count = cal.nth_working_day_after(date(2026, 9, 30), 3)
    assert count.result == date(2026, 10, 10)  # Sat 10-10 is a 调休 working day
    assert count.adjusted_working_days == (date(2026, 10, 10),)
    assert count.provisional is False


def test_national_day_explanation_names_the_holiday_and_the_adjusted_day(cal):
    text = cal.nth_working_day_after(date(2026, 9, 30), 3).explain()
    assert "2026-09-30" in text and "2026-10-10" in text
    assert "2026-10-01（国庆节）" in text
    assert "2026-10-07（国庆节）" in text
    assert "计入调休上班日 2026-10-10" in text
    assert "临时" not in text


def test_mid_autumn_then_national_day_back_to_back(cal):
    # Thu 09-24: 09-25..27 中秋 → Mon 09-28 (1), 29 (2), 30 (3), 10-01..07 国庆 → Thu 10-08 (4)
    count = cal.nth_working_day_after(date(2026, 9, 24), 4)
    assert count.result == date(2026, 10, 8)
    reasons = {s.day: s.reason for s in count.skipped}
    assert reasons[date(2026, 9, 25)] == "中秋"
    assert reasons[date(2026, 10, 1)] == "国庆节"
    text = count.explain()
    assert "中秋" in text and "国庆节" in text


# --- Spring Festival 2026 -------------------------------------------------------------------------

def test_spring_festival_friday_02_13_plus_one_is_adjusted_saturday_02_14(cal):
    count = cal.nth_working_day_after(date(2026, 2, 13), 1)
    assert count.result == date(2026, 2, 14)
    assert count.adjusted_working_days == (date(2026, 2, 14),)
    assert count.skipped == ()
    assert "计入调休上班日 2026-02-14" in count.explain()


def test_spring_festival_02_14_plus_one_is_tuesday_02_24(cal):
    count = cal.nth_working_day_after(date(2026, 2, 14), 1)
    assert count.result == date(2026, 2, 24)
    assert [s.day for s in count.skipped] == [date(2026, 2, d) for d in range(15, 24)]
    assert {s.reason for s in count.skipped} == {"春节"}
    text = count.explain()
    assert "2026-02-15（春节）" in text and "2026-02-23（春节）" in text


def test_spring_festival_span_counts_both_adjusted_saturdays(cal):
    # Fri 02-13 → Sat 02-14 (1), 02-15..23 春节, Tue 02-24 (2), 25 (3), 26 (4), 27 (5), Sat 02-28 (6)
    count = cal.nth_working_day_after(date(2026, 2, 13), 6)
    assert count.result == date(2026, 2, 28)
    assert count.adjusted_working_days == (date(2026, 2, 14), date(2026, 2, 28))


def test_new_year_sunday_01_04_is_worked(cal):
    # Wed 2025-12-31 → 01-01..03 元旦 → Sun 01-04 (调休)
    count = cal.nth_working_day_after(date(2025, 12, 31), 1)
    assert count.result == date(2026, 1, 4)
    assert count.provisional is False
    assert count.adjusted_working_days == (date(2026, 1, 4),)


def test_explanation_counts_plain_weekend_days(cal):
    # Fri 2026-03-13 +1 → Mon 03-16, skipping Sat 14 and Sun 15
    count = cal.nth_working_day_after(date(2026, 3, 13), 1)
    assert count.result == date(2026, 3, 16)
    assert [s.reason for s in count.skipped] == ["周末", "周末"]
    assert "跳过周末 2 天" in count.explain()
    assert "跳过节假日" not in count.explain()


def test_zero_or_negative_days_is_refused(cal):
    with pytest.raises(ValueError):
        cal.nth_working_day_after(date(2026, 3, 13), 0)
    with pytest.raises(ValueError):
        cal.nth_working_day_after(date(2026, 3, 13), -1)


# --- last / first working day ---------------------------------------------------------------------

def test_last_working_day_before_skips_back_over_spring_festival(cal):
    assert cal.last_working_day_before(date(2026, 2, 24)) == date(2026, 2, 14)


def test_last_working_day_before_national_day_exit(cal):
    assert cal.last_working_day_before(date(2026, 10, 8)) == date(2026, 9, 30)


def test_last_working_day_before_is_strictly_before(cal):
    assert cal.last_working_day_before(date(2026, 3, 18)) == date(2026, 3, 17)


def test_first_working_day_on_or_after(cal):
    assert cal.first_working_day_on_or_after(date(2026, 10, 1)) == date(2026, 10, 8)
    assert cal.first_working_day_on_or_after(date(2026, 1, 1)) == date(2026, 1, 4)
    assert cal.first_working_day_on_or_after(date(2026, 7, 1)) == date(2026, 7, 1)  # a Wednesday


# --- years the calendar does not know -------------------------------------------------------------

def test_unknown_year_2028_counts_weekdays_only_and_is_provisional(cal):
    # Sat 2028-01-01: weekday-only → Mon 01-03 (元旦 arrangements unknown)
    count = cal.nth_working_day_after(date(2028, 1, 1), 1)
    assert count.result == date(2028, 1, 3)
    assert count.provisional is True
    assert [(s.day, s.reason) for s in count.skipped] == [(date(2028, 1, 2), "周末")]
    assert "临时" in count.explain()


def test_unknown_year_ignores_national_day(cal):
    # Fri 2028-09-29 +1 → Mon 2028-10-02 (a real calendar would skip the whole golden week)
    count = cal.nth_working_day_after(date(2028, 9, 29), 1)
    assert count.result == date(2028, 10, 2)
    assert count.provisional is True


def test_known_year_2026_is_not_provisional(cal):
    count = cal.nth_working_day_after(date(2026, 6, 1), 15)
    assert count.provisional is False
    assert "临时" not in count.explain()


def test_count_ending_on_2026_12_31_is_not_provisional(cal):
    count = cal.nth_working_day_after(date(2026, 12, 28), 3)  # Mon → Thu 12-31
    assert count.result == date(2026, 12, 31)
    assert count.provisional is False


def test_count_from_late_december_2026_into_2027_is_provisional(cal):
    # Mon 2026-12-28 +5: 29, 30, 31, Fri 2027-01-01 (weekday-only), Mon 01-04
    count = cal.nth_working_day_after(date(2026, 12, 28), 5)
    assert count.result == date(2027, 1, 4)
    assert count.provisional is True


# --- property loop over 2026 ----------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 10, 15])
def test_every_start_day_of_2026(cal, n):
    start = date(2026, 1, 1)
    while start.year == 2026:
        count = cal.nth_working_day_after(start, n)
        result = count.result
        assert result > start
        assert _is_wd_by_hand(result) or result.year > 2026
        days = [start + timedelta(days=i) for i in range(1, (result - start).days + 1)]
        assert sum(1 for d in days if cal.is_working_day(d)) == n
        assert count.provisional == (result.year > 2026)
        assert set(count.adjusted_working_days) == {d for d in days if d in ADJUSTED_2026}
        assert {s.day for s in count.skipped} == {d for d in days if not cal.is_working_day(d)}
        start += timedelta(days=1)


def test_builtin_calendar_agrees_with_chinese_calendar_for_every_known_day(cal):
    import chinese_calendar

    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


# --- calendar.toml overrides ----------------------------------------------------------------------

OVERRIDE_2027 = """
[years.2027]
holidays = { "2027-01-01" = "元旦", "2027-10-01" = "国庆节" }
working_days = ["2027-01-09"]
"""


@pytest.fixture
def cal_2027(tmp_path) -> WorkingCalendar:
    path = tmp_path / "calendar.toml"
    path.write_text(OVERRIDE_2027, encoding="utf-8")
    return load_calendar(path)


def test_shipped_calendar_toml_loads_as_the_builtin_data():
    cal = load_calendar()
    assert cal.nth_working_day_after(date(2026, 9, 30), 1).result == date(2026, 10, 8)
    assert 2027 not in cal.known_years


def test_override_year_2027_becomes_known(cal_2027):
    assert 2027 in cal_2027.known_years
    assert 2026 in cal_2027.known_years  # the package's years are kept
    assert 2028 not in cal_2027.known_years


def test_override_holiday_is_skipped_and_no_longer_provisional(cal_2027):
    # Thu 2026-12-31 +1: Fri 2027-01-01 元旦, Sat 02, Sun 03 → Mon 01-04
    count = cal_2027.nth_working_day_after(date(2026, 12, 31), 1)
    assert count.result == date(2027, 1, 4)
    assert count.provisional is False
    assert (date(2027, 1, 1), "元旦") in [(s.day, s.reason) for s in count.skipped]
    assert "2027-01-01（元旦）" in count.explain()


def test_override_adjusted_working_day_is_worked(cal_2027):
    # Fri 2027-01-08 +1 → Sat 01-09 (调休)
    count = cal_2027.nth_working_day_after(date(2027, 1, 8), 1)
    assert count.result == date(2027, 1, 9)
    assert count.adjusted_working_days == (date(2027, 1, 9),)
    assert count.provisional is False


def test_override_does_not_disturb_2026(cal_2027):
    assert cal_2027.nth_working_day_after(date(2026, 9, 30), 3).result == date(2026, 10, 10)


def test_override_of_a_known_year_replaces_the_package_data(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text('[years.2026]\nholidays = { "2026-10-01" = "国庆节" }\n', encoding="utf-8")
    cal = load_calendar(path)
    assert not cal.is_working_day(date(2026, 10, 1))
    assert cal.is_working_day(date(2026, 10, 2))  # package holiday dropped
    assert not cal.is_working_day(date(2026, 10, 10))  # package 调休 Saturday dropped
    assert cal.is_working_day(date(2025, 10, 8)) is False  # other years untouched (2025 国庆节)


def test_override_accepts_toml_date_literals_in_working_days(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text("[years.2027]\nworking_days = [2027-01-09]\n", encoding="utf-8")
    cal = load_calendar(path)
    assert cal.is_working_day(date(2027, 1, 9))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[years.2027]\nholidays = { "2027-02-30" = "春节" }\n', "2027-02-30"),
        ('[years.2027]\nholidays = { "next-friday" = "春节" }\n', "not a date"),
        ('[years.2027]\nworking_days = ["2027-13-01"]\n', "2027-13-01"),
        ('[years.2027]\nholidays = { "2028-01-01" = "元旦" }\n', "is not in 2027"),
        ('[years.2027]\nworking_days = ["2026-12-27"]\n', "is not in 2027"),
        ('[years.next]\nworking_days = ["2027-01-09"]\n', "not a year"),
        ('[years.2027\nholidays = {}\n', "not valid TOML"),
        ('[years.2027]\nholidays = { "2027-01-01" = }\n', "not valid TOML"),
    ],
    ids=["feb-30", "not-a-date", "month-13", "holiday-outside-year", "working-day-outside-year",
         "non-numeric-year", "unclosed-table", "missing-value"],
)
def test_malformed_override_raises_rule_error(tmp_path, text, fragment):
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as excinfo:
        load_calendar(path)
    message = str(excinfo.value)
    assert fragment in message
    assert str(path) in message


def test_missing_calendar_file_raises_rule_error(tmp_path):
    with pytest.raises(RuleError, match="file not found"):
        load_calendar(tmp_path / "nope.toml")


def test_holidays_given_as_a_list_raises_rule_error(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text('[years.2027]\nholidays = ["2027-01-01"]\n', encoding="utf-8")
    with pytest.raises(RuleError):
        load_calendar(path)


def test_year_that_is_not_a_table_raises_rule_error(tmp_path):
    path = tmp_path / "calendar.toml"
    path.write_text('[years]\n2027 = "2027-01-01"\n', encoding="utf-8")
    with pytest.raises(RuleError):
        load_calendar(path)


# --- hand-built calendars (no package data) -------------------------------------------------------

def test_empty_calendar_counts_weekdays_and_is_always_provisional():
    cal = WorkingCalendar()
    count = cal.nth_working_day_after(date(2026, 9, 30), 1)  # Wed → Thu 10-01, no holidays known
    assert count.result == date(2026, 10, 1)
    assert count.provisional is True


def test_unknown_day_early_in_the_count_keeps_it_provisional_even_if_it_ends_in_a_known_year():
    cal = WorkingCalendar(known_years=frozenset({2027}), holidays={date(2027, 1, 1): "元旦"})
    # Wed 2026-12-30: Thu 12-31 (1, year unknown), 2027-01-01 元旦, Mon 01-04 (2), Tue 01-05 (3)
    count = cal.nth_working_day_after(date(2026, 12, 30), 3)
    assert count.result == date(2027, 1, 5)
    assert count.provisional is True


def test_merged_other_calendar_wins_for_its_years_only():
    base = WorkingCalendar(known_years=frozenset({2026, 2027}),
                           holidays={date(2026, 10, 1): "国庆节", date(2027, 10, 1): "国庆节"},
                           adjusted_working_days=frozenset({date(2026, 10, 10), date(2027, 10, 9)}))
    other = WorkingCalendar(known_years=frozenset({2027, 2028}), holidays={date(2028, 1, 3): "元旦"})
    cal = base.merged(other)
    assert cal.known_years == frozenset({2026, 2027, 2028})
    assert cal.holidays == {date(2026, 10, 1): "国庆节", date(2028, 1, 3): "元旦"}
    assert cal.adjusted_working_days == frozenset({date(2026, 10, 10)})
