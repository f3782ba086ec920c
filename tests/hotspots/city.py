"""A synthetic city for the hotspot tests: Poisson daily counts per (category, area), seeded, with an optional
planted surge and a yearly season."""
from __future__ import annotations

import math
import random
from datetime import date, timedelta

from engine.hotspots.detect import CountBook

CATEGORIES = ("咨询", "求助", "建议", "投诉", "举报")


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method, split into pieces of at most 30 so exp(-mean) never underflows."""
    total = 0
    while mean > 0:
        part, mean = min(mean, 30.0), mean - min(mean, 30.0)
        limit, k, p = math.exp(-part), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                break
            k += 1
        total += k
    return total


def city(*, areas: list[str], first: date, days: int, seed: int = 7, rate: float = 3.0,
         surge: tuple[str, str, date, float] | None = None,
         season: tuple[str, str, int, int, float] | None = None) -> CountBook:
    """Daily counts from `first` for `days` days. Each (category, area) has its own steady rate around `rate` a day.
    surge = (category, area, from day, factor); season = (category, area, first day of year, last day of year,
    factor): that cell runs `factor` times its rate in those days of every year."""
    rng = random.Random(seed)
    book = CountBook()
    rates = {(c, a): rate * rng.uniform(0.5, 1.5) for c in CATEGORIES for a in areas}
    for offset in range(days):
        day = first + timedelta(days=offset)
        for (category, area), mean in rates.items():
            if surge and (category, area) == surge[:2] and day >= surge[2]:
                mean *= surge[3]
            if season and (category, area) == season[:2] and season[2] <= day.timetuple().tm_yday <= season[3]:
                mean *= season[4]
            n = poisson(rng, mean)
            if n:
                book.add(category, area, day, n)
    return book
