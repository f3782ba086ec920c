"""Rows behind the supervisor's hand actions: cards and supervisor tasks."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import logging

import sqlalchemy as sa

from engine.persistence.account_tables import cards
from engine.persistence.tables import supervisor_tasks, work_orders


def insert_card(connection: sa.Connection, values: dict[str, Any]) -> int:
    return int(connection.execute(cards.insert().values(**values)).inserted_primary_key[0])


def get_card(connection: sa.Connection, card_id: int) -> dict[str, Any] | None:
    row = connection.execute(sa.select(cards).where(cards.c.id == card_id)).mappings().first()
    return dict(row) if row else None


def withdraw_card(connection: sa.Connection, card_id: int, *, at: datetime, by: str, reason: str) -> bool:
    """Withdraw the card if it is still active; False when someone else withdrew it first."""
    result = connection.execute(cards.update().where(cards.c.id == card_id, cards.c.withdrawn_at.is_(None))
                                .values(withdrawn_at=at, withdrawn_by=by, withdraw_reason=reason))
    return result.rowcount == 1


def get_task(connection: sa.Connection, task_id: int) -> dict[str, Any] | None:
    row = connection.execute(sa.select(supervisor_tasks).where(supervisor_tasks.c.id == task_id)).mappings().first()
    return dict(row) if row else None


def finish_task(connection: sa.Connection, task_id: int, *, outcome: str, at: datetime, by: str) -> bool:
    """Close the task if it is still open; False when someone else closed it first."""
    result = connection.execute(supervisor_tasks.update().where(
        supervisor_tasks.c.id == task_id, supervisor_tasks.c.status == "open").values(
        status="done", outcome=outcome, completed_at=at, completed_by=by))
    return result.rowcount == 1


def order_exists(connection: sa.Connection, number: str) -> bool:
    return connection.execute(sa.select(work_orders.c.number).where(work_orders.c.number == number)).first() is not None


log = logging.getLogger("duban.casework")
PHONE_TASK = "phone_urge"

# Built once: building and keying these per call cost as much as running them (they run for every rule step that
# opens a phone task and every sign-for/reply/close event).
_OPEN_PHONE_TASKS = (supervisor_tasks.c.order_number == sa.bindparam("b_number"), supervisor_tasks.c.kind == PHONE_TASK,
                     supervisor_tasks.c.status == "open")
_OF_STEPS = supervisor_tasks.c.step.in_(sa.bindparam("b_steps", expanding=True))
_SUPERSEDE_VALUES = {"status": "superseded", "superseded_reason": sa.bindparam("b_reason"),
                     "superseded_by": sa.bindparam("b_by"), "completed_at": sa.bindparam("b_at"),
                     "completed_by": "rules"}
_IDS = supervisor_tasks.c.id.in_(sa.bindparam("b_ids", expanding=True))
_FIND_OPEN_PHONE = {False: sa.select(supervisor_tasks.c.id).where(*_OPEN_PHONE_TASKS),
                    True: sa.select(supervisor_tasks.c.id).where(*_OPEN_PHONE_TASKS, _OF_STEPS)}
_SUPERSEDE = {False: supervisor_tasks.update().where(_IDS, *_OPEN_PHONE_TASKS).values(**_SUPERSEDE_VALUES),
              True: supervisor_tasks.update().where(_IDS, *_OPEN_PHONE_TASKS, _OF_STEPS).values(**_SUPERSEDE_VALUES)}


def supersede_phone_tasks(connection: sa.Connection, number: str, *, reason: str, by: str, at: datetime,
                          steps: tuple[str, ...] | None = None) -> list[int]:
    """End the order's open phone tasks (only those raised by `steps`, when given) that no longer need a call;
    returns their ids."""
    params: dict[str, Any] = {"b_number": number}
    if steps is not None:
        params["b_steps"] = list(steps)
    ids = list(connection.execute(_FIND_OPEN_PHONE[steps is not None], params).scalars())
    if ids:
        connection.execute(_SUPERSEDE[steps is not None],
                           {**params, "b_ids": ids, "b_reason": reason, "b_by": by, "b_at": at})
    return ids


# Which phone tasks an order event ends (None: all of them): the call is no longer needed.
CALLS_ENDED_BY: dict[str, tuple[str, ...] | None] = {
    "signed": ("sign_overdue",), "replied": None, "closed": None, "returned": None}


def end_calls_after(connection: sa.Connection, number: str, event: str, event_id: int, at: datetime) -> list[int]:
    """Supersede the order's phone tasks that `event` made pointless, naming the event; returns their ids."""
    if event not in CALLS_ENDED_BY:
        return []
    ended = supersede_phone_tasks(connection, number, reason=event, by=f"event:{event_id}", at=at,
                                   steps=CALLS_ENDED_BY[event])
    if ended:
        log.info("phone tasks superseded", extra={"order": number, "tasks": ended, "by_event": event})
    return ended
