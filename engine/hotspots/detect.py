"""Surges of a category in an area (热点预警): the orders of a sliding window against a baseline.

The baseline is the same weeks of the previous year (52 weeks back, so weekdays line up, widened by a margin each
side and scaled by the category's year-on-year trend) where the history reaches that far, else the trailing weeks
before the window. A cell is tested only with at least `min_count` orders in the window (a handful of orders
proves nothing), by the exact conditional test of two Poisson rates: given n = window + baseline orders, the
window's share is Binomial(n, w / (w + b)) when nothing changed (w, b: the exposures in days, b scaled by the
trend). Its upper tail is the p-value. With many cells, some would look surprising by chance: a flag needs
p <= alpha / (cells tested) (Bonferroni: the chance of any false flag in a run is at most alpha) and a ratio of at
least `min_ratio` to the expected count.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from engine.hotspots.tails import binomial_sf

YEAR = timedelta(weeks=52)  # the same weekdays a year earlier
SEVERITY_WORDS = {"notice": "一般", "warning": "较重", "severe": "严重"}
MIN_EXPECTED = 0.5  # the ratio of a cell that expected (almost) nothing is taken against this


@dataclass(frozen=True)
class HotspotRules:
    window_days: tuple[int, ...] = (7,)
    trailing_weeks: int = 8
    year_margin_days: int = 14  # last year's window widened by this many days each side (5 weeks for a week)
    min_count: int = 10
    min_ratio: float = 1.5
    alpha: float = 0.01  # the chance of a false flag among all the cells of one run
    warning_ratio: float = 2.0
    severe_ratio: float = 3.0
    severe_min_count: int = 30
    max_trend: float = 2.0  # the year-on-year trend is held within [1/max_trend, max_trend]

    def severity(self, count: int, ratio: float) -> str:
        if ratio >= self.severe_ratio and count >= self.severe_min_count:
            return "severe"
        return "warning" if ratio >= self.warning_ratio else "notice"


@dataclass(frozen=True)
class Window:
    """The days [first, first + days) in local dates."""

    first: date
    days: int

    @classmethod
    def ending(cls, end: date, days: int) -> Window:
        return cls(end - timedelta(days=days), days)

    @property
    def end(self) -> date:
        return self.first + timedelta(days=self.days)

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def key(self) -> str:
        return f"{self.first.isoformat()}/{self.days}d"

    def overlaps(self, other: Window) -> bool:
        return self.first < other.end and other.first < self.end


class CountBook:
    """Orders a day per (category, area), and per category over all areas (for the year-on-year trend)."""

    def __init__(self) -> None:
        self.cells: dict[tuple[str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
        self.categories: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))

    @classmethod
    def of(cls, rows: Iterable[tuple[str, str | None, date]]) -> CountBook:
        """From (category, area, local day) rows; rows without an area count in their category's trend only."""
        book = cls()
        for category, area, day in rows:
            book.add(category, area, day)
        return book

    def add(self, category: str, area: str | None, day: date, n: int = 1) -> None:
        self.categories[category][day] += n
        if area:
            self.cells[(category, area)][day] += n

    @staticmethod
    def total(days: Mapping[date, int], first: date, end: date) -> int:
        return sum(days.get(first + timedelta(days=i), 0) for i in range((end - first).days))

    def series(self, category: str, area: str, first: date, end: date) -> list[int]:
        days = self.cells.get((category, area), {})
        return [days.get(first + timedelta(days=i), 0) for i in range((end - first).days)]


@dataclass(frozen=True)
class Baseline:
    kind: str  # 去年同期 | 前8周 (or fewer weeks while the history is short)
    count: int
    exposure: float  # baseline days / window days
    trend: float = 1.0

    @property
    def expected(self) -> float:
        return self.count * self.trend / self.exposure


@dataclass(frozen=True)
class Hotspot:
    category: str
    area: str
    window: Window
    count: int
    expected: float
    ratio: float
    p_value: float
    z: float
    baseline: str
    severity: str

    @property
    def score(self) -> float:
        """-log10 of the p-value: 6 means one chance in a million that the count is ordinary."""
        return -math.log10(max(self.p_value, 1e-300))

    def as_line(self) -> dict[str, object]:
        return {"category": self.category, "area": self.area, "window": self.window.key, "count": self.count,
                "expected": round(self.expected, 2), "score": round(self.score, 2)}


@dataclass(frozen=True)
class Scan:
    window: Window
    tested: int  # cells with at least min_count orders in the window and a baseline
    threshold: float  # the p-value a flag needs
    hotspots: tuple[Hotspot, ...]  # most surprising first


def baseline(book: CountBook, cell: tuple[str, str], window: Window, history_start: date,
             rules: HotspotRules) -> Baseline | None:
    days = book.cells.get(cell, {})
    margin = timedelta(days=rules.year_margin_days)
    if history_start <= window.first - YEAR - margin:
        count = book.total(days, window.first - YEAR - margin, window.end - YEAR + margin)
        exposure = (window.days + 2 * rules.year_margin_days) / window.days
        return Baseline("去年同期", count, exposure, _trend(book, cell[0], window, history_start, rules))
    first = max(history_start, window.first - timedelta(weeks=rules.trailing_weeks))
    span = (window.first - first).days
    if span < window.days:  # less than one window of history: nothing to compare with
        return None
    kind = f"前{span // 7}周" if span % 7 == 0 else f"前{span}天"
    return Baseline(kind, book.total(days, first, window.first), span / window.days)


def _trend(book: CountBook, category: str, window: Window, history_start: date, rules: HotspotRules) -> float:
    """The category's orders over the trailing weeks against the same weeks a year earlier (all areas)."""
    span = timedelta(weeks=rules.trailing_weeks)
    if history_start > window.first - span - YEAR:
        return 1.0
    days = book.categories.get(category, {})
    now = book.total(days, window.first - span, window.first)
    then = book.total(days, window.first - span - YEAR, window.first - YEAR)
    return min(rules.max_trend, max(1 / rules.max_trend, (now + 1) / (then + 1)))


def compare(count: int, base: Baseline) -> tuple[float, float, float, float]:
    """(expected, ratio, p-value, z) of `count` window orders against the baseline."""
    expected = base.expected
    share = base.trend / (base.trend + base.exposure)
    p_value = binomial_sf(count, count + base.count, share)
    floor = max(expected, MIN_EXPECTED)
    return expected, count / floor, p_value, (count - expected) / math.sqrt(floor)


def scan(book: CountBook, window: Window, history_start: date, rules: HotspotRules) -> Scan:
    tested: list[tuple[tuple[str, str], int, Baseline]] = []
    for cell, days in book.cells.items():
        count = book.total(days, window.first, window.end)
        if count < rules.min_count:
            continue
        base = baseline(book, cell, window, history_start, rules)
        if base is not None:
            tested.append((cell, count, base))
    threshold = rules.alpha / max(1, len(tested))
    found = []
    for (category, area), count, base in tested:
        expected, ratio, p_value, z = compare(count, base)
        if p_value <= threshold and ratio >= rules.min_ratio:
            found.append(Hotspot(category, area, window, count, expected, ratio, p_value, z, base.kind,
                                 rules.severity(count, ratio)))
    found.sort(key=lambda h: (h.p_value, -h.count, h.category, h.area))
    return Scan(window, len(tested), threshold, tuple(found))


def detect(book: CountBook, end: date, history_start: date, rules: HotspotRules) -> list[Scan]:
    """One scan per configured window length, each window ending (exclusive) on `end`."""
    return [scan(book, Window.ending(end, days), history_start, rules) for days in rules.window_days]
