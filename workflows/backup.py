"""`duban backup` and `duban restore`: the whole database (orders, timers, outbox, documents and their files,
users, the schema version) in one file.

SQLite: the sqlite3 online backup API (a consistent copy while web and worker keep writing; the result is
itself a SQLite database). PostgreSQL: `pg_dump --format=custom` and `pg_restore` (both from the PostgreSQL
client package). Restoring goes into an empty database only, unless `force` (then the target is replaced).
The secret key is not in the database: keep DUBAN_SECRET_KEY (or the `secret.key` beside the SQLite file) too.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from engine.domain.errors import InvalidInput, RuleError
from engine.persistence.database import create_db_engine

SQLITE_MAGIC, PG_MAGIC = b"SQLite format 3\x00", b"PGDMP"


@dataclass(frozen=True)
class Copied:
    kind: str  # sqlite | postgresql
    path: Path
    size: int
    seconds: float


def backup(database_url: str, target: Path) -> Copied:
    """Write the database named by `database_url` to `target` (which must not exist yet)."""
    url = _url(database_url)
    if target.exists():
        raise InvalidInput(f"{target} exists already: give a new file name (a backup never overwrites)")
    if not target.parent.is_dir():
        raise InvalidInput(f"folder {target.parent} does not exist")
    started = time.perf_counter()
    if _is_sqlite(url):
        source = _sqlite_path(url, must_exist=True)
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
                closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        kind = "sqlite"
    else:
        try:
            _run_tool("pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
                      f"--dbname={_libpq(url)}")
        except RuleError:
            target.unlink(missing_ok=True)  # no half-written backup left to be mistaken for one
            raise
        kind = "postgresql"
    return Copied(kind, target, target.stat().st_size, time.perf_counter() - started)


def restore(source: Path, database_url: str, *, force: bool = False) -> Copied:
    """Load a backup into the database named by `database_url`: it must hold no tables, unless `force`."""
    url = _url(database_url)
    if not source.is_file():
        raise InvalidInput(f"no backup file {source}")
    with open(source, "rb") as f:
        magic = f.read(len(SQLITE_MAGIC))
    kind = "sqlite" if magic == SQLITE_MAGIC else "postgresql" if magic.startswith(PG_MAGIC) else None
    if kind is None:
        raise InvalidInput(f"{source} is neither a SQLite database nor a pg_dump archive (made by `duban backup`)")
    if kind != ("sqlite" if _is_sqlite(url) else "postgresql"):
        raise InvalidInput(f"{source} is a {kind} backup: restore it into a {kind} database")
    tables = _tables(database_url)
    if tables and not force:
        raise InvalidInput(f"the target database is not empty ({len(tables)} tables, e.g. {tables[0]}): restore "
                           f"into an empty one, or pass --force to replace what it holds")
    started = time.perf_counter()
    if kind == "sqlite":
        with closing(sqlite3.connect(source)) as src, \
                closing(sqlite3.connect(_sqlite_path(url, must_exist=False))) as dst:
            src.backup(dst)  # replaces every page of the target
    else:
        _run_tool("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  *(["--clean", "--if-exists"] if tables else []), f"--dbname={_libpq(url)}", str(source))
    return Copied(kind, source, source.stat().st_size, time.perf_counter() - started)


def _url(database_url: str) -> URL:
    try:
        return make_url(database_url)
    except sa.exc.ArgumentError:
        raise InvalidInput(f"unusable database URL {database_url!r}") from None


def _is_sqlite(url: URL) -> bool:
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise InvalidInput("an in-memory SQLite database cannot be backed up or restored: name a file")
        return True
    if url.get_backend_name() != "postgresql":
        raise InvalidInput(f"backup and restore know SQLite and PostgreSQL, not {url.get_backend_name()}")
    return False


def _sqlite_path(url: URL, *, must_exist: bool) -> Path:
    path = Path(str(url.database))
    if must_exist and not path.is_file():
        raise InvalidInput(f"no SQLite database at {path}")
    if not path.parent.is_dir():
        raise InvalidInput(f"folder {path.parent} does not exist")
    return path


def _libpq(url: URL) -> str:
    """The SQLAlchemy URL as libpq takes it (no `+psycopg` driver part; password and options kept)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tables(database_url: str) -> list[str]:
    url = _url(database_url)
    if _is_sqlite(url) and not Path(str(url.database)).exists():
        return []
    engine = create_db_engine(database_url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    except sa.exc.OperationalError as exc:
        raise InvalidInput(f"cannot open the target database: {str(exc.orig).strip().splitlines()[0]}") from None
    finally:
        engine.dispose()


def _run_tool(name: str, *args: str) -> None:
    if shutil.which(name) is None:
        raise RuleError(f"{name} is not installed: install the PostgreSQL client (Debian: apt install "
                        f"postgresql-client) of your server's version or newer")
    done = subprocess.run([name, *args], capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = (lines or [f"exit code {done.returncode}"])[0].removeprefix(f"{name}: ").removeprefix("error: ")
        raise RuleError(f"{name} failed: {reason}")
