"""The Alembic migrations build exactly the schema the code uses, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.persistence.database import create_db_engine, upgrade
from engine.persistence.tables import metadata


def _differences(url: str) -> list:
    engine = create_db_engine(url)
    upgrade(engine)
    upgrade(engine)  # idempotent
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    return diff


def test_migrations_match_the_tables_on_sqlite(sqlite_url):
    assert _differences(sqlite_url) == []


@pytest.mark.postgres
def test_migrations_match_the_tables_on_postgres(pg_url):
    assert _differences(pg_url) == []
