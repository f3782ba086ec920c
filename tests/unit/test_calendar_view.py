"""The working-calendar month view on the real 2026 arrangement, an unknown year and hand-built calendars.

Expected days come from the State Council's 2026 notice (as in test_calendar.py): 春节 02-15..23 with 调休
working Saturdays 02-14 and 02-28; 国庆节 10-01..07 with 调休 working Saturday 10-10.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape

from config.loader import load_calendar
from config.settings import Settings
from engine.domain.calendar import WorkingCalendar
from web.pages.calendar import Day, MonthView, classify, month_view

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    """Built the way workflows/bootstrap.py builds the engine's calendar."""
    return load_calendar(Settings().calendar_file)


def _days(view: MonthView) -> dict[int, Day]:
    return {day.date.day: day for week in view.weeks for day in week if day is not None}


# --- October 2026: National Day golden week ------------------------------------------------------

def test_october_2026_golden_week_is_seven_named_holidays(cal):
    days = _days(month_view(cal, 2026, 10))
    for d in range(1, 8):
        assert days[d].kind == "holiday", d
        assert days[d].name == "国庆节"
        assert not days[d].working
        assert days[d].mark == "休"
    assert days[8].kind == "workday" and days[8].working and days[8].name == ""


def test_october_2026_saturday_the_10th_is_an_adjusted_working_day(cal):
    days = _days(month_view(cal, 2026, 10))
    assert days[10].date.weekday() == 5
    assert days[10].kind == "adjusted_workday"
    assert days[10].working
    assert days[10].mark == "班"
    assert days[11].kind == "weekend" and not days[11].working and days[11].mark == ""


def test_october_2026_counts(cal):
    view = month_view(cal, 2026, 10)
    # 22 weekdays, minus the 5 weekday holidays (1, 2, 5, 6, 7), plus Saturday the 10th
    assert view.working_days == 18
    assert view.holidays == 7
    assert view.adjusted_working_days == 1
    assert view.known


def test_october_2026_layout_starts_on_monday_and_pads_with_none(cal):
    view = month_view(cal, 2026, 10)
    assert (view.year, view.month) == (2026, 10)
    assert all(len(week) == 7 for week in view.weeks)
    # 1 October 2026 is a Thursday: Mon–Wed of the first week are padding
    assert view.weeks[0][:3] == [None, None, None]
    assert view.weeks[0][3] is not None and view.weeks[0][3].date == date(2026, 10, 1)
    for week in view.weeks:
        for column, day in enumerate(week):
            if day is not None:
                assert day.date.weekday() == column
    assert [d.date.day for d in view.days] == list(range(1, 32))
    assert view.weeks[-1][-1] is None  # the 31st is a Saturday


def test_prev_and_next_cross_year_boundaries(cal):
    assert month_view(cal, 2026, 10).prev == (2026, 9)
    assert month_view(cal, 2026, 10).next == (2026, 11)
    assert month_view(cal, 2026, 1).prev == (2025, 12)
    assert month_view(cal, 2026, 12).next == (2027, 1)


# --- February 2026: Spring Festival --------------------------------------------------------------

def test_february_2026_spring_festival(cal):
    view = month_view(cal, 2026, 2)
    days = _days(view)
    for d in range(15, 24):
        assert days[d].kind == "holiday" and days[d].name == "春节" and not days[d].working, d
    for d in (14, 28):
        assert days[d].date.weekday() == 5
        assert days[d].kind == "adjusted_workday" and days[d].working, d
    assert days[13].kind == "workday" and days[24].kind == "workday"
    assert days[7].kind == "weekend"
    # 20 weekdays minus 6 weekday holidays (16–20, 23) plus Saturdays 14 and 28
    assert view.working_days == 16
    assert view.holidays == 9
    assert view.adjusted_working_days == 2


def test_february_2026_starts_on_sunday_so_first_week_is_mostly_padding(cal):
    view = month_view(cal, 2026, 2)
    assert view.weeks[0][:6] == [None] * 6
    assert view.weeks[0][6] is not None and view.weeks[0][6].date == date(2026, 2, 1)
    assert len(view.weeks) == 5


def test_every_day_agrees_with_the_engine(cal):
    for month in range(1, 13):
        for day in month_view(cal, 2026, month).days:
            assert day.working == cal.is_working_day(day.date), day.date


# --- years the calendar does not know -----------------------------------------------------------

def test_unknown_year_is_weekday_only_and_marked_not_known(cal):
    assert 2099 not in cal.known_years
    view = month_view(cal, 2099, 10)
    assert not view.known
    assert all(not day.known for day in view.days)
    assert {day.kind for day in view.days} == {"workday", "weekend"}
    assert view.holidays == 0 and view.adjusted_working_days == 0
    assert all(day.working == (day.date.weekday() < 5) for day in view.days)


def test_known_year_days_are_known(cal):
    assert all(day.known for day in month_view(cal, 2026, 10).days)


# --- hand-built calendars and validation ---------------------------------------------------------

def test_weekday_off_without_a_name_is_a_holiday_and_weekend_holiday_keeps_its_name():
    # a weekday off can only come from the holidays table, but classify must not depend on that
    cal = WorkingCalendar(known_years=frozenset({2030}),
                          holidays={date(2030, 1, 1): "", date(2030, 1, 5): "元旦"})
    assert classify(cal, date(2030, 1, 1)).kind == "holiday"
    assert classify(cal, date(2030, 1, 1)).name == ""
    saturday = classify(cal, date(2030, 1, 5))
    assert saturday.kind == "holiday" and saturday.name == "元旦"
    assert classify(cal, date(2030, 1, 6)).kind == "weekend"


def test_a_day_both_holiday_and_adjusted_is_worked_and_unnamed():
    day = date(2030, 2, 2)  # a Saturday
    cal = WorkingCalendar(known_years=frozenset({2030}), holidays={day: "春节"},
                          adjusted_working_days=frozenset({day}))
    result = classify(cal, day)
    assert result.working and result.kind == "adjusted_workday" and result.name == ""


def test_today_is_flagged():
    view = month_view(WorkingCalendar(), 2030, 3, today=date(2030, 3, 14))
    assert [d.date for d in view.days if d.today] == [date(2030, 3, 14)]


@pytest.mark.parametrize(("year", "month"), [(2026, 0), (2026, 13), (1, 5), (9999, 5)])
def test_invalid_month_or_year_raises(year, month):
    with pytest.raises(ValueError):
        month_view(WorkingCalendar(), year, month)


# --- the template fragment -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def fragment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def test_fragment_renders_headers_marks_names_and_classes(cal, fragment):
    html = fragment.get_template("calendar_month.html").render(view=month_view(cal, 2026, 10), cal_url="/calendar")
    assert html.index("周一") < html.index("周日")
    assert html.count('<td class="cal-holiday') == 7
    assert html.count('<td class="cal-adjusted_workday') == 1
    assert html.count('<td class="cal-pad') == 4
    assert html.count('aria-hidden="true">休<') == 7
    assert html.count('aria-hidden="true">班<') == 1
    assert html.count("国庆节") == 7
    assert 'datetime="2026-10-10"' in html
    assert 'href="/calendar?year=2026&amp;month=9"' in html
    assert "尚未载入" not in html


def test_fragment_warns_for_an_unknown_year_and_omits_nav_without_url(cal, fragment):
    html = fragment.get_template("calendar_month.html").render(view=month_view(cal, 2099, 1))
    assert "尚未载入" in html
    assert "cal-provisional" in html
    assert "href=" not in html
