"""`duban demo`: seed a realistic history on SQLite, then run the worker and the web pages together."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from config.settings import Settings
from engine.domain.errors import DubanError
from engine.persistence.database import shown_url
from web.cli.support import Add, add_database, settings_for
from workflows.argtypes import port_number, positive_int


def cmd_demo(args: argparse.Namespace) -> int:
    from waitress import serve

    from web import create_app
    from workflows.bootstrap import build_engine, build_sms
    from workflows.dev.demo import DEMO_PASSWORD, create_demo_users, seed_requests
    from workflows.observability import configure_logging
    from workflows.scheduler import WorkerHealth, build_scheduler, exit_now, interrupt_on_signals, stop

    if args.fake_twilio and args.fake_aliyun:
        raise DubanError("choose one of --fake-twilio and --fake-aliyun")
    settings = settings_for(args)
    url = settings.database_url
    settings.home.mkdir(parents=True, exist_ok=True)
    log_file = settings.home / "demo.log"
    if not args.verbose:
        configure_logging(args.log_format, path=log_file)
    _clear_old_demo(url, keep=args.keep)
    interrupt_on_signals()
    records, events = _simulate_history(settings, url, args.orders)
    fake = None
    if args.fake_twilio:
        fake, settings = _start_fake_twilio(settings, records, args.host, args.port)
    if args.fake_aliyun:
        from workflows.dev.aliyun_demo import describe, start_fake_aliyun

        fake, settings = start_fake_aliyun(settings, [r for r in records if r.get("type") == "unit"], args.host,
                                           args.port)
    engine = build_engine(settings, database_url=url)
    users = create_demo_users(engine, [r["code"] for r in records if r.get("type") == "unit"])
    seed_requests(engine, records)
    sms = build_sms(settings, engine)
    health = WorkerHealth(settings.tick_seconds)
    scheduler = build_scheduler(engine, sms, settings, health, blocking=False)
    try:
        scheduler.start()
        if args.fake_aliyun:
            print(describe(fake, settings), file=sys.stderr)
        elif fake is not None:
            print(f"SMS go through the real twilio client to a local fake Twilio at {fake.url}; receipts come back "
                  f"signed; some contacts are set to fail (see /sms)", file=sys.stderr)
        if args.no_serve:
            scheduler.shutdown(wait=True)  # the first tick and passes finish: checks read a settled database
            return 0
        app = create_app(settings, engine=engine, sms=sms)
        print(f"Duban demo: {events} events replayed up to now into {shown_url(url)}; `duban status`, `duban web` "
              f"and the other commands run in this folder use it (DUBAN_HOME={settings.home})."
              + ("" if args.verbose else f" Log: {log_file} (--verbose: on the terminal)."), file=sys.stderr)
        print("Ctrl-C stops the demo.", file=sys.stderr)
        sys.stderr.flush()
        print(f"\n  open      http://{args.host}:{args.port}/\n"
              f"  users     " + ", ".join(f"{name} ({role}{' ' + unit if unit else ''})" for name, role, unit in users)
              + f"\n  password  {DEMO_PASSWORD}", flush=True)
        serve(app, host=args.host, port=args.port, threads=4)  # returns on Ctrl-C (waitress stops serving)
    finally:
        stop(scheduler, health)
        if fake is not None:
            fake.stop()
    print("duban demo: stopped", file=sys.stderr)
    # at once, not after the document being rendered (up to seconds): issuing is crash-safe — the document keeps its
    # number and claim, and the next worker renders it when the claim's lease runs out
    exit_now(130)
    return 130


def _simulate_history(settings: Settings, url: str, orders: int) -> tuple[list[dict[str, Any]], int]:
    """Six weeks of a city hotline through the real engine on a virtual clock, up to now."""
    from engine.clock import VirtualClock
    from workflows.bootstrap import build_engine
    from workflows.dev.demo import demo_records
    from workflows.replay import drive, read_events

    now = datetime.now(timezone.utc)
    records = demo_records(now, orders=orders)
    data = read_events(json.dumps(r, ensure_ascii=False) for r in records)
    if not data.events:
        return records, 0
    clock = VirtualClock(data.events[0][1])
    history = build_engine(settings, clock=clock, database_url=url)

    def progress(done: int, total: int, _at: datetime) -> None:
        sys.stderr.write(f"\rdemo: simulating history {done}/{total} events")
        sys.stderr.flush()

    print(f"demo: simulating six weeks of history ({len(data.events)} events)…", file=sys.stderr)
    drive(history, clock, data, end=now, on_progress=progress if sys.stderr.isatty() else None)
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    return records, len(data.events)


def _clear_old_demo(url: str, *, keep: bool) -> None:
    """The demo starts afresh: an SQLite file from an earlier demo (or an empty one) is removed; a database holding
    anyone's work orders or users that the demo did not create is refused, never deleted."""
    import sqlalchemy as sa

    database = sa.engine.make_url(url).database if url.startswith("sqlite") else None
    if keep or not database or database == ":memory:" or not Path(database).exists():
        return
    if not _demo_or_empty(Path(database)):
        raise DubanError(f"{database} holds data the demo did not create: run the demo with another DUBAN_HOME "
                         f"(DUBAN_HOME=demo-data duban demo) or --database, or pass --keep to add to it")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def _demo_or_empty(db_file: Path) -> bool:
    import sqlite3
    from contextlib import closing

    try:
        with closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)) as c:
            tables = {name for (name,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "audit_log" in tables and c.execute("SELECT 1 FROM audit_log WHERE actor = 'demo' LIMIT 1").fetchone():
                return True
            return not any(c.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()  # noqa: S608 - fixed names
                           for table in ("work_orders", "users", "handling_units") if table in tables)
    except sqlite3.DatabaseError:
        return False


def _start_fake_twilio(settings: Settings, records: list[dict[str, Any]], host: str, port: int) -> tuple[Any, Settings]:
    """`duban demo --fake-twilio`: sending, receipts and each kind of failure without a Twilio account."""
    from dataclasses import replace

    from workflows.dev.fake_twilio import FakeTwilio

    fake = FakeTwilio(auto_receipts=True, callback_target=f"http://{host}:{port}").start()
    units = [r for r in records if r.get("type") == "unit"]
    failures = ["error:400:21211", "failed:30006", "undelivered:30003", "error:400:21610"]
    for unit, behaviour in zip(units[1::3], failures):  # a few units have a broken or unreachable number
        fake.number_rules[unit["phones"][0]] = behaviour
    return fake, replace(settings, sms_gateway="twilio", twilio_account_sid=fake.account_sid,
                         twilio_auth_token=fake.auth_token, twilio_from="+15005550006", twilio_api_url=fake.url,
                         public_url=f"http://{host}:{port}", twilio_messaging_service_sid="")


def add_commands(add: Add) -> None:
    p = add("demo", cmd_demo, "seed a realistic hotline (six weeks of history) in DUBAN_HOME's "
            "database, then run worker and web together; logs in DUBAN_HOME/demo.log; --fake-twilio or --fake-aliyun "
            "send SMS through the real SDK to a local fake with receipts and failures")
    add_database(p, "default: $DUBAN_DATABASE_URL, else duban.db in $DUBAN_HOME (an earlier demo's is recreated; "
                    "another database is refused)")
    p.add_argument("--keep", action="store_true", help="add to the existing database instead of starting afresh")
    p.add_argument("--orders", type=positive_int, default=300)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port_number, default=8000)
    p.add_argument("--no-serve", action="store_true", help="seed and exit (for checks)")
    p.add_argument("--verbose", action="store_true", help="logs on the terminal (default: demo.log in $DUBAN_HOME)")
    p.add_argument("--fake-twilio", action="store_true",
                   help="send SMS through the twilio client to a local fake Twilio (receipts and failures included)")
    p.add_argument("--fake-aliyun", action="store_true",
                   help="send SMS through the Alibaba Cloud SDK to a local fake SMS endpoint (reports and failures)")
