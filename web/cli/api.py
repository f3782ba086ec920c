"""`duban api-client create|revoke|list`, `duban import`, `duban push`, `duban export verify`: the integration API
from the command line."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from engine.clock import format_local
from engine.domain.errors import DubanError
from web.cli.support import Add, add_database, command_group, engine_for
from workflows.argtypes import existing_folder, positive_int


def cmd_client(args: argparse.Namespace) -> int:
    from engine.persistence.api_store import ApiRecords
    from workflows.intake.service import create_client, revoke_client

    engine = engine_for(args)
    if args.action == "create":
        if not args.name or not args.scopes:
            raise DubanError("create needs NAME and --scopes (intake,events,export,personal_data)")
        token = create_client(engine, args.name, [s.strip() for s in args.scopes.split(",") if s.strip()],
                              args.rate)
        print(f"client {args.name} created; its token (shown only now, stored hashed):\n{token}")
    elif args.action == "revoke":
        if not args.name:
            raise DubanError("revoke needs NAME")
        if not revoke_client(engine, args.name):
            raise DubanError(f"no live client named {args.name!r}")
        print(f"client {args.name}: token revoked")
    else:
        with engine.store.reading() as tx:
            for c in ApiRecords(tx).list_clients():
                state = f"revoked {format_local(c['revoked_at'])}" if c["revoked_at"] else "live"
                print(f"{c['name']:<24} {c['token_hint']}…  {','.join(c['scopes']):<36} "
                      f"{c['rate_per_minute']}/min  {state}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from workflows.intake.file_import import import_file

    path = Path(args.file)
    if not path.is_file():
        raise DubanError(f"{path}: no such file")
    report = import_file(engine_for(args), path, dry_run=args.dry_run, skip_bad=args.skip_bad)
    for error in report.errors:  # what is wrong goes to stderr, what happened to stdout
        print(f"duban import: row {error.row}: {error.field}: {error.reason}", file=sys.stderr)
    print(f"{report.rows} row(s): {report.valid} valid, {report.bad_rows} bad")
    if report.written:
        done = f"{report.recorded} recorded" if report.kind == "events" else f"{report.created} created"
        print(f"written: {done}, {report.existing} already there")
        if report.refused_on_write:
            print(f"duban import: error: {report.refused_on_write} row(s) refused while writing (see above); the "
                  "others are written", file=sys.stderr)
    elif args.dry_run:
        print("dry run: nothing written")
    else:
        print("duban import: error: nothing written: fix the rows above, or pass --skip-bad to import the valid "
              "rows", file=sys.stderr)
    return 2 if (report.errors and not report.written) or report.refused_on_write else 0


def cmd_push(args: argparse.Namespace) -> int:
    from workflows.intake.push import PushSettings, push_all

    engine = engine_for(args)
    settings = PushSettings.from_env(os.environ)
    if not settings.targets():
        raise DubanError("no push target configured (DUBAN_12315_RESULT_URL, DUBAN_EXPORT_PUSH_URL)")
    print(json.dumps(push_all(engine, settings), ensure_ascii=False))
    return 0


def cmd_export_verify(args: argparse.Namespace) -> int:
    from workflows.intake.verify import describe, verify_copy

    report = verify_copy(engine_for(args), Path(args.folder))
    print("\n".join(describe(report)))
    return 0 if report.ok else 1


def make_api_app(settings: Any, engine: Any) -> Any:
    """The web app with the integration API, over a given engine (the intake benchmarks measure through it)."""
    from web import api as api_web
    from web import create_app

    app = create_app(settings, engine=engine)
    if "api_v1" not in app.blueprints:
        api_web.register(app)
    return app


def cmd_benchmark(args: argparse.Namespace) -> int:
    import logging

    from workflows.bench.intake import run

    logging.getLogger("duban").setLevel(logging.WARNING)  # a log line per order would be measured too
    return run(args.orders, args.database, make_api_app)


def add_commands(add: Add) -> None:
    p = add("api-client", cmd_client, "create, revoke or list the integration API's clients and their tokens")
    p.add_argument("action", choices=["create", "revoke", "list"])
    p.add_argument("name", nargs="?")
    p.add_argument("--scopes", help="comma-separated: intake,events,export,personal_data")
    p.add_argument("--rate", type=positive_int, default=600, help="requests per minute (default 600)")
    add_database(p)

    p = add("import", cmd_import, "import work orders, or events on them (objections, decisions, 会商 …: a file "
            "with a `type` column), from a .csv or .xlsx file (every bad row reported)")
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    p.add_argument("--skip-bad", action="store_true", help="write the valid rows even when some are bad")
    add_database(p)

    p = add("push", cmd_push, "one push pass now: queue new 12315 results / export batches and deliver them")
    add_database(p)

    action = command_group(add, "export", "check the data shared with the big-data centre")
    p = action("verify", cmd_export_verify, "compare a receiver's copy (a folder of NDJSON export batches) with the "
               "database: list every order, event and action missing, different or extra (exit 1 if any)")
    p.add_argument("folder", type=existing_folder, help="folder of .ndjson batch files, read in name order")

    p = add("api-benchmark", cmd_benchmark, "measure intake throughput through the API (orders/s, single and batch)")
    p.add_argument("--orders", type=positive_int, default=1000)
    add_database(p, "also measure on this (empty) PostgreSQL database or schema (default: $DUBAN_BENCH_POSTGRES_URL)",
                 os.environ.get("DUBAN_BENCH_POSTGRES_URL"))
