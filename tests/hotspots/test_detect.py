"""Hotspot statistics: a planted surge is flagged within one window, flat noise over many cells raises nothing,
the baseline is last year's same weeks when the history reaches that far (a yearly season is no surprise)."""
from __future__ import annotations

import math
from datetime import date, timedelta
from fractions import Fraction

import pytest

from engine.hotspots.areas import area_of, grid_cell
from engine.hotspots.detect import CountBook, HotspotRules, Window, baseline, detect, scan
from engine.hotspots.tails import binomial_sf
from tests.hotspots.city import CATEGORIES, city

DISTRICTS = [f"{name}区" for name in "东西南北中榕渔江湖山"]
RULES = HotspotRules()


def exact_sf(k: int, n: int, p: Fraction) -> float:
    return float(sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1)))


@pytest.mark.parametrize("k,n,p", [(0, 5, Fraction(1, 3)), (3, 10, Fraction(1, 9)), (12, 12, Fraction(1, 9)),
                                   (40, 300, Fraction(1, 9)), (30, 300, Fraction(1, 9)), (90, 300, Fraction(1, 6)),
                                   (11, 10, Fraction(1, 2))])
def test_binomial_tail_is_exact_on_both_sides_of_the_mode(k, n, p):
    assert binomial_sf(k, n, float(p)) == pytest.approx(exact_sf(k, n, p), rel=1e-9, abs=1e-15)


def test_a_planted_surge_is_flagged_within_one_window_and_named_with_its_statistics():
    start = date(2026, 3, 1)
    book = city(areas=DISTRICTS, first=start, days=120, surge=("投诉", "江区", date(2026, 6, 10), 3.0))
    flagged_on = []
    for end in (date(2026, 6, 10) + timedelta(days=i) for i in range(1, 8)):
        hits = [h for s in detect(book, end, start, RULES) for h in s.hotspots]
        assert all((h.category, h.area) == ("投诉", "江区") for h in hits), hits  # nothing else in the city
        flagged_on += [end] * bool(hits)
    assert flagged_on and flagged_on[0] <= date(2026, 6, 17)  # the first whole window of the surge at the latest
    hit = detect(book, date(2026, 6, 17), start, RULES)[0].hotspots[0]
    assert hit.baseline == "前8周" and hit.window == Window(date(2026, 6, 10), 7)
    assert 2.2 < hit.ratio < 4.0 and hit.count > 2 * hit.expected and hit.p_value < 1e-6 and hit.z > 5
    assert hit.as_line() == {"category": "投诉", "area": "江区", "window": "2026-06-10/7d", "count": hit.count,
                             "expected": round(hit.expected, 2), "score": round(hit.score, 2)}


def test_flat_noise_over_many_cells_and_days_raises_no_flag_though_an_uncorrected_test_would():
    areas = [f"网格{i}" for i in range(100)]  # 500 cells, each a steady Poisson rate
    start = date(2026, 1, 1)
    book = city(areas=areas, first=start, days=150, seed=11)
    uncorrected = 0
    for end in (date(2026, 4, 1) + timedelta(days=7 * i) for i in range(8)):
        result = scan(book, Window.ending(end, 7), start, RULES)
        assert result.tested > 400 and result.hotspots == ()
        uncorrected += sum(1 for cell in book.cells
                           if (b := baseline(book, cell, result.window, start, RULES)) is not None
                           and (c := CountBook.total(book.cells[cell], result.window.first, result.window.end))
                           >= RULES.min_count and binomial_sf(c, c + b.count, 1 / (1 + b.exposure)) < 0.01)
    assert uncorrected >= 5  # the test has teeth: p < 0.01 cell by cell would have cried wolf


def test_last_years_same_weeks_explain_a_season_that_the_trailing_weeks_would_flag():
    start = date(2024, 1, 1)  # two and a half years of history, a yearly heat season in 东区's 求助
    season = ("求助", "东区", 182, 200, 3.0)  # 1–19 July
    book = city(areas=DISTRICTS, first=start, days=950, seed=5, season=season)
    end = date(2026, 7, 10)
    with_year = scan(book, Window.ending(end, 7), start, RULES)
    assert with_year.hotspots == ()
    assert baseline(book, ("求助", "东区"), with_year.window, start, RULES).kind == "去年同期"
    short_history = scan(book, Window.ending(end, 7), date(2026, 1, 1), RULES)  # no year back: trailing weeks
    assert [(h.category, h.area, h.baseline) for h in short_history.hotspots] == [("求助", "东区", "前8周")]


def test_the_year_baseline_follows_the_categorys_trend_but_still_catches_a_local_surge():
    start = date(2025, 1, 1)
    book = city(areas=DISTRICTS, first=start, days=600, seed=3, surge=("举报", "湖区", date(2026, 8, 1), 3.0))
    for day, n in list(book.categories["投诉"].items()):  # the whole city's 投诉 grew by half in 2026 …
        if day.year == 2026:
            for (category, area), days in book.cells.items():
                if category == "投诉" and day in days:
                    days[day] = round(days[day] * 1.5)
            book.categories["投诉"][day] = round(n * 1.5)
    hits = scan(book, Window.ending(date(2026, 8, 8), 7), start, RULES).hotspots
    assert [(h.category, h.area, h.baseline) for h in hits] == [("举报", "湖区", "去年同期")]  # … and is no surge


def test_a_small_area_needs_the_minimum_count_and_short_history_uses_what_there_is():
    book = CountBook()
    for day in range(1, 29):
        book.add("投诉", "小区", date(2026, 5, day), 0)
    for day in range(1, 8):
        book.add("投诉", "小区", date(2026, 6, day), 1)  # 7 where there were 0: under min_count, not tested
    assert scan(book, Window(date(2026, 6, 1), 7), date(2026, 5, 1), RULES).tested == 0
    book.add("投诉", "小区", date(2026, 6, 7), 5)
    result = scan(book, Window(date(2026, 6, 1), 7), date(2026, 5, 4), RULES)
    assert [(h.count, h.expected, h.baseline) for h in result.hotspots] == [(12, 0.0, "前4周")]
    assert scan(book, Window(date(2026, 6, 1), 7), date(2026, 5, 1), RULES).hotspots[0].baseline == "前31天"
    assert scan(book, Window(date(2026, 6, 1), 7), date(2026, 5, 28), RULES).tested == 0  # under a window of history


def test_severity_grades_by_ratio_and_size():
    assert RULES.severity(100, 3.5) == "severe" and RULES.severity(12, 3.5) == "warning"
    assert RULES.severity(100, 2.2) == "warning" and RULES.severity(100, 1.6) == "notice"


def test_grid_cells_are_named_by_their_centre_and_hold_their_points():
    lat, lon = 34.07243977, -118.2877979
    name = grid_cell(lat, lon, 1000)
    centre = tuple(map(float, name.removeprefix("网格").split(",")))
    assert abs(centre[0] - lat) * 111_320 <= 500 and abs(centre[1] - lon) * 111_320 * math.cos(math.radians(lat)) <= 500
    assert grid_cell(lat + 0.0001, lon + 0.0001, 1000) == name  # 11 m away: same cell
    assert grid_cell(lat + 0.02, lon, 1000) != name  # 2.2 km away: another
    assert area_of("江区", None, None, by="district", grid_metres=1000) == "江区"
    assert area_of(" ", lat, lon, by="district", grid_metres=1000) is None
    assert area_of(None, lat, lon, by="grid", grid_metres=1000) == name
    assert area_of(None, None, lon, by="grid", grid_metres=1000) is None
    assert area_of(None, 134.0, lon, by="grid", grid_metres=1000) is None
