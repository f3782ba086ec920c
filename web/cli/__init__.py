"""The `duban` command. Bad input gets a one-line message and exit code 2, never a traceback.

Each module of this package defines one group of sub-commands (`add_commands(add)`); this one builds the
parser from them and runs the chosen command.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from engine.domain.errors import DubanError
from web.cli import (api, assessment, backup, bench, demo, documents, duplicates, hotspots, maintenance, replay, serve,
                     units, users)


class Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr (not the usage block), exit code 2. Sub-command parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="duban", description="Duban 督办: 12345 hotline supervision engine")
    parser.add_argument("--log-format", choices=["json", "text"], default=None, help="log format on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(fn=fn)
        return p

    for group in (replay, serve, demo, maintenance, backup, bench, documents, assessment, hotspots, api, units, users,
                  duplicates):
        group.add_commands(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from workflows.observability import configure_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    args.log_format = args.log_format or os.environ.get("DUBAN_LOG_FORMAT", "json")
    configure_logging(args.log_format)
    name = " ".join([args.command, *([action] if (action := getattr(args, f"{args.command}_action", None)) else [])])
    try:
        code: Any = args.fn(args)
        return int(code or 0)
    except DubanError as exc:
        print(f"duban {name}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `duban replay … | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, ValueError) as exc:
        print(f"duban {name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the database driver's errors (unreachable server, refused login): one line
        if not _is_database_error(exc):
            raise
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["(no reason given)"])[0]
        print(f"duban {name}: error: cannot use the database: {reason}", file=sys.stderr)
        return 2


def _is_database_error(exc: Exception) -> bool:
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError)
