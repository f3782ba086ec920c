"""Composition root: settings in, a wired Engine out. The only place adapters are chosen."""
from __future__ import annotations

from engine.clock import Clock, SystemClock
from engine.persistence.database import create_db_engine, upgrade
from engine.persistence.store import SqlStore
from engine.runtime.definitions import load_directory
from engine.services import Engine
from config.loader import load_calendar, load_rules
from config.settings import Settings
from workflows.operations import OPERATIONS


def build_engine(settings: Settings, *, clock: Clock | None = None, database_url: str | None = None,
                 migrate: bool = True) -> Engine:
    rules = load_rules(settings.rules_file)
    calendar = load_calendar(settings.calendar_file)
    definitions = load_directory(settings.bpmn_dir, frozenset(OPERATIONS))
    db = create_db_engine(database_url or settings.database_url)
    if migrate:
        upgrade(db)
    return Engine(store=SqlStore(db), clock=clock or SystemClock(), rules=rules, calendar=calendar,
                  definitions=definitions, operations=OPERATIONS, worker_id=settings.worker_id or "engine")
