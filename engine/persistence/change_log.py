"""The change log: every order event and action gets a position in commit order, so a reader that remembers the
last position it read (export, the big-data push, the 12315 result push) can never pass a row that commits later.

Positions are handed out at the very end of the writing transaction, from a single-row counter that the
transaction then holds locked until it commits (PostgreSQL: the row lock of the UPDATE; SQLite: writers are
serialized by BEGIN IMMEDIATE anyway). A transaction that stays open for a long time has no position until it
commits, and then gets one after every position already visible; nobody waits on it except for the moment
between taking the positions and committing.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.persistence.tables import metadata

EVENT, ACTION = "event", "action"

change_log = sa.Table(
    "change_log", metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(8), nullable=False),  # event | action
    sa.Column("row_id", sa.Integer, nullable=False),  # order_events.id or actions.id
    sa.Column("order_number", sa.String(64)),
    sa.Index("ix_change_log_kind_row", "kind", "row_id", unique=True),
)

# One row (id 1): the last position handed out.
change_counter = sa.Table(
    "change_counter", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", sa.BigInteger, nullable=False),
)

_TAKE_POSITIONS = (change_counter.update().where(change_counter.c.id == 1)
                   .values(position=change_counter.c.position + sa.bindparam("count"))
                   .returning(change_counter.c.position))
_INSERT_ENTRIES = change_log.insert()


def record_positions(connection: sa.Connection, changes: list[tuple[str, int, str | None]]) -> None:
    """Give `changes` (kind, row id, order number) the next positions, in the order they were written. Call it
    last in the transaction: the counter stays locked until the commit."""
    if not changes:
        return
    last = int(connection.execute(_TAKE_POSITIONS, {"count": len(changes)}).scalar_one())
    first = last - len(changes) + 1
    connection.execute(_INSERT_ENTRIES, [{"position": first + i, "kind": kind, "row_id": row_id,
                                          "order_number": number}
                                         for i, (kind, row_id, number) in enumerate(changes)])


def entries_after(connection: sa.Connection, position: int, limit: int, *, kind: str | None = None,
                  upto: int | None = None) -> list[dict[str, Any]]:
    """Log entries after `position` (and at most `upto`), oldest first."""
    query = sa.select(change_log).where(change_log.c.position > position)
    if kind is not None:
        query = query.where(change_log.c.kind == kind)
    if upto is not None:
        query = query.where(change_log.c.position <= upto)
    return [dict(r) for r in connection.execute(query.order_by(change_log.c.position).limit(limit)).mappings()]


def last_position(connection: sa.Connection) -> int:
    return int(connection.execute(sa.select(sa.func.max(change_log.c.position))).scalar() or 0)


def position_before_legacy(connection: sa.Connection, event_id: int, action_id: int) -> int:
    """Where a cursor of the old form (last event id, last action id) resumes: just before the first row it had
    not covered. Rows after that one that it had covered come again (receivers de-duplicate on their ids)."""
    first = connection.execute(sa.select(sa.func.min(change_log.c.position)).where(sa.or_(
        (change_log.c.kind == EVENT) & (change_log.c.row_id > event_id),
        (change_log.c.kind == ACTION) & (change_log.c.row_id > action_id)))).scalar()
    return int(first) - 1 if first is not None else last_position(connection)
