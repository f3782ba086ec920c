"""Duplicate candidates at intake (issue 19 item 2), inside the transaction that opens the order: its content is
signed and banded, its neighbours read in one query, each judged (scoring.py), and the listed ones recorded."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.domain.location import OrderLocation
from engine.domain.work_order import WorkOrder
from engine.duplicates import text
from engine.domain.grid import cells_around
from engine.duplicates.scoring import Candidate, DuplicatePolicy, judge
from engine.persistence.duplicate_store import DuplicateRecords


def look_for_duplicates(records: DuplicateRecords, order: WorkOrder, location: OrderLocation,
                        policy: DuplicatePolicy, at: datetime) -> list[Candidate]:
    sig = text.signature(location.content)
    mentions = text.address_mentions(location.content, location.address)
    bands = (text.bands(sig) if sig is not None else []) + text.mention_bands(mentions)
    records.index_text(order.number, order.dispatched_at, text.to_bytes(sig) if sig is not None else None, bands)
    new: dict[str, Any] = {"number": order.number, "category": order.category, "mentions": mentions,
                           **location.columns()}
    cells = cells_around(location.latitude, location.longitude, policy.distance_m) if location.has_point else []
    rows = records.neighbours(new, since=order.dispatched_at - policy.window, cells=cells, bands=bands)
    found = []
    for row in rows:
        similarity = text.similarity(sig, text.from_bytes(row["minhash"])) \
            if sig is not None and row["minhash"] is not None else None
        row["mentions"] = text.address_mentions(row["content"], row["address"])
        candidate = judge(new, row, similarity, policy)
        if candidate is not None:
            found.append(candidate)
    found.sort(key=lambda c: (-c.score, c.number))
    found = found[:policy.limit]
    records.record(order.number, [c.as_dict() for c in found], at)
    return found
