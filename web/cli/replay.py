"""`duban replay`: back-test the rules on a file of events with a virtual clock."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from config.settings import Settings
from engine.domain.errors import DubanError
from web.cli.support import Add
from workflows.argtypes import existing_file, positive_int


def cmd_replay(args: argparse.Namespace) -> int:
    from workflows.replay import main_replay

    path = Path(args.events)
    if not path.is_file():
        raise DubanError(f"{path}: no such file")
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    logging.getLogger("duban.engine").setLevel(logging.WARNING)  # the actions are the output
    main_replay(path, args.until, Settings.from_env(), show_progress=show, workers=args.workers)
    return 0


def add_commands(add: Add) -> None:
    p = add("replay", cmd_replay, "back-test the rules on a JSON-lines file of events (virtual clock; see "
            "`duban replay` below)")
    p.add_argument("events", type=existing_file, help="EVENTS.jsonl")
    p.add_argument("--until", help="stop at this ISO-8601 time (default: last event + 120 days)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress on stderr (default: when stderr is a terminal)")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="processes for large files (default: the number of CPUs; orders are split among them)")
