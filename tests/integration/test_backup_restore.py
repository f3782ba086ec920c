"""`duban backup` then `duban restore` into a fresh database: the timers that were pending at the backup fire
exactly once on the restored copy (and those fired before it are not fired again), on SQLite and PostgreSQL."""
from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.clock import VirtualClock
from engine.persistence.tables import actions, outbox
from engine.services import Engine
from tests.conftest import PG_URL, local
from tests.integration.test_exactly_once import assert_each_timer_fired_once, count, instance_ids, open_orders
from tests.timeline import DISPATCH, DUE_SOON, OVERDUE, SIGN_OVERDUE, YELLOW
from web.cli import main as duban
from workflows.scheduler import WorkerHealth, tick


@pytest.fixture
def fresh_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes empty databases of the parameter's kind: SQLite files, or PostgreSQL databases (dropped after)."""
    made: list[str] = []
    if request.param == "postgres":
        request.getfixturevalue("pg_url")  # skips (or fails on CI) without a server
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")

    def make() -> str:
        name = f"duban_restore_{uuid.uuid4().hex[:10]}"
        made.append(name)
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path}/{name}.db"
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        return sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    if request.param == "postgres":
        with admin.connect() as connection:
            for name in made:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.mark.parametrize("fresh_databases", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_pending_timers_fire_exactly_once_after_a_restore(fresh_databases, make_engine, tmp_path, capsys) -> None:
    source_url, target_url = fresh_databases(), fresh_databases()
    clock = VirtualClock(DISPATCH)
    source = make_engine(clock=clock, database_url=source_url)
    numbers = open_orders(source, 3)
    clock.set(local(2026, 6, 3, 10, 0))
    assert source.fire_due_timers() == 6  # the reminder and the sign-for chase, before the backup
    source.store.engine.dispose()

    backup = tmp_path / "duban.backup"
    assert duban(["backup", str(backup), "--database", source_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("backup: ") and str(backup) in out and backup.stat().st_size > 10_000
    assert duban(["backup", str(backup), "--database", source_url]) == 2  # never overwrites
    assert "exists already" in capsys.readouterr().err

    assert duban(["restore", str(backup), "--database", target_url]) == 0
    assert "loaded" in capsys.readouterr().out
    assert duban(["restore", str(backup), "--database", target_url]) == 2  # not into a database holding data
    assert "not empty" in capsys.readouterr().err
    assert duban(["restore", str(backup), "--database", target_url, "--force"]) == 0

    clock.set(local(2026, 6, 8, 10, 0))  # the overdue notice and the yellow card fell due after the backup
    restored: Engine = make_engine(clock=clock, database_url=target_url)
    health = WorkerHealth(5.0)
    assert tick(restored, health, 2) == 6 and health.last_error is None  # the worker's tick, in batches of 2
    assert tick(restored, health, 2) == 0
    ids = instance_ids(restored)
    assert_each_timer_fired_once(restored, {(ids[n], due) for n in numbers
                                            for due in (DUE_SOON, SIGN_OVERDUE, OVERDUE, YELLOW)})
    assert count(restored, actions) == len({r for r in _keys(restored, actions)})
    assert count(restored, outbox) == len({r for r in _keys(restored, outbox)})
    assert count(restored, outbox, outbox.c.channel == "document") == 3  # each order's 催办通知书, once


def _keys(engine: Engine, table: sa.Table) -> list[str]:
    with engine.store.engine.connect() as connection:
        return [r.key for r in connection.execute(sa.select(table.c.key))]


def test_bad_backup_and_restore_input_is_one_line_and_exit_2(sqlite_url, make_engine, tmp_path, capsys,
                                                              monkeypatch) -> None:
    make_engine(clock=VirtualClock(DISPATCH), database_url=sqlite_url).store.engine.dispose()
    sqlite_backup = tmp_path / "s.backup"
    assert duban(["backup", str(sqlite_backup), "--database", sqlite_url]) == 0
    capsys.readouterr()

    def fails(*argv: str, says: str) -> None:
        assert duban(list(argv)) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and says in err, err

    pg = "postgresql+psycopg://postgres@127.0.0.1:5432/nowhere"
    if shutil.which("pg_dump"):  # pg_dump runs and fails: its first line, and no half-written file
        fails("backup", str(tmp_path / "p.backup"), "--database", pg, says='pg_dump failed: connection to server')
        assert not (tmp_path / "p.backup").exists()
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on the PATH
    fails("backup", str(tmp_path / "p.backup"), "--database", pg, says="pg_dump is not installed")
    fails("restore", str(sqlite_backup), "--database", pg, says="is a sqlite backup")
    fails("restore", str(tmp_path / "missing"), "--database", sqlite_url, says="no backup file")
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    fails("restore", str(not_a_backup), "--database", f"sqlite:///{tmp_path}/new.db", says="neither a SQLite")
    fails("backup", str(tmp_path / "x.backup"), "--database", f"sqlite:///{tmp_path}/absent.db",
          says="no SQLite database at")
    fails("backup", str(tmp_path / "no" / "x.backup"), "--database", sqlite_url, says="does not exist")
