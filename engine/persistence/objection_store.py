"""Queries for dispatch objections, co-handling units and hard cases (engine/objection_cases.py)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.persistence.tables import order_events, supervisor_tasks, work_orders

OBJECTION_STATE_EVENTS = ("objected", "objection_decided", "returned", "redispatched", "closed")


def objection_open(connection: sa.Connection, number: str) -> bool:
    """Whether the order's latest return-or-dispatch event is an objection still waiting for the hotline."""
    row = connection.execute(sa.select(order_events.c.type).where(
        order_events.c.order_number == number, order_events.c.type.in_(OBJECTION_STATE_EVENTS))
        .order_by(order_events.c.id.desc()).limit(1)).first()
    return row is not None and row.type == "objected"


def latest_objection(connection: sa.Connection, number: str) -> dict[str, Any] | None:
    row = connection.execute(sa.select(order_events).where(
        order_events.c.order_number == number, order_events.c.type == "objected")
        .order_by(order_events.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def units_dispatched(connection: sa.Connection, number: str) -> list[str]:
    """Every unit the order was dispatched or re-dispatched to, in order (a unit may repeat)."""
    rows = connection.execute(sa.select(order_events.c.details).where(
        order_events.c.order_number == number, order_events.c.type.in_(("dispatched", "redispatched")))
        .order_by(order_events.c.id))
    return [str(details["unit"]) for (details,) in rows if details.get("unit")]


def close_objection_tasks(connection: sa.Connection, number: str, outcome: str, at: datetime, actor: str) -> None:
    """The decision answers the overdue-decision task(s) of the order."""
    connection.execute(supervisor_tasks.update().where(
        supervisor_tasks.c.order_number == number, supervisor_tasks.c.kind == "objection_overdue",
        supervisor_tasks.c.status == "open").values(status="done", outcome=outcome, completed_at=at,
                                                      completed_by=actor))


def hard_cases(connection: sa.Connection, *, open_only: bool = True, limit: int = 200) -> list[dict[str, Any]]:
    query = (sa.select(work_orders.c.number, work_orders.c.title, work_orders.c.unit_code, work_orders.c.status,
                       work_orders.c.hard_case_at, work_orders.c.deadline_at, work_orders.c.cycle)
             .where(work_orders.c.hard_case_at.is_not(None)).order_by(work_orders.c.hard_case_at.desc()).limit(limit))
    if open_only:
        query = query.where(work_orders.c.status != "closed")
    return [dict(r) for r in connection.execute(query).mappings()]


def co_handled_orders(connection: sa.Connection, unit_code: str, limit: int = 200) -> list[dict[str, Any]]:
    """Open orders the unit co-handles (协办), not yet closed. `co_units` is JSON text on both databases; the
    match is on its serialized `"unit": "CODE"` pair (a scan: co-handled orders are few)."""
    needle = f'%"unit": {json.dumps(unit_code)}%'
    query = (sa.select(work_orders.c.number, work_orders.c.title, work_orders.c.deadline_at, work_orders.c.co_units)
             .where(sa.cast(work_orders.c.co_units, sa.Text).like(needle), work_orders.c.status != "closed")
             .order_by(work_orders.c.deadline_at).limit(limit))
    return [dict(r) for r in connection.execute(query).mappings()
            if any(c.get("unit") == unit_code for c in r["co_units"])]
