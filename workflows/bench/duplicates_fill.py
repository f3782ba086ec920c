"""The benchmark's history of a million orders, bulk-filled with COPY (not through the engine; indexes built after):
synthetic-city orders over three years, each with its grid cell, normalised address, caller, content signature and
bands. The signature of a text made of an opening, a place and a matter is the element-wise minimum of the parts'
signatures, so a million need no word segmentation."""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import sqlalchemy as sa

from engine.clock import LOCAL_TZ
from engine.domain.grid import grid_cell
from engine.domain.location import normalise_address
from engine.duplicates import text
from engine.persistence.duplicate_tables import order_text_bands, order_text_signatures
from engine.persistence.tables import handling_units, work_orders
from workflows.bench import synthetic_city as city

START = datetime(2023, 12, 1, 8, 0, tzinfo=LOCAL_TZ)
BATCH = 10_000
UNIT = "B19"
ROADS = [f"{stem}路" for stem in ("临江 进贤 东山 马牙 城西 金溪 流沙 新风 天福 望江 黄岐 仙桥 梅云 磐东 渔湖 京冈 地都 炮台 "
                                  "月城 玉湖 桂岭 白塔 霖磐 云路 锡场 玉滘 龙尾 新亨 埔田 曲溪 钱坑 棉湖 凤江 金和 五经 京溪 "
                                  "河婆 东园 南山 坪上").split()]


def _parts() -> tuple[list[tuple[str, str, np.ndarray | None]], list[tuple[str, str, np.ndarray]]]:
    """Signatures of the openings and of the matters' phrasings (the places get theirs as they come)."""
    openings = [(o, o, text.signature(o)) for o in city.OPENINGS + city.AGAIN]
    matters = [(kind, p, sig) for kind, (_, phrasings) in city.MATTERS.items() for p in phrasings
               if (sig := text.signature(p)) is not None]
    return openings, matters


def _copy_text(value: Any) -> str:
    """One field of PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")  # stored naive UTC
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _Copier:
    """Rows buffered as COPY text and sent a batch at a time (COPY … FROM STDIN: no statement per row)."""

    def __init__(self, connection: sa.Connection, table: sa.Table, columns: list[str]) -> None:
        self.raw = connection.connection.driver_connection  # psycopg 3
        self.sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        self.lines: list[str] = []

    def add(self, *values: Any) -> None:
        self.lines.append("\t".join(_copy_text(v) for v in values))

    def flush(self) -> None:
        if self.lines:
            with self.raw.cursor() as cursor, cursor.copy(self.sql) as copy:
                copy.write(("\n".join(self.lines) + "\n").encode("utf-8"))
            self.lines = []


_FILLED = (work_orders, order_text_signatures, order_text_bands)
_ORDER_COLUMNS = ["number", "unit_code", "category", "urgency", "source", "title", "status", "cycle", "dispatched_at",
                  "deadline_provisional", "deadline_explanation", "fired_steps", "deadline_basis", "co_units",
                  "content", "address", "address_key", "district", "latitude", "longitude", "caller_phone",
                  "grid_cell"]


def fill(connection: sa.Connection, orders: int, *, progress: Callable[[str], None]) -> dict[str, Any]:
    """`orders` synthetic orders over three years before the measurement, on 40 streets × 400 houses of a city.
    Written with COPY, the secondary indexes dropped before and built after (as a bulk load is done), foreign keys
    not checked row by row (session_replication_role = replica: every row refers to the rows made here)."""
    rng = random.Random(19)
    openings, matters = _parts()
    places: dict[str, tuple[np.ndarray, str, list[int]]] = {}  # place → its signature, address key, place keys
    band_keys: dict[bytes, int] = {}  # a band's number and rows → its key (the phrasings' bands recur)
    connection.execute(handling_units.insert(), [{"code": UNIT, "name": "基准单位", "created_at": START}])
    indexes = connection.execute(sa.text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(:t) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)"), {"t": [t.name for t in _FILLED]}).all()
    for name, _ in indexes:
        connection.execute(sa.text(f'DROP INDEX "{name}"'))
    connection.execute(sa.text("SET session_replication_role = replica"))
    copiers = {"orders": _Copier(connection, work_orders, _ORDER_COLUMNS),
               "sigs": _Copier(connection, order_text_signatures, ["order_number", "minhash"]),
               "bands": _Copier(connection, order_text_bands, ["order_number", "band_no", "band", "dispatched_at"])}
    span = timedelta(days=3 * 365).total_seconds()
    open_from = START + timedelta(days=3 * 365 - 60)
    started = time.perf_counter()
    for n in range(orders):
        at = START + timedelta(seconds=span * n / orders)
        street, house = rng.randrange(40), rng.randrange(1, 400)
        district, road = city.STREETS[street % len(city.STREETS)][0], ROADS[street]
        place = f"{road}{house}号"
        kind, phrasing, matter_sig = rng.choice(matters)
        opening, _, opening_sig = rng.choice(openings)
        address = f"揭阳市{district}{place}"
        if place not in places:
            places[place] = (text.signature(place), normalise_address(address),  # type: ignore[assignment]
                             text.mention_bands(text.address_mentions(place)))
        place_sig, address_key, place_keys = places[place]
        sig = np.minimum.reduce([s for s in (opening_sig, place_sig, matter_sig) if s is not None])
        lat, lng = city._point(street, house)
        number = f"H{n:08d}"
        copiers["orders"].add(
            number, UNIT, city.MATTERS[kind][0], "一般", "12345", "", "closed" if at < open_from else "signed", 1, at,
            False, "", "[]", "[]", "[]", f"{opening}{place}{phrasing}，请尽快处理。", address, address_key, district,
            lat, lng, f"1{rng.choice('3589')}{rng.randrange(10 ** 9):09d}", grid_cell(lat, lng))
        raw = text.to_bytes(sig)
        copiers["sigs"].add(number, raw)
        keys = [band_keys.get(chunk) or band_keys.setdefault(chunk, text.band_key(chunk))
                for chunk in (bytes([band]) + raw[band * 4 * text.ROWS:(band + 1) * 4 * text.ROWS]
                              for band in range(text.BANDS))] + place_keys
        stamp = _copy_text(at)
        copiers["bands"].lines.extend(f"{number}\t{i}\t{k}\t{stamp}" for i, k in enumerate(keys))
        if (n + 1) % BATCH == 0 or n == orders - 1:
            for copier in copiers.values():
                copier.flush()
            connection.commit()
            if (n + 1) % 50_000 == 0 or n == orders - 1:
                elapsed = time.perf_counter() - started
                progress(f"filled {n + 1:,} orders in {elapsed:.0f} s ({(n + 1) / elapsed:,.0f}/s, about "
                         f"{(orders - n - 1) * elapsed / (n + 1):.0f} s to go)")
    connection.execute(sa.text("SET session_replication_role = DEFAULT"))
    for name, definition in indexes:
        began = time.perf_counter()
        connection.execute(sa.text(definition))
        connection.commit()
        progress(f"index {name} built in {time.perf_counter() - began:.0f} s")
    connection.commit()
    raw_connection = connection.connection.driver_connection
    raw_connection.autocommit = True
    raw_connection.execute("VACUUM ANALYZE")  # statistics and the visibility map (index-only scans)
    raw_connection.autocommit = False
    return {"orders": orders, "seconds": time.perf_counter() - started, "end": START + timedelta(days=3 * 365)}
