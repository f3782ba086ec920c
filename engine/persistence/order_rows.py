"""The extras each row of a page of work orders shows: unit name, overdue flag, next timer, active cards and the
instruction flag, read for just the page's orders."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from engine.domain.work_order import WorkOrder
from engine.persistence.account_tables import cards
from engine.persistence.order_filter import OPEN_STATUSES
from engine.persistence.tables import handling_units, instructions, work_orders, workflow_instances


# ---------------------------------------------------------------------------------------- the page's extras
def decorate_rows(connection: sa.Connection, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Add the unit name, overdue flag, next timer, active card colours and instruction flag to each row."""
    if not rows:
        return rows
    numbers = [r["number"] for r in rows]
    names = _unit_names(connection, {r["unit_code"] for r in rows})
    colors = _card_colors(connection, numbers)
    instructed = _instructed(connection, numbers)
    next_due = _next_due(connection, numbers)
    for row in rows:
        number = row["number"]
        row["unit_name"] = names.get(row["unit_code"], row["unit_code"])
        row["overdue"] = is_overdue(row, now)
        row["next_due_at"] = next_due.get(number)
        row["cards"] = colors.get(number, [])
        row["instructed"] = number in instructed
    return rows


def is_overdue(row: Mapping[str, Any], now: datetime) -> bool:
    """Open, held by its unit (not returned: then the hotline owes the next step) and past the deadline."""
    deadline = row.get("deadline_at")
    return (row.get("status") in OPEN_STATUSES and row.get("returned_at") is None and deadline is not None
            and deadline < now)


def _unit_names(connection: sa.Connection, codes: set[str]) -> dict[str, str]:
    query = sa.select(handling_units.c.code, handling_units.c.name).where(handling_units.c.code.in_(sorted(codes)))
    return {code: name for code, name in connection.execute(query)}


# The three look-ups below filter in Python on purpose: their only condition in SQL is the order number, so
# every database reads them through the order-number index (SQLite without statistics would otherwise pick the
# status or withdrawn index and read all waiting instances or all active cards).
def _among(connection: sa.Connection, column: sa.Column[Any], numbers: list[str]) -> ColumnElement[bool]:
    """`column` is one of `numbers`: one array parameter on PostgreSQL (a third of the time of IN with a
    thousand parameters), IN elsewhere."""
    if connection.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("numbers", numbers, type_=postgresql.ARRAY(sa.String)))
    return column.in_(numbers)


def _card_colors(connection: sa.Connection, numbers: list[str]) -> dict[str, list[str]]:
    """Active cards of each order, oldest first (red and yellow may both be shown)."""
    query = (sa.select(cards.c.order_number, cards.c.color, cards.c.withdrawn_at, cards.c.issued_at, cards.c.id)
             .where(_among(connection, cards.c.order_number, numbers)))
    colors: dict[str, list[str]] = {}
    for row in sorted(connection.execute(query), key=lambda r: (r.issued_at, r.id)):
        if row.withdrawn_at is None:
            colors.setdefault(row.order_number, []).append(row.color)
    return colors


def _instructed(connection: sa.Connection, numbers: list[str]) -> set[str]:
    query = sa.select(instructions.c.order_number).where(_among(connection, instructions.c.order_number, numbers))
    return set(connection.execute(query).scalars())


def _next_due(connection: sa.Connection, numbers: list[str]) -> dict[str, datetime]:
    """The earliest timer of each order's waiting instances (its work-order round and its instructions)."""
    wi = workflow_instances.c
    query = sa.select(wi.order_number, wi.status, wi.next_due_at).where(_among(connection, wi.order_number, numbers))
    due: dict[str, datetime] = {}
    for number, status, at in connection.execute(query):
        if status == "waiting" and at is not None and (number not in due or at < due[number]):
            due[number] = at
    return due


def orders_by_number(connection: sa.Connection, numbers: list[str]) -> dict[str, WorkOrder]:
    """The page's orders as WorkOrders (the list's 剩余/超期 and 下一步 columns are worked out from them)."""
    if not numbers:
        return {}
    rows = connection.execute(sa.select(work_orders).where(_among(connection, work_orders.c.number, numbers)))
    return {r["number"]: WorkOrder(**{f: r[f] for f in WorkOrder.__dataclass_fields__}) for r in rows.mappings()}
