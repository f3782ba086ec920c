"""Time a year's assessment: `units` handling units, `orders` work orders spread over a year (default 100 and
365,000), with sign-for, replies, callbacks, reopens and cards in realistic shares. The pure computation is timed
on facts in memory; `database=True` also bulk-loads the rows into a SQLite file and times read + compute."""
from __future__ import annotations

import random
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from config.assessment_loader import load_assessment
from config.loader import load_calendar, load_rules
from engine.assessment.compute import classify_months, score
from engine.assessment.facts import ActionFact, Facts, OrderFact
from engine.assessment.periods import parse_period
from engine.clock import LOCAL_TZ
from engine.domain import deadlines

YEAR = 2026


def synthetic_rows(units: int, orders: int, seed: int = 7) -> tuple[dict[str, str], list[dict[str, Any]],
                                                                     list[dict[str, Any]], list[dict[str, Any]]]:
    """(units, order rows, event rows, action rows) for a year, deterministic for a seed."""
    rng = random.Random(seed)
    rules, calendar = load_rules(), load_calendar()
    names = {f"U{i:03d}": f"承办单位{i:03d}" for i in range(units)}
    codes = list(names)
    start = datetime(YEAR, 1, 1, tzinfo=LOCAL_TZ).astimezone(timezone.utc)  # the database hands out UTC
    order_rows, events, acts = [], [], []
    cache: dict[Any, Any] = {}
    for n in range(orders):
        number = f"B{YEAR}{n:07d}"
        unit = codes[n % units]
        at = start + timedelta(seconds=rng.randrange(365 * 86400))
        day = at.astimezone(LOCAL_TZ).date()  # the deadline depends on the local dispatch date
        if day not in cache:
            cache[day] = deadlines.handling_deadline(rules, calendar, category="求助", urgency="一般", source="12345",
                                                     start_at=at).at
        deadline = cache[day]
        order_rows.append({"number": number, "unit_code": unit, "category": "求助", "urgency": "一般",
                           "source": "12345", "dispatched_at": at, "deadline_at": deadline})
        signed = at + timedelta(hours=rng.choice((1, 3, 20, 30, 50)))
        events.append({"order_number": number, "type": "signed", "at": signed, "details": {}})
        replied = deadline - timedelta(days=rng.choice((-6, -2, 1, 3, 6)))
        replied = max(replied, signed + timedelta(hours=1))
        events.append({"order_number": number, "type": "replied", "at": replied, "details": {}})
        grade = rng.choices(("满意", "基本满意", "不满意"), (80, 12, 8))[0]
        events.append({"order_number": number, "type": "callback", "at": replied + timedelta(hours=20),
                       "details": {"satisfaction": grade, "solved": grade != "不满意"}})
        if grade == "不满意" and rng.random() < 0.5:
            events.append({"order_number": number, "type": "reopened", "at": replied + timedelta(hours=21),
                           "details": {}})
        if replied > deadline + timedelta(days=3):
            acts.append({"id": len(acts) + 1, "kind": "yellow_card", "unit_code": unit, "order_number": number,
                         "at": deadline + timedelta(days=3)})
    return names, order_rows, events, acts


def facts_of(names: dict[str, str], order_rows: list[dict[str, Any]], events: list[dict[str, Any]],
             acts: list[dict[str, Any]]) -> Facts:
    by_order: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_order.setdefault(e["order_number"], []).append(e)
    orders = []
    for o in order_rows:
        evs = by_order.get(o["number"], [])
        orders.append(OrderFact(
            o["number"], o["unit_code"], o["dispatched_at"], o["deadline_at"],
            next((e["at"] for e in evs if e["type"] == "signed"), None),
            tuple(e["at"] for e in evs if e["type"] == "replied"), tuple(e["at"] for e in evs if e["type"] == "reopened"),
            tuple((e["at"], e["details"]["satisfaction"]) for e in evs if e["type"] == "callback"),
            tuple((e["type"], e["at"]) for e in evs if e["type"] in ("signed", "replied"))))
    return Facts(names, tuple(orders), tuple(ActionFact(**a) for a in acts))


def run_benchmark(*, units: int = 100, orders: int = 365_000, database: bool = False) -> dict[str, float]:
    rules, calendar = load_rules(), load_calendar()
    config = load_assessment()
    t0 = time.perf_counter()
    names, order_rows, events, acts = synthetic_rows(units, orders)
    facts = facts_of(names, order_rows, events, acts)
    t1 = time.perf_counter()
    months = list(parse_period(str(YEAR)).months)
    formulas = {m.label: config.formulas.for_day(m.first_day) for m in months}
    by_month = classify_months(months, facts, formulas, calendar, sign_working_days=rules.sign_for_working_days)
    for m in months:
        score(formulas[m.label], by_month[m.label], names)
    lines = sum(len(x) for x in by_month.values())
    t2 = time.perf_counter()
    figures = {"generate_s": t1 - t0, "compute_year_s": t2 - t1, "lines": float(lines)}
    print(f"  (generating the synthetic facts took {t1 - t0:.1f} s, not counted)")
    print(f"assessment benchmark: {units} units, {orders:,} orders, {len(events):,} events, {len(acts):,} cards")
    print(f"  compute 12 months (classify every order + score, in memory): {t2 - t1:.2f} s, {lines:,} explanation lines")
    if database:
        figures.update(_with_database(names, order_rows, events, acts))
    return figures


def _with_database(names: dict[str, str], order_rows: list[dict[str, Any]], events: list[dict[str, Any]],
                   acts: list[dict[str, Any]]) -> dict[str, float]:
    from config.settings import Settings
    from engine.clock import VirtualClock
    from engine.persistence.tables import actions, handling_units, order_events, work_orders
    from workflows.assessment.service import build_assessment
    from workflows.bootstrap import build_engine

    with tempfile.TemporaryDirectory() as tmp:
        clock = VirtualClock(datetime(YEAR, 1, 1, tzinfo=LOCAL_TZ))
        engine = build_engine(Settings(worker_id="bench"), clock=clock, database_url=f"sqlite:///{Path(tmp)}/a.db")
        t0 = time.perf_counter()
        created = datetime(YEAR - 1, 12, 1, tzinfo=LOCAL_TZ)
        with engine.store.transaction() as tx:
            tx.c.execute(handling_units.insert(), [{"code": c, "name": n, "created_at": created} for c, n in names.items()])
            rows = []
            for o in order_rows:
                rows.append({**o, "title": "", "status": "closed", "cycle": 1, "last_event_at": o["deadline_at"],
                             "deadline_provisional": False, "deadline_explanation": "", "fired_steps": [],
                             "deadline_basis": []})
            tx.c.execute(work_orders.insert(), rows)
            tx.c.execute(order_events.insert(), [{**e, "actor": "bench", "recorded_at": e["at"]} for e in events])
            tx.c.execute(actions.insert(), [{**a, "key": f"bench-{a['id']}", "step": None, "details": {},
                                             "instance_id": None, "recorded_at": a["at"]} for a in acts])
        t1 = time.perf_counter()
        clock.set(datetime(YEAR + 1, 1, 5, tzinfo=LOCAL_TZ))
        service = build_assessment(engine)
        months = service.year_by_facts(YEAR)
        t2 = time.perf_counter()
        engine.store.engine.dispose()
    print(f"  SQLite: load {t1 - t0:.1f} s; read the year's facts + compute 12 months: {t2 - t1:.2f} s "
          f"({sum(len(m.lines) for m in months):,} lines)")
    return {"db_load_s": t1 - t0, "db_read_compute_s": t2 - t1, "db_lines": float(sum(len(m.lines) for m in months))}
