"""`duban backup FILE` and `duban restore FILE`: the whole database in one file (workflows/backup.py)."""
from __future__ import annotations

import argparse
from pathlib import Path

from web.cli.support import Add, add_database, settings_for


def cmd_backup(args: argparse.Namespace) -> int:
    from workflows.backup import backup

    done = backup(settings_for(args).database_url, Path(args.file))
    print(f"backup: {done.kind} database written to {done.path} ({done.size:,} bytes in {done.seconds:.2f} s); "
          f"keep DUBAN_SECRET_KEY (or secret.key beside a SQLite database) with it")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from workflows.backup import restore

    settings = settings_for(args)
    done = restore(Path(args.file), settings.database_url, force=args.force)
    print(f"restore: {done.path} ({done.size:,} bytes, {done.kind}) loaded in {done.seconds:.2f} s; start the "
          f"workers: timers that fell due meanwhile fire at their first tick")
    return 0


def add_commands(add: Add) -> None:
    p = add("backup", cmd_backup, "copy the whole database to FILE (SQLite: online backup; PostgreSQL: pg_dump)")
    p.add_argument("file", metavar="FILE", help="the backup file to write (must not exist)")
    add_database(p)

    p = add("restore", cmd_restore, "load a `duban backup` FILE into an empty database (PostgreSQL: pg_restore)")
    p.add_argument("file", metavar="FILE", help="a file written by `duban backup`")
    add_database(p)
    p.add_argument("--force", action="store_true", help="replace what the target database holds")
