"""Reading order counts for the hotspot warning and keeping its runs and flags. Flags are upserted by (category,
area, window), so computing a window again (another worker, a restart, `duban hotspots`) changes no count of them,
and a flag's leaders are told once (notified_at set by a guarded UPDATE, outbox rows keyed by flag and phone)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.clock import LOCAL_TZ
from engine.hotspots.detect import Hotspot, Scan, Window
from engine.persistence.hotspot_tables import hotspot_flags, hotspot_runs
from engine.persistence.tables import order_events, work_orders

# Asia/Shanghai has kept UTC+8 all year since 1991: a local day is the UTC time plus 8 hours, cut to a date
_OFFSET = "+8 hours"


def local_start(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL_TZ)


def _day(column: Any, is_postgres: bool) -> Any:
    if is_postgres:
        return sa.cast(column + sa.literal_column("interval '8 hours'"), sa.Date)
    return sa.func.date(column, _OFFSET)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class Connected(Protocol):
    """A transaction's connection and dialect: a SqlTransaction, or the records object of another store."""

    c: sa.Connection
    is_postgres: bool


class HotspotRecords:
    def __init__(self, tx: Connected) -> None:
        self.c = tx.c
        self.is_postgres = tx.is_postgres

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self.is_postgres else sqlite.insert)(table)

    # --- reading orders -------------------------------------------------------------------
    def history_start(self) -> date | None:
        """The local day of the first order held: how far back a baseline can reach."""
        first = self.c.execute(sa.select(sa.func.min(work_orders.c.dispatched_at))).scalar()
        return first.astimezone(LOCAL_TZ).date() if first else None

    def day_counts(self, ranges: list[tuple[date, date]], *, located: bool
                   ) -> Iterator[tuple[str, str | None, float | None, float | None, date, int]]:
        """(category, district, latitude, longitude, local day, orders) of orders dispatched in the [first, end) day
        ranges. By district the database counts; `located` reads each order's coordinates (grid cells)."""
        o = work_orders.c
        day = _day(o.dispatched_at, self.is_postgres).label("day")
        within = sa.or_(*(sa.and_(o.dispatched_at >= local_start(a), o.dispatched_at < local_start(b))
                          for a, b in ranges))
        if located:
            query = (sa.select(o.category, o.district, o.latitude, o.longitude, day)
                     .where(within, o.latitude.is_not(None), o.longitude.is_not(None)))
            for category, district, lat, lon, when in self.c.execute(query):
                yield category, district, lat, lon, _as_date(when), 1
            return
        query = (sa.select(o.category, o.district, day, sa.func.count()).where(within)
                 .group_by(o.category, o.district, day))
        for category, district, when, n in self.c.execute(query):
            yield category, district, None, None, _as_date(when), int(n)

    def month_callbacks(self, first: date, end: date) -> Iterator[tuple[str, str | None, float | None, float | None,
                                                                         str]]:
        """(category, district, latitude, longitude, grade) of the callbacks recorded in [first, end)."""
        o, e = work_orders.c, order_events.c
        grade = e.details["satisfaction"].as_string()
        query = (sa.select(o.category, o.district, o.latitude, o.longitude, grade)
                 .join(order_events, e.order_number == o.number)
                 .where(e.type == "callback", e.at >= local_start(first), e.at < local_start(end)))
        for category, district, lat, lon, given in self.c.execute(query):
            if given:
                yield category, district, lat, lon, given

    # --- runs and flags -------------------------------------------------------------------
    def save_run(self, scan: Scan, area_by: str, at: datetime) -> None:
        values = {"tested": scan.tested, "flagged": len(scan.hotspots), "threshold": scan.threshold,
                  "computed_at": at}
        self.c.execute(self._insert(hotspot_runs).values(
            window_first=scan.window.first, window_days=scan.window.days, area_by=area_by, **values)
            .on_conflict_do_update(index_elements=["window_first", "window_days", "area_by"], set_=values))

    def save_flag(self, h: Hotspot, at: datetime) -> int:
        """Insert or refresh the flag; its id."""
        figures = {"count": h.count, "expected": h.expected, "ratio": h.ratio, "p_value": h.p_value, "z": h.z,
                   "baseline": h.baseline, "severity": h.severity, "computed_at": at}
        statement = (self._insert(hotspot_flags).values(
            category=h.category, area=h.area, window_first=h.window.first, window_days=h.window.days,
            first_computed_at=at, **figures)
            .on_conflict_do_update(index_elements=["category", "area", "window_first", "window_days"], set_=figures)
            .returning(hotspot_flags.c.id))
        return int(self.c.execute(statement).scalar_one())

    def notified_nearby(self, h: Hotspot) -> bool:
        """Were the leaders told of this category and area for a window that overlaps this one?"""
        rows = self.c.execute(sa.select(hotspot_flags.c.window_first, hotspot_flags.c.window_days).where(
            hotspot_flags.c.category == h.category, hotspot_flags.c.area == h.area,
            hotspot_flags.c.notified_at.is_not(None), hotspot_flags.c.window_first < h.window.end,
            hotspot_flags.c.window_first >= h.window.first - timedelta(days=366)))
        return any(Window(_as_date(first), days).overlaps(h.window) for first, days in rows)

    def mark_notified(self, flag_id: int, at: datetime) -> bool:
        """True for the one transaction that marks it (another worker computing the same window gets False)."""
        return bool(self.c.execute(hotspot_flags.update().where(
            hotspot_flags.c.id == flag_id, hotspot_flags.c.notified_at.is_(None)).values(notified_at=at)).rowcount)

    def flags(self, *, since: date | None = None, window_days: int | None = None, limit: int = 200
              ) -> list[dict[str, Any]]:
        """Flags, newest window first, then most surprising."""
        f = hotspot_flags.c
        query = sa.select(hotspot_flags)
        if since is not None:
            query = query.where(f.window_first >= since)
        if window_days is not None:
            query = query.where(f.window_days == window_days)
        query = query.order_by(f.window_first.desc(), f.p_value, f.count.desc(), f.category, f.area).limit(limit)
        return [{**dict(r), "window_first": _as_date(r["window_first"])} for r in self.c.execute(query).mappings()]

    def last_run(self) -> dict[str, Any] | None:
        row = self.c.execute(sa.select(hotspot_runs).order_by(hotspot_runs.c.window_first.desc(),
                                                              hotspot_runs.c.computed_at.desc())).mappings().first()
        return {**dict(row), "window_first": _as_date(row["window_first"])} if row else None
