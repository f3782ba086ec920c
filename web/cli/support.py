"""What every `duban` sub-command module needs: settings with `--database` applied, an engine, the `add` type."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from config.settings import Settings

# web/cli/__init__.py's helper that defines a sub-command: add(name, fn, help) -> its parser
Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def settings_for(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "database", None):
        settings = replace(settings, database_url=args.database)
    return settings


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
        p.add_argument("--database", help="database URL (default: $DUBAN_DATABASE_URL or the SQLite file)")
        return p

    return action


def _run_action(args: argparse.Namespace) -> int:
    return int(args.action_fn(args))
