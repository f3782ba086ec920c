"""The hotspot warning job (热点预警) and the monthly theme list (每月一题).

The worker runs `run_hotspots` daily at config/hotspots.toml's `alert.run_at` (and once on start): each configured
window ending at the start of today is scanned, its run and flags are stored (idempotent per category, area and
window), and a 严重 flag queues one SMS per configured leader through the outbox — once per category and area while
its windows overlap. `compute` does the same reading and statistics without storing (`duban hotspots`).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from config.hotspot_loader import HotspotConfig
from engine.clock import LOCAL_TZ
from engine.hotspots.areas import area_of
from engine.hotspots.detect import SEVERITY_WORDS, YEAR, CountBook, Hotspot, HotspotRules, Scan, detect
from engine.documents.model import Block
from engine.documents.quarterly import quarter_bounds
from engine.hotspots.report import hotspot_blocks
from engine.hotspots.themes import Theme, ThemeFigures, rank_themes
from engine.persistence.hotspot_store import Connected, HotspotRecords
from engine.services import Engine

log = logging.getLogger("duban.hotspots")
TEMPLATE = "hotspot"
PAGE = "/hotspots"


@dataclass(frozen=True)
class HotspotReport:
    at: datetime
    scans: list[Scan]
    notified: list[Hotspot]

    @property
    def hotspots(self) -> list[Hotspot]:
        return [h for scan in self.scans for h in scan.hotspots]


def needed_days(end: date, rules: HotspotRules) -> list[tuple[date, date]]:
    """The day ranges a scan ending on `end` reads: the windows with their trailing weeks, and last year's weeks
    with their margin and the weeks before them (the trend)."""
    first = end - timedelta(days=max(rules.window_days))
    back = timedelta(days=max(rules.year_margin_days, 7 * rules.trailing_weeks))
    return [(first - timedelta(weeks=rules.trailing_weeks), end),
            (first - YEAR - back, end - YEAR + timedelta(days=rules.year_margin_days))]


def area_label(config: HotspotConfig) -> str:
    return "district" if config.area_by == "district" else f"grid:{config.grid_metres}"


def count_book(records: HotspotRecords, end: date, config: HotspotConfig) -> tuple[CountBook, date | None]:
    start = records.history_start()
    if start is None:
        return CountBook(), None
    return read_book(records, needed_days(end, config.rules), config), start


def read_book(records: HotspotRecords, ranges: list[tuple[date, date]], config: HotspotConfig) -> CountBook:
    book = CountBook()
    for category, district, lat, lon, day, n in records.day_counts(ranges, located=config.area_by == "grid"):
        book.add(category, area_of(district, lat, lon, by=config.area_by, grid_metres=config.grid_metres), day, n)
    return book


def window_end(at: datetime) -> date:
    """Windows end at the start of the local day of `at`: they hold whole days only."""
    return at.astimezone(LOCAL_TZ).date()


def compute(engine: Engine, config: HotspotConfig, at: datetime | None = None) -> list[Scan]:
    """The scans of the windows ending on the day of `at` (default: now), nothing stored."""
    end = window_end(at or engine.clock.now())
    with engine.store.reading() as tx:
        book, start = count_book(HotspotRecords(tx), end, config)
    return detect(book, end, start, config.rules) if start else []


def run_hotspots(engine: Engine, config: HotspotConfig, at: datetime | None = None) -> HotspotReport:
    now = engine.clock.now()
    scans = compute(engine, config, at or now)
    notified: list[Hotspot] = []
    with engine.store.transaction() as tx:
        records = HotspotRecords(tx)
        for scan in scans:
            records.save_run(scan, area_label(config), now)
            for h in scan.hotspots:
                flag_id = records.save_flag(h, now)
                if (h.severity == "severe" and config.leaders and not records.notified_nearby(h)
                        and records.mark_notified(flag_id, now)):
                    tx.add_outbox([alert_row(h, flag_id, phone, now) for phone in config.leaders])
                    tx.audit(now, "hotspots", "hotspot.alerted", None, {
                        "category": h.category, "area": h.area, "window": h.window.key, "count": h.count,
                        "expected": round(h.expected, 2), "leaders": len(config.leaders)})
                    notified.append(h)
    report = HotspotReport(now, scans, notified)
    if report.hotspots:
        log.info("hotspots flagged", extra={"flags": len(report.hotspots), "alerted": len(notified)})
    return report


def alert_row(h: Hotspot, flag_id: int, phone: str, at: datetime) -> dict[str, object]:
    return {"key": f"hotspot:{flag_id}:{phone}", "channel": "sms", "order_number": None, "recipient": phone,
            "template": TEMPLATE, "send_at": at, "created_at": at,
            "params": {"area": h.area, "category": h.category, "days": str(h.window.days), "total": str(h.count),
                       "ratio": f"{h.ratio:.1f}", "link": PAGE}}


def severity_words(key: str) -> str:
    return SEVERITY_WORDS.get(key, key)


def month_bounds(month: str) -> tuple[date, date, date]:
    """2026-11 → (2026-10-01, 2026-11-01, 2026-12-01): the month before, the month, the month after."""
    first = date.fromisoformat(f"{month}-01")
    before = (first - timedelta(days=1)).replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return before, first, after


def themes(engine: Engine, config: HotspotConfig, month: str) -> list[Theme]:
    """每月一题 candidates of `month` (YYYY-MM): (category, area) by volume, growth on the month before and the
    share of 不满意 among the month's callbacks."""
    before, first, after = month_bounds(month)
    volume: dict[tuple[str, str], list[int]] = {}
    rated: dict[tuple[str, str], list[int]] = {}

    def area(district: str | None, lat: float | None, lon: float | None) -> str | None:
        return area_of(district, lat, lon, by=config.area_by, grid_metres=config.grid_metres)

    with engine.store.reading() as tx:
        records = HotspotRecords(tx)
        for category, district, lat, lon, day, n in records.day_counts([(before, after)],
                                                                       located=config.area_by == "grid"):
            if (place := area(district, lat, lon)) is not None:
                volume.setdefault((category, place), [0, 0])[int(day >= first)] += n
        for category, district, lat, lon, grade in records.month_callbacks(first, after):
            if (place := area(district, lat, lon)) is not None:
                counts = rated.setdefault((category, place), [0, 0])
                counts[0] += 1
                counts[1] += grade == "不满意"
    figures = [ThemeFigures(category, place, now, then, *rated.get((category, place), [0, 0]))
               for (category, place), (then, now) in volume.items()]
    return rank_themes(figures, min_volume=config.theme_min_volume, limit=config.theme_size)


