"""`duban benchmark` and `duban web-benchmark`: the measuring commands (they print figures)."""
from __future__ import annotations

import argparse
import os

from web.cli.support import Add, add_database
from workflows.argtypes import positive_int


def cmd_benchmark(args: argparse.Namespace) -> int:
    from web.cli.api import make_api_app
    from workflows.bench.engine import main_benchmark

    args.make_app = make_api_app  # workflows/ does not import web/: the API intake figures need the app
    return main_benchmark(args)


def cmd_web_benchmark(args: argparse.Namespace) -> int:
    from workflows.bench.web import main as main_web_benchmark

    argv = ["--orders", str(args.orders), "--requests", str(args.requests), "--app", "web:create_app",
            "--page-requests", str(args.page_requests)] + (["--keep"] if args.keep else [])
    argv += ["--only", args.only] if args.only else []
    return main_web_benchmark(argv + (["--database-url", args.database] if args.database else []))


def add_commands(add: Add) -> None:
    p = add("benchmark", cmd_benchmark, "measure SpiffWorkflow, engine and replay throughput (prints figures)")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    add_database(p, "also measure on this PostgreSQL database (default: $DUBAN_BENCH_POSTGRES_URL)",
                 os.environ.get("DUBAN_BENCH_POSTGRES_URL"))
    p.add_argument("--la311", help="path to the LA 311 CSV for the year-long replay")
    p.add_argument("--skip-replay", action="store_true")
    p.add_argument("--tick-seconds", type=float, default=0.5,
                   help="the worker's tick in the lateness measurement (DUBAN_TICK_SECONDS; default 0.5)")

    p = add("web-benchmark", cmd_web_benchmark,
            "fill a fresh database with N work orders and time the list, search, detail and export pages, then "
            "every page of each role (--keep: keep the fill and reuse it next time; --only: just the matching pages)")
    p.add_argument("--orders", type=positive_int, default=100_000)
    p.add_argument("--requests", type=positive_int, default=200, help="samples per page (200)")
    p.add_argument("--page-requests", type=positive_int, default=30,
                   help="samples per page in the every-page table, for each role (30)")
    add_database(p, "PostgreSQL (a schema of its own, dropped afterwards) or a new SQLite file; default: a temporary "
                    "SQLite file")
    p.add_argument("--keep", action="store_true",
                   help="keep the filled --database (PostgreSQL: its schema) and reuse it when an earlier --keep run "
                        "filled it, instead of filling again")
    p.add_argument("--only", metavar="REGEX", help="time only the pages whose path matches, for each role (with --keep: "
                                                  "a slow page again, alone, on the kept fill)")
