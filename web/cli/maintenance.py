"""`duban migrate`, `check-config`, `recompute-deadlines`, `status`, `sms`: looking after a deployment."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from config.settings import Settings
from engine.clock import LOCAL_TZ, format_local
from web.cli.support import Add, add_database, settings_for
from workflows.argtypes import positive_int


def cmd_migrate(args: argparse.Namespace) -> int:
    from engine.persistence.database import create_db_engine, shown_url, upgrade

    settings = settings_for(args)
    upgrade(create_db_engine(settings.database_url))
    print(f"database at {shown_url(settings.database_url)} is up to date")
    return 0


def print_aliyun_check(settings: Settings) -> None:
    """The [aliyun] table was checked with the templates (a mistake stops check-config); say what it holds."""
    from config.aliyun_templates import load_aliyun_templates

    approved = load_aliyun_templates(settings.sms_templates_file)
    if approved is None:
        return
    mode = ("" if settings.sms_gateway != "aliyun" else
            "; reports pushed to /aliyun/report/<token>" if settings.aliyun_push_token else
            f"; reports polled every {settings.aliyun_poll_seconds:g} s (DUBAN_ALIYUN_PUSH_TOKEN not set)")
    print(f"aliyun: signature {approved.sign_name}, {len(approved.approved)} approved template codes ok "
          f"(values up to {approved.variable_limit} characters, links up to {approved.link_limit}){mode}")


def print_hotspot_check(settings: Settings) -> None:
    from config.hotspot_loader import load_hotspots

    config = load_hotspots(settings.hotspots_file)
    area = "districts" if config.area_by == "district" else f"{config.grid_metres} m grid cells"
    print(f"hotspots: {area}, windows of {'/'.join(map(str, config.rules.window_days))} days, at least "
          f"{config.rules.min_count} orders and {config.rules.min_ratio:g}× expected; {len(config.leaders)} leader(s) "
          f"told of 严重 flags at {config.run_at:%H:%M}")


def cmd_check_config(args: argparse.Namespace) -> int:
    from datetime import date

    from config.loader import load_calendar, load_rules
    from engine.runtime.definitions import load_directory
    from workflows.operations import OPERATIONS

    settings = Settings.from_env()
    load_rules(settings.rules_file)
    calendar = load_calendar(settings.calendar_file)
    definitions = load_directory(settings.bpmn_dir, frozenset(OPERATIONS))
    from workflows.bootstrap import check_processes

    check_processes(settings.bpmn_dir, definitions)
    for definition in definitions.values():
        print(f"process {definition.key}  ({settings.bpmn_dir / (definition.process_id + '.bpmn')})")
    print(f"rules {settings.rules_file}: ok")
    from config.loader import load_catalogue

    print(f"dispatch catalogue {settings.catalogue_file}: {len(load_catalogue(settings.catalogue_file).entries)} entries ok")
    print_hotspot_check(settings)
    from workflows.bootstrap import load_sms_settings

    templates, _, _ = load_sms_settings(settings, definitions)
    print(f"sms templates {settings.sms_templates_file}: {len(templates.texts)} ok (limit {templates.max_length}, "
          f"sign {templates.sign}); gateway {settings.sms_gateway}")
    print_aliyun_check(settings)
    from config.documents import load_document_settings
    from workflows.documents.fonts import CjkFontMissing, find_cjk_fonts

    documents = load_document_settings()
    print(f"documents: issuer {documents.letterhead.issuer}; {len(documents.letterhead.leaders)} leader(s) notified")
    try:
        fonts = find_cjk_fonts(documents.font_dirs)
        print(f"documents: {fonts.describe()}; titles {fonts.title.name}, headings {fonts.heading.name}; "
              f"the DOCX names {documents.docx_fonts.body}/{documents.docx_fonts.title}")
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
    from engine.persistence.database import shown_url
    from engine.persistence.queries import document_backlog
    from workflows.bootstrap import build_engine

    settings = settings_for(args)
    engine = build_engine(settings)
    backlog = engine.backlog()
    backlog["oldest_due_at"] = format_local(backlog["oldest_due_at"]) if backlog["oldest_due_at"] else None
    next_due = engine.next_due()
    with engine.store.reading() as tx:
        documents = document_backlog(tx.c)
    print(json.dumps({"database": shown_url(settings.database_url), "timer_backlog": backlog,
                      "next_due_at": format_local(next_due) if next_due else None,
                      "document_backlog": documents}, ensure_ascii=False, indent=2))
    if documents["failed"]:
        print(f"FAILING: {documents['failed']} document(s) not issued: "
              + "; ".join(f"{f.get('number') or f.get('request')}: {f['error']}" for f in documents["failures"]),
              file=sys.stderr)
        return 1
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


def add_commands(add: Add) -> None:
    p = add("migrate", cmd_migrate, "create or upgrade the database schema (Alembic; every command also does it on start)")
    add_database(p)

    add("check-config", cmd_check_config, "validate the rule table, the calendar, the dispatch catalogue, the SMS "
        "templates, the documents' settings, the hotspot settings and the BPMN files (every process the engine starts must be there); warn when next year's "
        "calendar, DUBAN_SECRET_KEY or a CJK font is missing")

    p = add("recompute-deadlines", cmd_recompute,
            "after adding a year to the calendar: recompute provisional deadlines and re-arm their steps")
    add_database(p)

    p = add("sms", cmd_sms, "list SMS by state: delivered, failed (with the reason), waiting, covered")
    add_database(p)
    p.add_argument("--state", choices=["delivered", "failed", "waiting", "covered"])
    p.add_argument("--order", help="only this work order's messages")
    p.add_argument("--limit", type=positive_int, default=50)

    p = add("status", cmd_status, "print the database (password masked), the timer and document backlogs and the next due "
        "time as JSON, times in +08:00 (exit 1 when a document failed)")
    add_database(p)
