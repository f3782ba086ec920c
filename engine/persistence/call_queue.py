"""The supervisor's call queue: the open tasks with what a call needs (the order, its unit and the unit's contacts),
most overdue and most urgent first, a page at a time, with counts per kind."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.domain.work_order import WorkOrder
from engine.persistence.tables import handling_units, supervisor_tasks, unit_contacts, work_orders

PAGE_SIZE = 20
_URGENCY_RANK_WITHOUT_ORDER = 2  # a task without an order sorts as the least urgent (as 一般)
_URGENCY_RANK = sa.case((work_orders.c.urgency == "特急", 0), (work_orders.c.urgency == "紧急", 1),
                        else_=_URGENCY_RANK_WITHOUT_ORDER)
_ORDER_FIELDS = list(WorkOrder.__dataclass_fields__)


def queue_page(connection: sa.Connection, *, page: int = 1, size: int = PAGE_SIZE,
               kind: str | None = None) -> list[dict[str, Any]]:
    """One page of open tasks: the most overdue order first (its deadline earliest), then the most urgent, then the
    oldest task. Each row has the task's fields, `order` (a WorkOrder or None), `unit_name` and `contacts`.

    Two steps, so the page never reads all orders: the open tasks (a few per open order) are sorted by their order's
    deadline and urgency, each looked up once a task in the order's primary key (`_sort_keys`; PostgreSQL had
    hash-joined over every work order: 300 ms at 100,000 orders), and only the page's tasks are then read whole with
    their orders."""
    keyed = _sort_keys(connection)
    urgency = sa.func.coalesce(keyed.c.rank, _URGENCY_RANK_WITHOUT_ORDER)
    keys = (sa.select(supervisor_tasks.c.id)
            .select_from(supervisor_tasks.outerjoin(keyed, keyed.c.number == supervisor_tasks.c.order_number))
            .where(supervisor_tasks.c.status == "open"))
    if kind is not None:
        keys = keys.where(_kind_clause(kind))
    keys = (keys.order_by(keyed.c.deadline_at.is_(None), keyed.c.deadline_at, urgency, supervisor_tasks.c.created_at,
                          supervisor_tasks.c.id)
            .limit(size).offset((max(page, 1) - 1) * size))
    ids = list(connection.execute(keys).scalars())
    if not ids:
        return []
    query = (sa.select(supervisor_tasks, handling_units.c.name.label("unit_name"),
                       *[work_orders.c[f].label(f"o_{f}") for f in _ORDER_FIELDS])
             .outerjoin(work_orders, work_orders.c.number == supervisor_tasks.c.order_number)
             .outerjoin(handling_units, handling_units.c.code == supervisor_tasks.c.unit_code)
             .where(supervisor_tasks.c.id.in_(ids)))
    position = {task_id: i for i, task_id in enumerate(ids)}
    rows = []
    for r in sorted(connection.execute(query).mappings(), key=lambda r: position[r["id"]]):
        row = {k: v for k, v in r.items() if not k.startswith("o_")}
        row["order"] = (WorkOrder(**{f: r[f"o_{f}"] for f in _ORDER_FIELDS})
                        if r["o_number"] is not None else None)
        rows.append(row)
    contacts = unit_contact_list(connection, {r["unit_code"] for r in rows if r["unit_code"]})
    for row in rows:
        row["contacts"] = contacts.get(row["unit_code"], [])
    return rows


def _sort_keys(connection: sa.Connection) -> Any:
    """Each task's order's deadline and urgency rank, joined so that each open task looks its order up once by primary
    key. SQLite joins that way by itself; PostgreSQL, left to choose, hash-joins over a read of every order (7,000
    pages at 100,000 orders), so there the look-up is a LATERAL subquery that OFFSET 0 keeps from being flattened."""
    if connection.dialect.name != "postgresql":
        return sa.select(work_orders.c.number, work_orders.c.deadline_at, _URGENCY_RANK.label("rank")).subquery("keyed")
    return (sa.select(work_orders.c.number, work_orders.c.deadline_at, _URGENCY_RANK.label("rank"))
            .where(work_orders.c.number == supervisor_tasks.c.order_number).offset(0).lateral("keyed"))


def _kind_clause(kind: str) -> Any:
    """`kind` as the queue names it: a phone task by the step that raised it, or another task kind."""
    if kind in ("sign_overdue", "overdue", "escalated"):
        return sa.and_(supervisor_tasks.c.kind == "phone_urge", supervisor_tasks.c.step == kind)
    return supervisor_tasks.c.kind == kind


def queue_kind(task: dict[str, Any]) -> str:
    return str(task["step"]) if task["kind"] == "phone_urge" and task.get("step") else str(task["kind"])


def queue_counts(connection: sa.Connection) -> dict[str, int]:
    """Open tasks per queue kind (sign_overdue, overdue, escalated, sms_failed …)."""
    counts: dict[str, int] = {}
    for kind, step, n in connection.execute(
            sa.select(supervisor_tasks.c.kind, supervisor_tasks.c.step, sa.func.count())
            .where(supervisor_tasks.c.status == "open").group_by(supervisor_tasks.c.kind, supervisor_tasks.c.step)):
        name = queue_kind({"kind": kind, "step": step})
        counts[name] = counts.get(name, 0) + n
    return counts


def unit_contact_list(connection: sa.Connection, codes: set[str]) -> dict[str, list[dict[str, Any]]]:
    """The contacts (name, phone, failing) of each unit in `codes`, in their order."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not codes:
        return found
    for r in connection.execute(sa.select(unit_contacts.c.unit_code, unit_contacts.c.name, unit_contacts.c.phone,
                                          unit_contacts.c.failing_since)
                                .where(unit_contacts.c.unit_code.in_(sorted(codes)))
                                .order_by(unit_contacts.c.unit_code, unit_contacts.c.position)).mappings():
        found.setdefault(r["unit_code"], []).append(dict(r))
    return found