@dataclass(frozen=True)
class FlagEpisode:
    """A category and area flagged in one or more windows lately: its latest flag and how long it has lasted."""

    latest: dict[str, object]
    windows: int
    since: date

    @property
    def severity_words(self) -> str:
        return severity_words(str(self.latest["severity"]))


def recent_episodes(engine: Engine, at: datetime, days: int = 28) -> list[FlagEpisode]:
    """Flags of the windows starting in the last `days` days, one line per category and area, most severe and
    most recent first."""
    since = window_end(at) - timedelta(days=days)
    with engine.store.reading() as tx:
        flags = HotspotRecords(tx).flags(since=since, limit=2000)
    grouped: dict[tuple[object, object], list[dict[str, object]]] = {}
    for f in flags:  # newest window first
        grouped.setdefault((f["category"], f["area"]), []).append(f)
    episodes = [FlagEpisode(found[0], len(found), min(f["window_first"] for f in found))  # type: ignore[type-var]
                for found in grouped.values()]
    order = {"severe": 0, "warning": 1, "notice": 2}
    episodes.sort(key=lambda e: (-e.latest["window_first"].toordinal(),  # type: ignore[attr-defined]
                                 order.get(str(e.latest["severity"]), 3), e.latest["p_value"]))
    return episodes


def last_run(engine: Engine) -> dict[str, object] | None:
    with engine.store.reading() as tx:
        return HotspotRecords(tx).last_run()


def daily_series(engine: Engine, config: HotspotConfig, cells: list[tuple[str, str]], end: date, days: int = 35
                 ) -> tuple[list[date], dict[tuple[str, str], list[int]]]:
    """Orders a day of each (category, area) over the `days` days before `end`, for the chart."""
    first = end - timedelta(days=days)
    with engine.store.reading() as tx:
        book = read_book(HotspotRecords(tx), [(first, end)], config)
    return ([first + timedelta(days=i) for i in range(days)],
            {cell: book.series(cell[0], cell[1], first, end) for cell in cells})



def quarter_hotspots(records: Connected, label: str) -> tuple[Block, ...]:
    """The quarterly 专报's 热点预警 section: the flags of the windows that started in quarter `label` (2026Q2)."""
    first, following = quarter_bounds(label)
    flags = HotspotRecords(records).flags(since=first.date(), limit=10_000)
    return tuple(hotspot_blocks([f for f in flags if f["window_first"] < following.date()]))
