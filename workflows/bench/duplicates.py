"""`duban duplicates-benchmark`: how long finding one new order's duplicate candidates takes with a million orders
in history on PostgreSQL, and what the finder makes of the real LA 311 requests.

The history is bulk-filled with COPY by `duplicates_fill` (not through the engine; indexes built after): synthetic-city orders over three
years, each with its grid cell, normalised address, caller, content signature and bands — the signature of a
text made of an opening, a place and a matter is the element-wise minimum of the parts' signatures, so a million
need no word segmentation. Then new orders (repeats of recent ones and fresh ones) are looked up one by one with
the engine's own code (`engine/duplicates/finder.py`), each committed as an intake is, then removed.
"""
from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.clock import LOCAL_TZ
from engine.domain.location import order_location
from engine.domain.rules import DuplicatePolicy
from engine.domain.work_order import WorkOrder
from engine.duplicates.finder import look_for_duplicates, lookup_for
from engine.persistence.duplicate_store import DuplicateRecords, neighbour_query
from engine.persistence.duplicate_tables import duplicate_candidates, order_text_bands, order_text_signatures
from engine.persistence.tables import handling_units, work_orders
from workflows.bench import synthetic_city as city
from workflows.bench.duplicates_fill import START, UNIT, fill

BENCH_DATABASE = "duban_bench19"


def _server_ms(connection: sa.Connection, order: WorkOrder, location: Any, policy: DuplicatePolicy) -> float:
    """The database's own time for the neighbour query the store sends (EXPLAIN ANALYZE of the same statement and
    parameters, without the writes), without the client's round trips — what a loaded machine's scheduling adds is
    seen beside it."""
    lookup, _, _ = lookup_for(order, location, policy)

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> Any:
        return "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters

    sa.event.listen(connection, "before_cursor_execute", explain, retval=True)
    try:
        result = connection.execute(neighbour_query(lookup.channels()), lookup.params())
        plan = result.cursor.fetchone()[0]
        result.close()
    finally:
        sa.event.remove(connection, "before_cursor_execute", explain)
    return float(plan[0]["Planning Time"] + plan[0]["Execution Time"])


def _backend_cpu(connection: sa.Connection) -> Callable[[], float]:
    """The CPU seconds the connection's PostgreSQL backend has used (from /proc when the server is on this machine,
    in clock ticks: averaged over the lookups); a function giving 0 when it cannot be read."""
    import os

    pid = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    connection.rollback()
    tick = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime

    return used


def _remove_new_orders(connection: sa.Connection, numbers: list[str]) -> None:
    """The measured orders out of the history again."""
    if connection.in_transaction():
        connection.rollback()
    with connection.begin():
        for table, column in ((duplicate_candidates, duplicate_candidates.c.order_number),
                              (order_text_bands, order_text_bands.c.order_number),
                              (order_text_signatures, order_text_signatures.c.order_number),
                              (work_orders, work_orders.c.number)):
            connection.execute(table.delete().where(column.in_(numbers)))


