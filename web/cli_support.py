"""What every `duban` sub-command module needs: settings with `--database` applied, an engine, the `add` type."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from config.settings import Settings

# web/cli.py's helper that defines a sub-command: add(name, fn, help) -> its parser
Add = Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser]


def settings_for(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "database", None):
        settings = replace(settings, database_url=args.database)
    return settings


def engine_for(args: argparse.Namespace) -> Any:
    from workflows.bootstrap import build_engine

    return build_engine(settings_for(args))
