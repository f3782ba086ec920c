"""The `duban` command. Bad input gets a one-line message and exit code 2, never a traceback."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engine.clock import LOCAL_TZ
from engine.domain.errors import DubanError
from config.settings import Settings
from web.cli_api import add_commands as add_api_commands
from web.cli_assessment import add_commands as add_assessment_commands
from web.cli_documents import add_commands as add_document_commands
from web.cli_support import settings_for
from web.cli_users import add_commands as add_user_commands
from workflows.argtypes import positive_int

log = logging.getLogger("duban.cli")


def cmd_replay(args: argparse.Namespace) -> int:
    from workflows.replay import main_replay

    path = Path(args.events)
    if not path.is_file():
        raise DubanError(f"{path}: no such file")
    show = args.progress if args.progress is not None else sys.stderr.isatty()
    logging.getLogger("duban.engine").setLevel(logging.WARNING)  # the actions are the output
    main_replay(path, args.until, Settings.from_env(), show_progress=show, workers=args.workers)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from workflows.bootstrap import build_engine, build_sms
    from workflows.scheduler import WorkerHealth, build_scheduler, serve_health

    settings = settings_for(args)
    engine = build_engine(settings)
    health = WorkerHealth(settings.tick_seconds)
    port = args.health_port if args.health_port is not None else settings.health_port
    if port:
        serve_health(engine, health, port, args.health_host)
    scheduler = build_scheduler(engine, build_sms(settings, engine), settings, health)
    log.info("worker started", extra={"worker": engine.worker_id, "tick_seconds": settings.tick_seconds,
                                      "backlog": engine.backlog()["due_now"]})
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from waitress import serve

    from web import create_app

    settings = settings_for(args)
    app = create_app(settings)
    log.info("web started", extra={"url": f"http://{args.host}:{args.port}/"})
    serve(app, host=args.host, port=args.port, threads=args.threads)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from waitress import serve

    from engine.clock import VirtualClock
    from workflows.bootstrap import build_engine, build_sms
    from workflows.demo import DEMO_PASSWORD, create_demo_users, demo_records
    from workflows.replay import drive, read_events
    from workflows.scheduler import WorkerHealth, build_scheduler
    from web import create_app

    settings = settings_for(args)
    url = args.database or "sqlite:///duban-data/demo.db"
    if url.startswith("sqlite:///") and not args.keep:
        db_file = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    now = datetime.now(timezone.utc)
    records = demo_records(now, orders=args.orders)
    data = read_events(json.dumps(r, ensure_ascii=False) for r in records)
    if data.events:
        clock = VirtualClock(data.events[0][1])
        history = build_engine(settings, clock=clock, database_url=url)

        def progress(done: int, total: int, _at: datetime) -> None:
            sys.stderr.write(f"\rdemo: simulating history {done}/{total} events")
            sys.stderr.flush()

        drive(history, clock, data, end=now, on_progress=progress if sys.stderr.isatty() else None)
        sys.stderr.write("\n")
    fake = None
    if args.fake_twilio:
        fake, settings = _start_fake_twilio(settings, records, args.host, args.port)
    engine = build_engine(settings, database_url=url)
    users = create_demo_users(engine, [r["code"] for r in records if r.get("type") == "unit"])
    sms = build_sms(settings, engine)
    health = WorkerHealth(settings.tick_seconds)
    scheduler = build_scheduler(engine, sms, settings, health, blocking=False)
    scheduler.start()
    app = create_app(settings, engine=engine, sms=sms)
    print(f"Duban demo: {len(data.events)} events replayed up to now; open http://{args.host}:{args.port}/",
          file=sys.stderr)
    print("sign in as " + ", ".join(f"{name} ({role}{' ' + unit if unit else ''})" for name, role, unit in users)
          + f"; demo password: {DEMO_PASSWORD}", file=sys.stderr)
    if fake is not None:
        print(f"SMS go through the real twilio client to a local fake Twilio at {fake.url}; receipts come back "
              f"signed; some contacts are set to fail (see /sms)", file=sys.stderr)
    if args.no_serve:
        scheduler.shutdown(wait=True)
        if fake is not None:
            fake.stop()
        return 0
    try:
        serve(app, host=args.host, port=args.port, threads=4)
    finally:
        scheduler.shutdown(wait=False)
        if fake is not None:
            fake.stop()
    return 0


def _start_fake_twilio(settings: Settings, records: list[dict[str, Any]], host: str, port: int) -> tuple[Any, Settings]:
    """`duban demo --fake-twilio`: sending, receipts and each kind of failure without a Twilio account."""
    from dataclasses import replace

    from workflows.fake_twilio import FakeTwilio

    fake = FakeTwilio(auto_receipts=True, callback_target=f"http://{host}:{port}").start()
    units = [r for r in records if r.get("type") == "unit"]
    failures = ["error:400:21211", "failed:30006", "undelivered:30003", "error:400:21610"]
    for unit, behaviour in zip(units[1::3], failures):  # a few units have a broken or unreachable number
        fake.number_rules[unit["phones"][0]] = behaviour
    return fake, replace(settings, sms_gateway="twilio", twilio_account_sid=fake.account_sid,
                         twilio_auth_token=fake.auth_token, twilio_from="+15005550006", twilio_api_url=fake.url,
                         public_url=f"http://{host}:{port}", twilio_messaging_service_sid="")


def cmd_migrate(args: argparse.Namespace) -> int:
    from engine.persistence.database import create_db_engine, upgrade

    settings = settings_for(args)
    upgrade(create_db_engine(settings.database_url))
    print(f"database at {settings.database_url.split('@')[-1]} is up to date")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    from datetime import date

    from engine.runtime.definitions import load_directory
    from config.loader import load_calendar, load_rules
    from workflows.operations import OPERATIONS

    settings = Settings.from_env()
    load_rules(settings.rules_file)
    calendar = load_calendar(settings.calendar_file)
    definitions = load_directory(settings.bpmn_dir, frozenset(OPERATIONS))
    for definition in definitions.values():
        print(f"process {definition.key}  ({settings.bpmn_dir / (definition.process_id + '.bpmn')})")
    print(f"rules {settings.rules_file}: ok")
    from workflows.bootstrap import load_sms_settings

    templates, _, _ = load_sms_settings(settings, definitions)
    print(f"sms templates {settings.sms_templates_file}: {len(templates.texts)} ok (limit {templates.max_length}, "
          f"sign {templates.sign}); gateway {settings.sms_gateway}")
    from config.documents import load_document_settings
    from workflows.documents.fonts import CjkFontMissing, find_cjk_fonts

    documents = load_document_settings()
    print(f"documents: issuer {documents.letterhead.issuer}; {len(documents.letterhead.leaders)} leader(s) notified")
    try:
        find_cjk_fonts(documents.font_dirs)
    except CjkFontMissing as exc:
        print(f"warning: {exc}", file=sys.stderr)
    if not settings.secret_key:
        print("warning: DUBAN_SECRET_KEY is not set; links are signed with a key kept beside the SQLite "
              "database (set it, the same everywhere, when running on PostgreSQL or several machines)",
              file=sys.stderr)
    years = sorted(calendar.known_years)
    print(f"calendar: years {years[0]}–{years[-1]} known")
    next_year = date.today().year + 1
    if next_year not in calendar.known_years:
        print(f"warning: the calendar does not know {next_year}; deadlines in it are provisional until its "
              f"holiday arrangement is added to {settings.calendar_file}", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from workflows.bootstrap import build_engine

    engine = build_engine(settings_for(args))
    backlog = engine.backlog()
    backlog["oldest_due_at"] = backlog["oldest_due_at"].isoformat() if backlog["oldest_due_at"] else None
    next_due = engine.next_due()
    print(json.dumps({"timer_backlog": backlog, "next_due_at": next_due.isoformat() if next_due else None},
                     ensure_ascii=False, indent=2))
    return 0


def cmd_sms(args: argparse.Namespace) -> int:
    """List messages by state: every message is delivered, failed with a reason, waiting, or covered by another."""
    from engine.domain.phones import mask
    from engine.persistence import queries
    from engine.persistence.database import create_db_engine

    settings = settings_for(args)
    db = create_db_engine(settings.database_url)
    with db.connect() as connection:
        totals, rows = queries.sms_list(connection, group=args.state, order_number=args.order, limit=args.limit)
        backlog = queries.sms_backlog(connection, datetime.now(timezone.utc))
    print("  ".join(f"{name} {count}" for name, count in totals.items())
          + f"  (due now {backlog['due_now']}, unconfirmed {backlog['unconfirmed']})")
    for row in rows:
        when = row["delivered_at"] or row["sent_at"] or row["send_at"]
        note = (row["last_error"] or "") + (f" → #{row['related_id']}" if row["related_id"] else "")
        print(f"#{row['id']:<6} {row['status']:<11} {when.astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}  "
              f"{mask(row['recipient'] or '')}  {row['order_number'] or '-':<16} {row['template']:<18} {note}".rstrip())
    return 0


def cmd_recompute(args: argparse.Namespace) -> int:
    from workflows.bootstrap import build_engine

    changed = build_engine(settings_for(args)).recompute_provisional_deadlines()
    print(f"{len(changed)} provisional deadline(s) recomputed" + (": " + ", ".join(changed) if changed else ""))
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    from workflows.benchmark import main_benchmark

    return main_benchmark(args)


def cmd_web_benchmark(args: argparse.Namespace) -> int:
    from workflows.web_benchmark import main as main_web_benchmark

    argv = ["--orders", str(args.orders), "--requests", str(args.requests), "--app", "web:create_app"]
    return main_web_benchmark(argv + (["--database-url", args.database_url] if args.database_url else []))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="duban", description="Duban 督办: 12345 hotline supervision engine")
    parser.add_argument("--log-format", choices=["json", "text"], default=None, help="log format on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(fn=fn)
        return p

    p = add("replay", cmd_replay, "back-test the rules on a JSON-lines file of events (virtual clock)")
    p.add_argument("events", help="EVENTS.jsonl")
    p.add_argument("--until", help="stop at this ISO-8601 time (default: last event + 120 days)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress on stderr (default: when stderr is a terminal)")
    p.add_argument("--workers", type=positive_int, default=None,
                   help="processes for large files (default: the number of CPUs; orders are split among them)")

    p = add("worker", cmd_worker, "run the timer worker (APScheduler ticks; any number on PostgreSQL)")
    p.add_argument("--database", help="database URL (default: $DUBAN_DATABASE_URL or the SQLite file)")
    p.add_argument("--health-port", type=int, default=None, help="serve /healthz with the timer backlog here")
    p.add_argument("--health-host", default="127.0.0.1")

    p = add("web", cmd_web, "serve the web pages (waitress)")
    p.add_argument("--database")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=positive_int, default=8)

    p = add("demo", cmd_demo, "seed a realistic demo on SQLite, then run worker and web together")
    p.add_argument("--database", help="default sqlite:///duban-data/demo.db (recreated each run)")
    p.add_argument("--keep", action="store_true", help="do not delete an existing demo database first")
    p.add_argument("--orders", type=positive_int, default=300)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="seed and exit (for checks)")
    p.add_argument("--fake-twilio", action="store_true",
                   help="send SMS through the twilio client to a local fake Twilio (receipts and failures included)")

    p = add("migrate", cmd_migrate, "create or upgrade the database schema (Alembic)")
    p.add_argument("--database")

    add("check-config", cmd_check_config, "validate the rule table, the calendar and the BPMN files")

    p = add("recompute-deadlines", cmd_recompute,
            "after adding a year to the calendar: recompute provisional deadlines and re-arm their steps")
    p.add_argument("--database")

    p = add("sms", cmd_sms, "list SMS by state: delivered, failed (with the reason), waiting, covered")
    p.add_argument("--database")
    p.add_argument("--state", choices=["delivered", "failed", "waiting", "covered"])
    p.add_argument("--order", help="only this work order's messages")
    p.add_argument("--limit", type=positive_int, default=50)

    p = add("status", cmd_status, "print the timer backlog as JSON")
    p.add_argument("--database")

    p = add("benchmark", cmd_benchmark, "measure SpiffWorkflow, engine and replay throughput (prints figures)")
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--postgres-url", default=os.environ.get("DUBAN_BENCH_POSTGRES_URL"),
                   help="also measure on this PostgreSQL database")
    p.add_argument("--la311", help="path to the LA 311 CSV for the year-long replay")
    p.add_argument("--skip-replay", action="store_true")

    p = add("web-benchmark", cmd_web_benchmark,
            "fill a fresh database with N work orders and time the list, search, detail and export pages")
    p.add_argument("--orders", type=positive_int, default=100_000)
    p.add_argument("--requests", type=positive_int, default=200, help="samples per page (200)")
    p.add_argument("--database-url", help="PostgreSQL (a schema of its own, dropped afterwards) or a new SQLite "
                                          "file; default: a temporary SQLite file")

    add_document_commands(add)
    add_assessment_commands(add)
    add_api_commands(add)
    add_user_commands(add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from workflows.observability import configure_logging

    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_format or os.environ.get("DUBAN_LOG_FORMAT", "json"))
    try:
        code: Any = args.fn(args)
        return int(code or 0)
    except DubanError as exc:
        print(f"duban {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `duban replay … | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, ValueError) as exc:
        print(f"duban {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
