"""Reading and writing duplicate candidates (issue 19) inside one transaction: the new order's content signature
and bands, its neighbours (one query: same caller, same address, the grid cells around it, shared bands), the
candidates found, the supervisor's decisions and the `duban duplicates` listing."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.persistence.duplicate_tables import duplicate_candidates, order_text_bands, order_text_signatures
from engine.persistence.tables import work_orders

NEIGHBOUR_LIMIT = 300  # the most recent this many are judged (a busy crossing in a busy month)
_ROW = (work_orders.c.number, work_orders.c.category, work_orders.c.caller_phone, work_orders.c.address_key,
        work_orders.c.latitude, work_orders.c.longitude, work_orders.c.dispatched_at, work_orders.c.status,
        work_orders.c.parent_number, work_orders.c.content, work_orders.c.address)


class DuplicateRecords:
    def __init__(self, connection: sa.Connection) -> None:
        self.c = connection

    def index_text(self, number: str, dispatched_at: datetime, minhash: bytes | None, bands: list[int]) -> None:
        """The content's signature (when it has words) and its index keys: content bands, then places named."""
        if minhash is not None:
            self.c.execute(order_text_signatures.insert(), {"order_number": number, "minhash": minhash})
        if bands:  # one multi-row INSERT: one round trip
            self.c.execute(order_text_bands.insert().values([
                {"order_number": number, "band_no": i, "band": band, "dispatched_at": dispatched_at}
                for i, band in enumerate(bands)]))

    def neighbours(self, new: dict[str, Any], *, since: datetime, cells: list[int], bands: list[int]
                   ) -> list[dict[str, Any]]:
        """Orders that share the caller, or (same category) the address or a nearby grid cell — dispatched since
        `since` or still open — or a content band (dispatched since `since`); with their signatures."""
        recent = sa.or_(work_orders.c.dispatched_at >= since, work_orders.c.status != "closed")
        parts: list[Any] = []
        if new.get("caller_phone"):
            parts.append(sa.select(work_orders.c.number).where(work_orders.c.caller_phone == new["caller_phone"],
                                                               recent))
        if new.get("address_key"):
            parts.append(sa.select(work_orders.c.number).where(
                work_orders.c.address_key == new["address_key"], work_orders.c.category == new["category"], recent))
        if cells:
            parts.append(sa.select(work_orders.c.number).where(
                work_orders.c.grid_cell.in_(cells), work_orders.c.category == new["category"], recent))
        if bands:
            parts.append(sa.select(order_text_bands.c.order_number).where(
                order_text_bands.c.band.in_(bands), order_text_bands.c.dispatched_at >= since))
        if not parts:
            return []
        numbers = sa.union(*parts).subquery()
        query = (sa.select(*_ROW, order_text_signatures.c.minhash)
                 .outerjoin(order_text_signatures, order_text_signatures.c.order_number == work_orders.c.number)
                 .where(work_orders.c.number.in_(sa.select(numbers.c[0])), work_orders.c.number != new["number"])
                 .order_by(work_orders.c.dispatched_at.desc()).limit(NEIGHBOUR_LIMIT))
        return [dict(r) for r in self.c.execute(query).mappings()]

    def record(self, number: str, found: list[dict[str, Any]], at: datetime) -> None:
        if found:
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
