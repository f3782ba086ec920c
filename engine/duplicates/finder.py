"""Duplicate candidates at intake (issue 19 item 2), inside the transaction that opens the order: its content is
signed and banded, and in one statement (PostgreSQL) its signature and index keys are stored and its neighbours
read; each neighbour is judged (scoring.py) and the listed ones recorded."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.domain.grid import cells_around, metres_box
from engine.domain.location import OrderLocation
from engine.domain.work_order import WorkOrder
from engine.duplicates import text
from engine.duplicates.scoring import Candidate, DuplicatePolicy, judge
from engine.persistence.duplicate_store import DuplicateRecords, Lookup


def lookup_for(order: WorkOrder, location: OrderLocation, policy: DuplicatePolicy
               ) -> tuple[Lookup, frozenset[str], object]:
    """What the new order's neighbours are sought by; its places named and its content signature (or None)."""
    sig = text.signature(location.content)
    mentions = text.address_mentions(location.content, location.address)
    point = location.has_point
    lookup = Lookup(
        number=order.number, dispatched_at=order.dispatched_at, since=order.dispatched_at - policy.window,
        category=order.category, caller_phone=location.caller_phone, address_key=location.address_key,
        cells=tuple(cells_around(location.latitude, location.longitude, policy.distance_m)) if point else (),
        box=metres_box(location.latitude, location.longitude, policy.distance_m) if point else None,
        bands=tuple(text.bands(sig)) if sig is not None else (), places=tuple(text.mention_bands(mentions)),
        minhash=text.to_bytes(sig) if sig is not None else None)
    return lookup, frozenset(mentions), sig


def look_for_duplicates(records: DuplicateRecords, order: WorkOrder, location: OrderLocation,
                        policy: DuplicatePolicy, at: datetime) -> list[Candidate]:
    lookup, mentions, sig = lookup_for(order, location, policy)
    new = {"number": order.number, "category": order.category, "mentions": mentions, **location.columns()}
    place_keys = dict(zip(sorted(mentions), lookup.places))  # text.mention_bands keys the sorted places
    found = []
    for row in records.index_and_neighbours(lookup):
        similarity = text.similarity(sig, text.from_bytes(row["minhash"])) \
            if sig is not None and row["minhash"] is not None else None
        row["mentions"] = _places_named(row, place_keys)
        candidate = judge(new, row, similarity, policy)
        if candidate is not None:
            found.append(candidate)
    found.sort(key=lambda c: (-c.score, c.number))
    found = found[:policy.limit]
    records.record(order.number, [c.as_dict() for c in found], at)
    return found


def _places_named(row: dict[str, Any], place_keys: dict[str, int]) -> set[str]:
    """What scoring.judge needs of the places a neighbour names, from their stored index keys: by name those it
    shares with the new order; when it names others too, one more element standing for them (judge asks only what
    the two share and whether each names any)."""
    keys = {int(k) for k in row["places"].split(",")} if row["places"] else set()
    shared = {place for place, key in place_keys.items() if key in keys}
    return (shared | {"（其他地点）"}) if len(keys) > len(shared) else shared
