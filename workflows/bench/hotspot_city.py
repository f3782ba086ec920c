"""A synthetic city's orders for the hotspot job, bulk-inserted straight into `work_orders` (not through the
engine: only the columns the job reads matter). Steady Poisson-like traffic per district and category, with
optional planted surges; callbacks with grades for the monthly themes."""
from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa

from engine.clock import LOCAL_TZ
from engine.persistence.tables import handling_units, order_events, work_orders
from engine.services import Engine

DISTRICTS = ("榕城区", "揭东区", "普宁市", "揭西县", "惠来县", "空港区", "大南山", "产业园", "蓝城区", "东山区")
CATEGORIES = ("咨询", "求助", "建议", "投诉", "举报")
CENTRE = (23.55, 116.37)  # 揭阳: grid cells spread ±0.2° around it
UNIT = "HS01"
BATCH = 5000


@dataclass(frozen=True)
class Surge:
    category: str
    district: str
    first: date
    days: int
    factor: float


def order_rows(first: date, days: int, per_day: int, *, seed: int = 19, surges: Sequence[Surge] = ()
               ) -> Iterator[dict[str, Any]]:
    """`per_day` orders a day on average, each (district, category) at its own steady share; a surge multiplies
    its cell's orders on its days. Numbers HS<yyyymmdd><serial>."""
    rng = random.Random(seed)
    cells = [(d, c) for d in DISTRICTS for c in CATEGORIES]
    weights = [rng.uniform(0.5, 1.5) for _ in cells]
    places = {d: (CENTRE[0] + rng.uniform(-0.2, 0.2), CENTRE[1] + rng.uniform(-0.2, 0.2)) for d in DISTRICTS}
    for offset in range(days):
        day = first + timedelta(days=offset)
        todays = rng.choices(cells, weights, k=per_day)
        for s in surges:
            if s.first <= day < s.first + timedelta(days=s.days):
                share = weights[cells.index((s.district, s.category))] / sum(weights) * per_day
                todays += [(s.district, s.category)] * round(share * (s.factor - 1))
        for serial, (district, category) in enumerate(todays):
            at = datetime.combine(day, time(8), LOCAL_TZ) + timedelta(seconds=rng.randrange(12 * 3600))
            lat, lon = places[district]
            yield {"number": f"HS{day:%Y%m%d}{serial:05d}", "unit_code": UNIT, "category": category,
                   "urgency": "一般", "source": "12345", "title": f"{district}{category}", "status": "closed",
                   "cycle": 1, "dispatched_at": at.astimezone(timezone.utc), "deadline_provisional": False,
                   "deadline_explanation": "", "fired_steps": [], "deadline_basis": {}, "co_units": [],
                   "district": district, "latitude": lat + rng.gauss(0, 0.01), "longitude": lon + rng.gauss(0, 0.01)}


def callback_rows(orders: Sequence[dict[str, Any]], *, seed: int = 19, unhappy: dict[str, float] | None = None
                  ) -> list[dict[str, Any]]:
    """A graded callback two days after each order; `unhappy` gives a district's share of 不满意 (default 8 %)."""
    rng = random.Random(seed)
    rows = []
    for o in orders:
        share = (unhappy or {}).get(o["district"], 0.08)
        grade = "不满意" if rng.random() < share else "满意"
        at = o["dispatched_at"] + timedelta(days=2)
        rows.append({"order_number": o["number"], "type": "callback", "at": at, "actor": "bench",
                     "details": {"satisfaction": grade, "solved": grade != "不满意"}, "recorded_at": at})
    return rows


def insert(engine: Engine, orders: Iterator[dict[str, Any]] | Sequence[dict[str, Any]],
           events: Sequence[dict[str, Any]] = ()) -> int:
    """Register the unit once, then bulk-insert BATCH rows a transaction; the number of orders inserted."""
    if not _has_unit(engine):
        engine.register_unit(UNIT, "热点测试单位", ["+8613900000019"])
    count, batch = 0, []
    for row in orders:
        batch.append(row)
        if len(batch) == BATCH:
            count += _write(engine, work_orders, batch)
            batch = []
    count += _write(engine, work_orders, batch)
    for i in range(0, len(events), BATCH):
        _write(engine, order_events, events[i:i + BATCH])
    return count


def _write(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> int:
    if rows:
        with engine.store.transaction() as tx:
            tx.c.execute(table.insert(), rows)
    return len(rows)


def _has_unit(engine: Engine) -> bool:
    with engine.store.reading() as tx:
        return tx.c.execute(sa.select(handling_units.c.code).where(handling_units.c.code == UNIT)).first() is not None
