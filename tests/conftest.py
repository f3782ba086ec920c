"""Shared fixtures: a virtual clock, engines on SQLite files, and PostgreSQL schemas when a server is named."""
from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from engine.clock import LOCAL_TZ, VirtualClock
from engine.services import Engine
from config.settings import Settings
from workflows.bootstrap import build_engine

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("DUBAN_TEST_POSTGRES_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_reachable() -> bool:
    try:
        probe = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with probe.connect():
            pass
        probe.dispose()
        return True
    except Exception:
        return False
_counter = itertools.count()


def local(*args: int) -> datetime:
    """A Asia/Shanghai wall-clock time, e.g. local(2026, 6, 18, 10, 10)."""
    return datetime(*args, tzinfo=LOCAL_TZ)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(local(2026, 6, 1, 8, 0))


@pytest.fixture
def settings() -> Settings:
    return Settings(worker_id="test-worker", secret_key="test-secret-key-0123456789")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/duban-{next(_counter)}.db"


@pytest.fixture
def make_engine(settings: Settings, sqlite_url: str) -> Callable[..., Engine]:
    def make(*, clock: VirtualClock, database_url: str | None = None, **overrides: object) -> Engine:
        s = Settings(**{**settings.__dict__, **overrides}) if overrides else settings
        return build_engine(s, clock=clock, database_url=database_url or sqlite_url)
    return make


@pytest.fixture
def engine(make_engine: Callable[..., Engine], clock: VirtualClock) -> Engine:
    return make_engine(clock=clock)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test (DUBAN_TEST_POSTGRES_URL names the server)."""
    if not _postgres_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs PostgreSQL at {PG_URL}")
        pytest.skip(f"no PostgreSQL at {PG_URL} (set DUBAN_TEST_POSTGRES_URL)")
    schema = f"duban_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
