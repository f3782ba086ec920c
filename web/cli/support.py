"""What every `duban` sub-command module needs: the one `--database` option, settings with it applied, an engine,
the `add` type."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from config.settings import Settings
from engine.domain.errors import InvalidInput

# web/cli/__init__.py's helper that defines a sub-command: add(name, fn, help) -> its parser
Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]

DATABASE_HELP = "database URL: sqlite:///path/duban.db or postgresql://user@host/db (default: $DUBAN_DATABASE_URL, " \
                "else duban.db in $DUBAN_HOME)"
OLD_DATABASE_NAMES = ("--database-url", "--postgres-url")


def checked_database_url(text: str) -> str:
    """A URL Duban can drive: SQLite, or PostgreSQL through psycopg (`postgresql://` means psycopg); InvalidInput
    otherwise, in one line, the password masked."""
    import sqlalchemy as sa

    try:
        url = sa.engine.make_url(text)
    except sa.exc.ArgumentError:
        raise InvalidInput(f"{text.split('@')[-1]!r} is not a database URL (sqlite:///path/duban.db or "
                           f"postgresql://user@host/db)") from None
    shown = url.render_as_string(hide_password=True)
    if url.get_backend_name() == "sqlite":
        return text
    if url.get_backend_name() != "postgresql" or url.drivername not in ("postgresql", "postgresql+psycopg"):
        raise InvalidInput(f"unusable database URL {shown!r}: use sqlite:///path/duban.db or postgresql://user@host/db")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise InvalidInput("PostgreSQL needs the psycopg driver: pip install 'psycopg[binary]'") from None
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _database_type(text: str) -> str:
    try:
        return checked_database_url(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _OldName(argparse.Action):
    """`--database-url` and `--postgres-url`: still accepted, with a one-line note."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"duban: note: {option_string} is an old name of --database; use --database", file=sys.stderr)
        setattr(namespace, self.dest, values)


def add_database(p: argparse.ArgumentParser, help_text: str = DATABASE_HELP, default: str | None = None) -> None:
    """The one database option of every command that opens a database."""
    p.add_argument("--database", type=_database_type, default=default, metavar="URL", help=help_text)
    p.add_argument(*OLD_DATABASE_NAMES, dest="database", type=_database_type, action=_OldName, help=argparse.SUPPRESS)


def settings_for(args: argparse.Namespace) -> Settings:
    """The environment's settings with `--database` applied; the database URL checked, and an SQLite file's folder
    required to exist — except DUBAN_HOME itself, created on first use."""
    settings = Settings.from_env()
    url = getattr(args, "database", None)
    if not url:
        try:
            url = checked_database_url(settings.database_url)
        except InvalidInput as exc:
            raise InvalidInput(f"DUBAN_DATABASE_URL: {exc}") from None
    sqlite_folder(url, settings.home)
    return replace(settings, database_url=url)


def sqlite_folder(url: str, home: Path) -> Path | None:
    """The folder of an SQLite database file (None for PostgreSQL or memory); refused when missing, unless it is
    DUBAN_HOME."""
    import sqlalchemy as sa

    database = sa.engine.make_url(url).database if url.startswith("sqlite") else None
    if not database or database == ":memory:":
        return None
    folder = Path(database).parent
    if not folder.is_dir():
        if folder.resolve() != home.resolve():
            raise InvalidInput(f"{folder}: no such folder for the SQLite database (create it, or use DUBAN_HOME)")
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def engine_for(args: argparse.Namespace) -> Any:
    from workflows.bootstrap import build_engine

    return build_engine(settings_for(args))


def command_group(add: Add, name: str, help_text: str) -> Add:
    """`duban NAME ACTION …`: returns the helper that defines one ACTION (each takes --database)."""
    parser = add(name, _run_action, help_text)
    sub = parser.add_subparsers(dest=f"{name}_action", required=True, metavar="ACTION")

    def action(action_name: str, fn: Callable[[argparse.Namespace], int], action_help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(action_name, help=action_help, description=action_help)
        p.set_defaults(action_fn=fn)
        add_database(p)
        return p

    return action


def _run_action(args: argparse.Namespace) -> int:
    return int(args.action_fn(args))
