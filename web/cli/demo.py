"""`duban demo`: seed a realistic history on SQLite, then run the worker and the web pages together."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from config.settings import Settings
from web.cli.support import Add, settings_for
from workflows.argtypes import positive_int


def cmd_demo(args: argparse.Namespace) -> int:
    from waitress import serve

    from engine.clock import VirtualClock
    from web import create_app
    from workflows.bootstrap import build_engine, build_sms
    from workflows.dev.demo import DEMO_PASSWORD, create_demo_users, demo_records, seed_requests
    from workflows.replay import drive, read_events
    from workflows.scheduler import WorkerHealth, build_scheduler

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
    if args.fake_twilio and args.fake_aliyun:
        print("duban demo: choose one of --fake-twilio and --fake-aliyun", file=sys.stderr)
        return 2
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
    scheduler.start()
    app = create_app(settings, engine=engine, sms=sms)
    print(f"Duban demo: {len(data.events)} events replayed up to now; open http://{args.host}:{args.port}/",
          file=sys.stderr)
    print("sign in as " + ", ".join(f"{name} ({role}{' ' + unit if unit else ''})" for name, role, unit in users)
          + f"; demo password: {DEMO_PASSWORD}", file=sys.stderr)
    if args.fake_aliyun:
        print(describe(fake, settings), file=sys.stderr)
    elif fake is not None:
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
    p = add("demo", cmd_demo, "seed a realistic demo on SQLite, then run worker and web together")
    p.add_argument("--database", help="default sqlite:///duban-data/demo.db (recreated each run)")
    p.add_argument("--keep", action="store_true", help="do not delete an existing demo database first")
    p.add_argument("--orders", type=positive_int, default=300)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="seed and exit (for checks)")
    p.add_argument("--fake-twilio", action="store_true",
                   help="send SMS through the twilio client to a local fake Twilio (receipts and failures included)")
    p.add_argument("--fake-aliyun", action="store_true",
                   help="send SMS through the Alibaba Cloud SDK to a local fake SMS endpoint (reports and failures)")
