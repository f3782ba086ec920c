"""Rows behind the supervisor's hand actions: cards and supervisor tasks."""
from __future__ import annotations

from datetime import datetime
from typing import Any

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
