"""Reading and writing duplicate candidates (issue 19) inside one transaction: the new order's content signature
and bands, its neighbours (one query: same caller, same address, the grid cells around it, shared bands), the
candidates found, the supervisor's decisions and the `duban duplicates` listing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from engine.duplicates.text import BANDS
from engine.persistence.duplicate_tables import duplicate_candidates, order_text_bands, order_text_signatures
from engine.persistence.tables import UtcDateTime, work_orders

NEIGHBOUR_LIMIT = 200  # the most recent this many are judged (a busy crossing in a busy month)
CONTENT_LIMIT = 10  # of the orders sharing content bands, those sharing the most (the likeliest similar) are judged
# each neighbour with its signature and the index keys of the places it names ("k1,k2": its keys after its
# content bands, if it has a signature), so the places two orders share are compared by key, not by reading the
# content again
_PLACES = (sa.select(sa.func.aggregate_strings(sa.cast(order_text_bands.c.band, sa.String), ","))
           .where(order_text_bands.c.order_number == work_orders.c.number,
                  order_text_bands.c.band_no >= sa.case((order_text_signatures.c.minhash.is_(None), 0), else_=BANDS))
           .scalar_subquery().label("places"))
_ROW = (work_orders.c.number, work_orders.c.category, work_orders.c.caller_phone, work_orders.c.address_key,
        work_orders.c.latitude, work_orders.c.longitude, order_text_signatures.c.minhash, _PLACES)
_BANDS = sa.bindparam("bands", expanding=True)
_SINCE = sa.bindparam("since", type_=UtcDateTime())
_OPEN = sa.text("work_orders.status <> 'closed'")  # a literal: the partial index's own condition


@dataclass(frozen=True)
class Lookup:
    """What the neighbours of a new order are sought by (finder.py): its caller, address key and category, the grid
    cells around its point with the box of the distance, its content bands and the places it names (index keys)."""
    number: str
    dispatched_at: datetime
    since: datetime
    category: str
    caller_phone: str | None = None
    address_key: str | None = None
    cells: tuple[int, ...] = ()
    box: tuple[float, float, float, float] | None = None  # south, north, west, east
    bands: tuple[int, ...] = ()  # content bands (LSH)
    places: tuple[int, ...] = ()  # one key per street and number named
    minhash: bytes | None = None

    def channels(self) -> tuple[str, ...]:
        present = {"caller": self.caller_phone, "address": self.address_key, "near": self.cells and self.box,
                   "content": self.bands, "places": self.places}
        return tuple(name for name, value in present.items() if value)

    def params(self) -> dict[str, Any]:
        south, north, west, east = self.box or (0.0, 0.0, 0.0, 0.0)
        return {"number": self.number, "since": self.since, "category": self.category, "caller": self.caller_phone,
                "address_key": self.address_key, "cells": list(self.cells), "south": south, "north": north,
                "west": west, "east": east, "bands": list(self.bands), "places": list(self.places)}


@lru_cache(maxsize=64)
def neighbour_query(channels: tuple[str, ...]) -> sa.Select[Any]:
    """One statement for the channels a new order has (built once per combination; parameters bound at each call):
    orders that share the caller, or (same category) the address or a point inside the distance's box — dispatched
    since `since` or still open —, orders naming one of its places, and the CONTENT_LIMIT orders sharing the most
    content bands (both since `since`); with the columns the judging needs, the newest NEIGHBOUR_LIMIT."""
    w, b = work_orders, order_text_bands
    recent = sa.or_(w.c.dispatched_at >= _SINCE, _OPEN)
    same_category = w.c.category == sa.bindparam("category")
    parts: list[Any] = []
    if "caller" in channels:
        parts.append(sa.select(w.c.number).where(w.c.caller_phone == sa.bindparam("caller"), recent))
    if "address" in channels:
        parts.append(sa.select(w.c.number).where(w.c.address_key == sa.bindparam("address_key"), same_category,
                                                 recent))
    if "near" in channels:  # the window's orders, then the older open ones (each an index range, 0023)
        near = (w.c.grid_cell.in_(sa.bindparam("cells", expanding=True)), same_category,
                w.c.latitude.between(sa.bindparam("south"), sa.bindparam("north")),
                w.c.longitude.between(sa.bindparam("west"), sa.bindparam("east")))
        parts.append(sa.select(w.c.number).where(*near, w.c.dispatched_at >= _SINCE))
        parts.append(sa.select(w.c.number).where(*near, _OPEN))
    if "places" in channels:
        parts.append(sa.select(b.c.order_number).where(b.c.band.in_(sa.bindparam("places", expanding=True)),
                                                       b.c.dispatched_at >= _SINCE))
    if "content" in channels:
        best = (sa.select(b.c.order_number).where(b.c.band.in_(_BANDS), b.c.dispatched_at >= _SINCE)
                .group_by(b.c.order_number).order_by(sa.func.count().desc(), b.c.order_number.desc())
                .limit(CONTENT_LIMIT).subquery("best"))
        parts.append(sa.select(best.c.order_number))
    numbers = sa.union(*parts).subquery("numbers")
    return (sa.select(*_ROW)
            .outerjoin(order_text_signatures, order_text_signatures.c.order_number == w.c.number)
            .where(w.c.number.in_(sa.select(numbers.c[0])), w.c.number != sa.bindparam("number"))
            .order_by(w.c.dispatched_at.desc()).limit(NEIGHBOUR_LIMIT))


@lru_cache(maxsize=4)
def _index_ctes(with_signature: bool) -> tuple[Any, ...]:
    """PostgreSQL: the new order's signature and index keys written by the statement that reads its neighbours
    (data-modifying CTEs: one round trip; the read does not see them, and need not)."""
    from sqlalchemy.dialects import postgresql

    keys = sa.func.unnest(sa.bindparam("keys", type_=postgresql.ARRAY(sa.BigInteger))).table_valued(
        "key", with_ordinality="ordinal").render_derived()
    rows = sa.select(sa.bindparam("number", type_=sa.String), sa.cast(keys.c.ordinal - 1, sa.SmallInteger),
                     keys.c.key, sa.bindparam("at", type_=UtcDateTime()))
    ctes = [order_text_bands.insert().from_select(["order_number", "band_no", "band", "dispatched_at"], rows)
            .cte("new_bands")]
    if with_signature:
        ctes.append(order_text_signatures.insert().values(order_number=sa.bindparam("number"),
                                                          minhash=sa.bindparam("minhash")).cte("new_signature"))
    return tuple(ctes)


@lru_cache(maxsize=64)
def _writing_neighbour_query(channels: tuple[str, ...], with_signature: bool) -> sa.Select[Any]:
    return neighbour_query(channels).add_cte(*_index_ctes(with_signature))


class DuplicateRecords:
    def __init__(self, connection: sa.Connection) -> None:
        self.c = connection

    def index_and_neighbours(self, lookup: Lookup) -> list[dict[str, Any]]:
        """Store the new order's signature and index keys (content bands, then places) and read its neighbours —
        one statement on PostgreSQL, the writes first elsewhere (SQLite has no data-modifying CTE, and no round
        trips to save)."""
        keys = list(lookup.bands) + list(lookup.places)
        channels = lookup.channels()
        if not channels:  # no caller, address, point or words: nothing to write or read
            return []
        params = lookup.params()
        if self.c.dialect.name == "postgresql" and keys:
            query = _writing_neighbour_query(channels, lookup.minhash is not None)
            params.update(keys=keys, at=lookup.dispatched_at, minhash=lookup.minhash)
        else:
            if keys:
                self.index_text(lookup.number, lookup.dispatched_at, lookup.minhash, keys)
            query = neighbour_query(channels)
        return [dict(r) for r in self.c.execute(query, params).mappings()]

    def index_text(self, number: str, dispatched_at: datetime, minhash: bytes | None, bands: list[int]) -> None:
        """The content's signature (when it has words) and its index keys: content bands, then places named."""
        if minhash is not None:
            self.c.execute(order_text_signatures.insert(), {"order_number": number, "minhash": minhash})
        if bands:
            self.c.execute(order_text_bands.insert(), [
                {"order_number": number, "band_no": i, "band": band, "dispatched_at": dispatched_at}
                for i, band in enumerate(bands)])

    def record(self, number: str, found: list[dict[str, Any]], at: datetime) -> None:
        if found:  # one multi-row INSERT (executemany would send a statement per row)
            self.c.execute(duplicate_candidates.insert().values([
                {"order_number": number, "candidate_number": f["candidate"], "score": f["score"],
                 "reasons": f["reasons"], "found_at": at, "status": "open"} for f in found]))

    def for_order(self, number: str) -> list[dict[str, Any]]:
        """The pairs this order is in (found at its intake, or a later order's), best first, with the other order's
        title, status, unit and parent."""
        other = sa.case((duplicate_candidates.c.order_number == number, duplicate_candidates.c.candidate_number),
                        else_=duplicate_candidates.c.order_number).label("other")
        rows = self.c.execute(
            sa.select(duplicate_candidates, other)
            .where(sa.or_(duplicate_candidates.c.order_number == number,
                          duplicate_candidates.c.candidate_number == number))
            .order_by(duplicate_candidates.c.score.desc(), duplicate_candidates.c.id)).mappings().all()
        facts = {r.number: dict(r) for r in self.c.execute(sa.select(
            work_orders.c.number, work_orders.c.title, work_orders.c.status, work_orders.c.unit_code,
            work_orders.c.dispatched_at, work_orders.c.parent_number, work_orders.c.address)
            .where(work_orders.c.number.in_([r["other"] for r in rows]))).mappings()}
        return [{**dict(r), "other_order": facts.get(r["other"], {})} for r in rows]

    def get(self, candidate_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        query = sa.select(duplicate_candidates).where(duplicate_candidates.c.id == candidate_id)
        row = self.c.execute(query.with_for_update() if lock else query).mappings().first()
        return dict(row) if row else None

    def decide(self, candidate_id: int, status: str, actor: str, at: datetime) -> None:
        self.c.execute(duplicate_candidates.update().where(duplicate_candidates.c.id == candidate_id)
                       .values(status=status, decided_by=actor, decided_at=at))

    def pairs_since(self, since: datetime | None) -> list[dict[str, Any]]:
        """Every pair found, in the order found, with the newer order's dispatch time; only those of orders
        dispatched from `since` when given."""
        query = (sa.select(duplicate_candidates.c.order_number, duplicate_candidates.c.candidate_number,
                           duplicate_candidates.c.score, duplicate_candidates.c.reasons,
                           duplicate_candidates.c.status, work_orders.c.dispatched_at)
                 .join(work_orders, work_orders.c.number == duplicate_candidates.c.order_number))
        if since is not None:
            query = query.where(work_orders.c.dispatched_at >= since)
        return [dict(r) for r in self.c.execute(query.order_by(duplicate_candidates.c.id)).mappings()]

    # --- merging (并单) ---------------------------------------------------------------------------------------
    def set_parent(self, number: str, parent: str | None, at: datetime | None) -> None:
        self.c.execute(work_orders.update().where(work_orders.c.number == number)
                       .values(parent_number=parent, merged_at=at))

    def parent_of(self, number: str) -> tuple[str, datetime] | None:
        row = self.c.execute(sa.select(work_orders.c.parent_number, work_orders.c.merged_at)
                             .where(work_orders.c.number == number)).first()
        return (row[0], row[1]) if row is not None and row[0] is not None else None

    def children_of(self, number: str) -> list[str]:
        return list(self.c.execute(sa.select(work_orders.c.number).where(work_orders.c.parent_number == number)
                                   .order_by(work_orders.c.merged_at, work_orders.c.number)).scalars())

    def settle_pair(self, a: str, b: str, status: str, actor: str, at: datetime) -> None:
        """The open candidate pair of these two orders (either way round), if any, gets the decision."""
        pair = sa.or_(sa.and_(duplicate_candidates.c.order_number == a, duplicate_candidates.c.candidate_number == b),
                      sa.and_(duplicate_candidates.c.order_number == b, duplicate_candidates.c.candidate_number == a))
        self.c.execute(duplicate_candidates.update().where(pair, duplicate_candidates.c.status == "open")
                       .values(status=status, decided_by=actor, decided_at=at))