def measure(connection: sa.Connection, samples: int, end: datetime, policy: DuplicatePolicy) -> dict[str, Any]:
    """Time `samples` lookups of new orders at the end of the history: half repeat a recent order (same place,
    other words, another caller), half are new matters. Each committed as an intake is, then removed."""
    rng = random.Random(7)
    _remove_new_orders(connection, list(connection.execute(  # what an interrupted run left
        sa.select(work_orders.c.number).where(work_orders.c.dispatched_at >= end - timedelta(days=1),
                                              work_orders.c.number.like("NEW%"))).scalars()))
    recent = connection.execute(sa.select(work_orders.c.number, work_orders.c.category, work_orders.c.address,
                                          work_orders.c.latitude, work_orders.c.longitude, work_orders.c.content)
                                .where(work_orders.c.dispatched_at >= end - timedelta(days=20))
                                .order_by(work_orders.c.number).limit(5_000)).all()
    connection.commit()
    times: list[float] = []
    found: list[int] = []
    server: list[float] = []
    round_trips: list[float] = []
    client_cpu = backend_cpu = 0.0
    backend = _backend_cpu(connection)
    for i in range(samples):
        if i % 2 == 0:
            base = rng.choice(recent)
            kind = next(k for k, (c, _) in city.MATTERS.items() if c == base.category)
            location = order_location(content=f"又有市民反映{base.content.split('号')[0].split('称')[-1]}号附近"
                                              f"{rng.choice(city.MATTERS[kind][1])}", address=None,
                                      latitude=base.latitude + 2e-4, longitude=base.longitude, system="WGS-84",
                                      caller_phone="13800000000")
            category = base.category
        else:
            street, house = rng.randrange(40), rng.randrange(430, 630)  # over 240 m past any history order
            lat, lng = city._point(street, house)
            kind = rng.choice(list(city.MATTERS))
            category = city.MATTERS[kind][0]
            location = order_location(content=f"来电人反映{house}号{rng.choice(city.MATTERS[kind][1])}",
                                      address=f"测试路{house}号", latitude=lat, longitude=lng, system="WGS-84",
                                      caller_phone=f"13{rng.randrange(10 ** 9):09d}")
        order = WorkOrder(f"NEW{i:06d}", UNIT, category, "一般", "12345", end)
        row = {**{k: getattr(order, k) for k in ("number", "unit_code", "category", "urgency", "source",
                                                  "dispatched_at", "status", "cycle", "deadline_provisional",
                                                  "deadline_explanation", "fired_steps", "deadline_basis")},
               "title": "", "co_units": [], **location.columns()}
        try:
            with connection.begin():  # committed as an intake is (a rollback would make psycopg forget its
                connection.execute(work_orders.insert(), row)  # prepared statements), removed again below
                backend_before, cpu_before = backend(), time.process_time()
                began = time.perf_counter()
                candidates = look_for_duplicates(DuplicateRecords(connection), order, location, policy, end)
                times.append((time.perf_counter() - began) * 1000)
                client_cpu += time.process_time() - cpu_before
                backend_cpu += backend() - backend_before
                found.append(len(candidates))
            with connection.begin():
                server.append(_server_ms(connection, order, location, policy))
                began = time.perf_counter()
                connection.execute(sa.text("SELECT 1")).all()
                round_trips.append((time.perf_counter() - began) * 1000)
        finally:
            _remove_new_orders(connection, [order.number])
    times.sort()
    server.sort()
    return {"samples": samples, "p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))],
            "p99": times[int(0.99 * (len(times) - 1))], "max": times[-1],
            "server_p50": statistics.median(server), "server_p95": server[int(0.95 * (len(server) - 1))],
            "round_trip_p50": statistics.median(round_trips),
            "client_cpu_ms": client_cpu * 1000 / samples, "backend_cpu_ms": backend_cpu * 1000 / samples,
            "repeats_found": sum(1 for i, n in enumerate(found) if i % 2 == 0 and n > 0) / max(1, (samples + 1) // 2),
            "fresh_with_candidates": sum(1 for i, n in enumerate(found) if i % 2 == 1 and n > 0) / max(1, samples // 2)}


def la311_run(path: Any, policy: DuplicatePolicy) -> dict[str, Any]:
    """The finder over the real LA 311 requests (1–3 January 2020) in the order they came: their addresses and
    WGS-84 points, the request type's category; no caller or text is published. Returns the groups found."""
    import csv

    from engine.persistence.tables import metadata
    from workflows.dev.la311 import CATEGORY_OF_TYPE

    db = sa.create_engine("sqlite://")
    metadata.create_all(db)
    with path.open(encoding="utf-8", newline="") as handle:
        requests = sorted(csv.DictReader(handle), key=lambda r: (r["created_date"], r["srnumber"]))
    pairs: list[dict[str, Any]] = []
    facts: dict[str, dict[str, Any]] = {}
    times = []
    with db.connect() as connection:
        connection.execute(handling_units.insert(), [{"code": UNIT, "name": "LA", "created_at": START}])
        for r in requests:
            at = datetime.fromisoformat(r["created_date"]).replace(tzinfo=LOCAL_TZ)
            lat, lng = (float(r["latitude"]), float(r["longitude"])) if r["latitude"] else (None, None)
            location = order_location(address=r["address"][:300] or None, district=f"council {r['council_id']}",
                                      latitude=lat, longitude=lng, system="WGS-84" if lat is not None else None)
            category = CATEGORY_OF_TYPE.get(r["type_id"], "咨询")
            order = WorkOrder(r["srnumber"], UNIT, category, "一般", "12345", at)
            closed = r["closed_date"] and datetime.fromisoformat(r["closed_date"]).replace(tzinfo=LOCAL_TZ) <= at
            connection.execute(work_orders.insert(), {
                "number": order.number, "unit_code": UNIT, "category": category, "urgency": "一般", "source": "12345",
                "title": "", "status": "closed" if closed else "signed", "cycle": 1, "dispatched_at": at,
                "deadline_provisional": False, "deadline_explanation": "", "fired_steps": [], "deadline_basis": [],
                "co_units": [], **location.columns()})
            began = time.perf_counter()
            found = look_for_duplicates(DuplicateRecords(connection), order, location, policy, at)
            times.append((time.perf_counter() - began) * 1000)
            facts[order.number] = {"type": r["type_id"], "address": r["address"], "at": r["created_date"]}
            pairs += [{"order": order.number, **c.as_dict()} for c in found]
        connection.commit()
    groups = _groups(pairs)
    times.sort()
    examples = [{"orders": [{"number": n, **facts[n]} for n in sorted(g, key=lambda n: facts[n]["at"])],
                 "reasons": sorted({x for p in pairs if p["order"] in g for x in p["reasons"]})}
                for g in sorted(groups, key=len, reverse=True)[:5]]
    return {"requests": len(requests), "pairs": len(pairs), "groups": len(groups),
            "orders_in_groups": sum(len(g) for g in groups), "largest": max((len(g) for g in groups), default=0),
            "p95_ms": times[int(0.95 * (len(times) - 1))] if times else 0.0, "examples": examples}


def _groups(pairs: list[dict[str, Any]]) -> list[set[str]]:
    """Orders linked by candidate pairs, as connected groups."""
    root: dict[str, str] = {}

    def find(n: str) -> str:
        while root.setdefault(n, n) != n:
            n = root[n]
        return n

    for p in pairs:
        a, b = find(p["order"]), find(p["candidate"])
        if a != b:
            root[max(a, b)] = min(a, b)
    groups: dict[str, set[str]] = {}
    for n in list(root):
        groups.setdefault(find(n), set()).add(n)
    return [g for g in groups.values() if len(g) > 1]


def _load() -> tuple[float, float, float]:
    import os

    return os.getloadavg()


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def prepare_database(url: str) -> sa.Engine:
    """The benchmark's own PostgreSQL database (created when missing, emptied when not); never `test`."""
    from engine.domain.errors import InvalidInput
    from engine.persistence.tables import metadata

    target = sa.engine.make_url(url)
    if target.get_backend_name() != "postgresql":
        raise InvalidInput("the duplicate benchmark measures PostgreSQL: give postgresql://user@host/duban_bench19")
    if target.database in (None, "", "test", "postgres"):
        raise InvalidInput(f"use a database of its own for the benchmark (e.g. {BENCH_DATABASE}), not "
                           f"{target.database!r}: it is emptied")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"),
                                  {"d": target.database}).first():
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    db = sa.create_engine(target)
    metadata.drop_all(db)
    metadata.create_all(db)
    return db


def _kept_history(url: str, orders: int) -> sa.Engine:
    """--keep-history: the database an earlier run filled with `orders` orders, as it is (no refill)."""
    from engine.domain.errors import InvalidInput

    db = sa.create_engine(url)
    try:
        with db.connect() as connection:
            held = connection.execute(sa.select(sa.func.count()).select_from(work_orders)
                                      .where(work_orders.c.unit_code == UNIT,
                                             work_orders.c.number.not_like("NEW%"))).scalar()
    except sa.exc.DBAPIError:
        held = None
    if held != orders:
        db.dispose()
        raise InvalidInput(f"--keep-history: {sa.engine.make_url(url).database} holds {held} benchmark orders, "
                           f"not {orders:,}: run once without it to fill the history")
    return db


def main(orders: int, samples: int, url: str | None, la311_path: Any, out: Callable[[str], None],
         progress: Callable[[str], None], keep_history: bool = False) -> int:
    policy = DuplicatePolicy()
    if url:
        db = _kept_history(url, orders) if keep_history else prepare_database(url)
        with db.connect() as connection:
            if keep_history:
                filled = {"end": START + timedelta(days=3 * 365)}
                out(f"history: the {orders:,} orders an earlier run filled ({sa.engine.make_url(url).database} "
                    f"on PostgreSQL)")
            else:
                filled = fill(connection, orders, progress=progress)
                out(f"history: {filled['orders']:,} orders over 3 years bulk-filled in {filled['seconds']:.0f} s "
                    f"({sa.engine.make_url(url).database} on PostgreSQL)")
            for key, size in (("work_orders", "ix_work_orders_grid_category_dispatched"),
                              ("order_text_bands", "ix_order_text_bands_band_dispatched_order")):
                count = connection.execute(sa.text(f"SELECT count(*) FROM {key}")).scalar()
                index = connection.execute(sa.text("SELECT pg_size_pretty(pg_relation_size(:i))"), {"i": size}).scalar()
                out(f"  {key}: {count:,} rows; index {size}: {index}")
            measure(connection, 20, filled["end"], policy)  # warm the caches and jieba
            m = measure(connection, samples, filled["end"], policy)
        db.dispose()
        out(f"candidates for one new order ({m['samples']} lookups, half repeats of a recent order): "
            f"p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms, p99 {m['p99']:.1f} ms, max {m['max']:.1f} ms "
            f"(goal: p95 <= 20 ms); repeats found {m['repeats_found']:.0%}, new matters with a candidate "
            f"{m['fresh_with_candidates']:.0%}")
        out(f"  the neighbour query inside PostgreSQL (EXPLAIN ANALYZE, planning + execution): p50 "
            f"{m['server_p50']:.2f} ms, p95 {m['server_p95']:.2f} ms; one empty round trip (SELECT 1) on this "
            f"machine now: p50 {m['round_trip_p50']:.1f} ms (a lookup makes 1, 2 when it records candidates)")
        out(f"  CPU per lookup: {m['client_cpu_ms']:.1f} ms in Duban, {m['backend_cpu_ms']:.1f} ms in its PostgreSQL "
            f"backend (0 when not on this machine); load average {' '.join(f'{x:.1f}' for x in _load())} "
            f"on {_cores()} cores")
    if la311_path is not None:
        r = la311_run(la311_path, policy)
        out(f"LA 311 ({r['requests']:,} real requests, 1-3 Jan 2020; addresses and points, no text or caller): "
            f"{r['pairs']:,} candidate pairs in {r['groups']:,} duplicate groups covering {r['orders_in_groups']:,} "
            f"requests (largest {r['largest']}); p95 {r['p95_ms']:.1f} ms a lookup on SQLite")
        for i, example in enumerate(r["examples"], start=1):
            members = "; ".join(f"{o['number']} type {o['type']} {o['at']} {o['address']}" for o in example["orders"][:4])
            more = f" (+{len(example['orders']) - 4} more)" if len(example["orders"]) > 4 else ""
            out(f"  group {i} ({len(example['orders'])} requests; {'、'.join(example['reasons'])}): {members}{more}")
    return 0
