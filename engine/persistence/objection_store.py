"""Queries for dispatch objections, co-handling units and hard cases (engine/objection_cases.py)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.domain.work_order import Status
from engine.persistence.tables import order_events, supervisor_tasks, work_orders

OPEN_STATUSES = (Status.DISPATCHED, Status.SIGNED, Status.REPLIED)

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
    match is on its serialized `"unit": "CODE"` pair, tested on the open orders only (found by the status index: with
    `status != 'closed'` SQLite walked the deadline index over every order, 0.4 s at 100,000)."""
    needle = f'%"unit": {json.dumps(unit_code)}%'
    query = (sa.select(work_orders.c.number, work_orders.c.title, work_orders.c.deadline_at, work_orders.c.co_units)
             .where(work_orders.c.status.in_(OPEN_STATUSES), sa.cast(work_orders.c.co_units, sa.Text).like(needle))
             .order_by(work_orders.c.deadline_at).limit(limit))
    return [dict(r) for r in connection.execute(query).mappings()
            if any(c.get("unit") == unit_code for c in r["co_units"])]


def objection_figures(connection: sa.Connection, start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Per unit, for orders dispatched or objected in [start, end): how many times orders reached it, its
    objections (退单) and how the hotline decided them. 回退率 = objections accepted / orders that reached it."""
    rows = connection.execute(sa.select(order_events.c.type, order_events.c.details).where(
        order_events.c.type.in_(("dispatched", "redispatched", "objected", "objection_decided")),
        order_events.c.at >= start, order_events.c.at < end)).all()
    figures: dict[str, dict[str, Any]] = {}

    def unit(code: object) -> dict[str, Any]:
        return figures.setdefault(str(code), {"received": 0, "objected": 0, "accepted": 0, "rejected": 0})

    for kind, details in rows:
        if kind in ("dispatched", "redispatched") and details.get("unit"):
            unit(details["unit"])["received"] += 1
        elif kind == "objected" and details.get("unit"):
            unit(details["unit"])["objected"] += 1
        elif kind == "objection_decided" and details.get("from"):
            unit(details["from"])[str(details.get("decision"))] = unit(details["from"]).get(
                str(details.get("decision")), 0) + 1
    for counts in figures.values():
        counts["pending"] = max(counts["objected"] - counts["accepted"] - counts["rejected"], 0)
        counts["return_rate"] = counts["accepted"] / counts["received"] if counts["received"] else None
    return figures


def objections_of(connection: sa.Connection, unit_code: str, start: datetime, end: datetime
                  ) -> list[dict[str, Any]]:
    """The unit's objections in [start, end), each with the hotline's decision (if any) — the orders behind its
    回退率."""
    objected = connection.execute(sa.select(order_events.c.id, order_events.c.order_number, order_events.c.at,
                                            order_events.c.actor, order_events.c.details)
                                  .where(order_events.c.type == "objected", order_events.c.at >= start,
                                         order_events.c.at < end).order_by(order_events.c.at)).mappings().all()
    mine = [dict(r) for r in objected if r["details"].get("unit") == unit_code]
    if not mine:
        return []
    decisions = connection.execute(sa.select(order_events.c.id, order_events.c.order_number, order_events.c.at,
                                             order_events.c.actor, order_events.c.details)
                                   .where(order_events.c.type == "objection_decided",
                                          order_events.c.order_number.in_({m["order_number"] for m in mine}))
                                   .order_by(order_events.c.id)).mappings().all()
    for objection in mine:
        objection["decision"] = next((dict(d) for d in decisions if d["order_number"] == objection["order_number"]
                                      and d["id"] > objection["id"] and d["details"].get("from") == unit_code), None)
    return mine
