"""The hotspot statistics on real requests: LA 311, 1–3 January 2020 (shared/data/la311). Each request becomes a
work order in a temporary SQLite database, bulk-inserted: its request type is the category (类型N, the agency in the
legend), its neighbourhood council the district (NC44) and its coordinates the grid cell; the LA wall-clock time is
read as Asia/Shanghai time (as `duban benchmark` re-times the file). Three days allow a one-day window against the
days before it only, so the report is for the windows of 2 and 3 January."""
from __future__ import annotations

import csv
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config.hotspot_loader import HotspotConfig, load_hotspots
from config.settings import Settings
from engine.clock import LOCAL_TZ, VirtualClock
from engine.hotspots.areas import area_of
from engine.hotspots.detect import Hotspot
from engine.persistence.hotspot_store import local_start
from engine.persistence.tables import work_orders
from workflows.bench.hotspot_city import UNIT, insert
from workflows.bootstrap import build_engine
from workflows.dev.la311 import UNITS
from workflows.hotspots import compute

AGENCIES = {code: name for code, (_, name) in UNITS.items()}


def order_row(row: dict[str, str]) -> dict[str, Any]:
    at = datetime.fromisoformat(row["created_date"]).replace(tzinfo=LOCAL_TZ)
    lat = float(row["latitude"]) if row["latitude"] else None
    lon = float(row["longitude"]) if row["longitude"] else None
    return {"number": f"LA{row['request_id']}", "unit_code": UNIT, "category": f"类型{row['type_id']}",
            "urgency": "一般", "source": "12345", "title": row["address"][:500], "status": "closed", "cycle": 1,
            "dispatched_at": at.astimezone(timezone.utc), "deadline_provisional": False, "deadline_explanation": "",
            "fired_steps": [], "deadline_basis": {}, "co_units": [], "address": row["address"][:300],
            "district": f"NC{row['council_id']}" if row["council_id"] else None, "latitude": lat, "longitude": lon}


def legend(path: Path) -> dict[str, str]:
    """类型N → the agencies that handled it, most first."""
    agencies: dict[str, Counter[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            agencies.setdefault(f"类型{row['type_id']}", Counter())[AGENCIES.get(row["agency_id"], "?")] += 1
    return {kind: "、".join(name for name, _ in c.most_common()) for kind, c in sorted(agencies.items())}


def top_address(engine: Any, h: Hotspot, config: HotspotConfig) -> str:
    o = work_orders.c
    with engine.store.reading() as tx:
        found = tx.c.execute(sa.select(o.address, o.district, o.latitude, o.longitude).where(
            o.category == h.category, o.dispatched_at >= local_start(h.window.first),
            o.dispatched_at < local_start(h.window.end))).all()
    places = Counter(address for address, district, lat, lon in found
                     if area_of(district, lat, lon, by=config.area_by, grid_metres=config.grid_metres) == h.area)
    (address, n), = places.most_common(1) or [("-", 0)]
    return f"{address}（{n}件）"


def report_la311(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [order_row(r) for r in csv.DictReader(handle)]
    print(f"\nLA 311 ({path}): {len(rows):,} requests; category legend: "
          + "; ".join(f"{k} {v}" for k, v in legend(path).items()))
    base = load_hotspots()
    one_day = replace(base, rules=replace(base.rules, window_days=(1,)))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'la311.db'}"
        engine = build_engine(replace(Settings.from_env(), worker_id="la311", secret_key="hotspot-benchmark-key"),
                              clock=VirtualClock(datetime(2020, 1, 4, 6, 30, tzinfo=LOCAL_TZ)), database_url=url)
        insert(engine, rows)
        for label, config in (("neighbourhood councils (NC)", one_day),
                              ("1 km grid cells", replace(one_day, area_by="grid", grid_metres=1000))):
            for end in (date(2020, 1, 3), date(2020, 1, 4)):
                [scan] = compute(engine, config, datetime.combine(end, datetime.min.time(), LOCAL_TZ))
                window = scan.window.first
                by = Counter(h.severity for h in scan.hotspots)
                print(f"  {label}, window {window} (baseline {scan.hotspots[0].baseline if scan.hotspots else '-'}"
                      f", from {date(2020, 1, 1)}): {scan.tested} cells tested, {len(scan.hotspots)} surges "
                      f"({by['severe']} 严重, {by['warning']} 较重, {by['notice']} 一般)")
                for h in scan.hotspots[:5]:
                    print(f"    {h.category} {h.area}: {h.count} vs {h.expected:.1f} expected (×{h.ratio:.1f}, "
                          f"p={h.p_value:.1e}); most at {top_address(engine, h, config)}")
        engine.store.engine.dispose()


