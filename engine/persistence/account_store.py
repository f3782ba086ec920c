"""Reading and writing users and login attempts."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.accounts.users import User
from engine.persistence.account_tables import login_attempts, users

_USER_COLUMNS = [users.c[f] for f in User.__dataclass_fields__]


def _user(row: Any) -> User:
    return User(**{f: row[f] for f in User.__dataclass_fields__})


def find_user(connection: sa.Connection, *, user_id: int | None = None,
              username: str | None = None) -> tuple[User, str] | None:
    """The user and its password hash."""
    where = users.c.id == user_id if user_id is not None else users.c.username == username
    row = connection.execute(sa.select(*_USER_COLUMNS, users.c.password_hash).where(where)).mappings().first()
    return (_user(row), row["password_hash"]) if row is not None else None


def list_users(connection: sa.Connection) -> list[User]:
    return [_user(r) for r in connection.execute(sa.select(*_USER_COLUMNS).order_by(users.c.role, users.c.username))
            .mappings()]


def insert_user(connection: sa.Connection, values: dict[str, Any]) -> int:
    return int(connection.execute(users.insert().values(**values)).inserted_primary_key[0])


def update_user(connection: sa.Connection, user_id: int, values: dict[str, Any]) -> None:
    connection.execute(users.update().where(users.c.id == user_id).values(**values))


def count_admins(connection: sa.Connection) -> int:
    return connection.execute(sa.select(sa.func.count()).where(users.c.role == "admin", users.c.active.is_(True))
                              ).scalar() or 0


def recent_failures(connection: sa.Connection, *, since: datetime, username: str, address: str) -> tuple[int, int]:
    """Failed attempts since `since` for this username, and from this address."""
    failed = login_attempts.c.succeeded.is_(False)
    by_name = connection.execute(sa.select(sa.func.count()).where(
        login_attempts.c.username == username, login_attempts.c.at >= since, failed)).scalar() or 0
    by_address = connection.execute(sa.select(sa.func.count()).where(
        login_attempts.c.address == address, login_attempts.c.at >= since, failed)).scalar() or 0
    return by_name, by_address


def serialize_attempts(connection: sa.Connection, is_postgres: bool) -> None:
    """Login checks take turns between counting and recording (SQLite: the transaction's BEGIN IMMEDIATE already
    does; PostgreSQL: this lock, held to the commit, a few milliseconds)."""
    if is_postgres:
        connection.exec_driver_sql("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE")


def record_attempt(connection: sa.Connection, *, username: str, address: str, at: datetime, succeeded: bool) -> int:
    return int(connection.execute(login_attempts.insert().values(
        username=username[:64], address=address[:64], at=at, succeeded=succeeded)).inserted_primary_key[0])


def attempt_succeeded(connection: sa.Connection, attempt_id: int) -> None:
    connection.execute(login_attempts.update().where(login_attempts.c.id == attempt_id).values(succeeded=True))


def forget_attempts_before(connection: sa.Connection, before: datetime) -> None:
    connection.execute(login_attempts.delete().where(login_attempts.c.at < before))
