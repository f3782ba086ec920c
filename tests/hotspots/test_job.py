"""The hotspot job on a real database: a planted surge in a synthetic city is stored as one flag per window, the
leaders get one SMS (rendered by the real outbox delivery) however often the job runs, the worker schedules it, and
the monthly themes come from the orders and their callbacks."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from config.hotspot_loader import load_hotspots
from engine.clock import VirtualClock
from engine.persistence.hotspot_tables import hotspot_flags, hotspot_runs
from engine.persistence.tables import audit_log, outbox
from tests.conftest import local
from workflows.bench.hotspot_city import Surge, callback_rows, insert, order_rows
from workflows.bootstrap import build_sms
from workflows.hotspots import compute, run_hotspots, themes
from workflows.scheduler import WorkerHealth, build_scheduler

CONFIG = replace(load_hotspots(), leaders=("+8613800000001", "+8613900000002"))
SURGE = Surge("投诉", "惠来县", date(2026, 6, 10), 30, 4.0)


@pytest.fixture
def city(make_engine):
    clock = VirtualClock(local(2026, 6, 17, 6, 30))
    engine = make_engine(clock=clock)
    insert(engine, order_rows(date(2026, 3, 5), 104, 150, surges=[SURGE]))
    return engine, clock


def rows(engine, table, *where):
    with engine.store.reading() as tx:
        return [dict(r) for r in tx.c.execute(sa.select(table).where(*where)).mappings()]


def test_the_surge_is_flagged_stored_once_and_the_leaders_told_once(city, settings, sqlite_url, capsys):
    engine, clock = city
    assert [s.hotspots for s in compute(engine, CONFIG, local(2026, 6, 9, 12, 0))] == [()]  # before it: nothing
    grid = replace(CONFIG, area_by="grid", grid_metres=5000)  # by grid cells from the coordinates: found too
    hits = [h for s in compute(engine, grid) for h in s.hotspots]
    assert hits and all(h.category == "投诉" and h.area.startswith("网格") for h in hits)
    assert rows(engine, hotspot_flags) == []  # compute stores nothing
    check_the_command(sqlite_url, capsys)

    report = run_hotspots(engine, CONFIG)
    assert [(h.category, h.area, h.window.key, h.severity) for h in report.hotspots] == [
        ("投诉", "惠来县", "2026-06-10/7d", "severe")]
    [flag] = rows(engine, hotspot_flags)
    assert flag["count"] > 3 * flag["expected"] and flag["baseline"] == "前8周" and flag["notified_at"] == clock.now()
    [run] = rows(engine, hotspot_runs)
    assert 40 <= run["tested"] <= 50 and run["flagged"] == 1 and run["threshold"] == pytest.approx(0.01 / run["tested"])
    sent = rows(engine, outbox, outbox.c.template == "hotspot")
    assert sorted(r["recipient"] for r in sent) == list(CONFIG.leaders)
    assert sent[0]["params"]["area"] == "惠来县" and sent[0]["params"]["total"] == str(flag["count"])

    clock.advance(hours=2)
    assert len(run_hotspots(engine, CONFIG).hotspots) == 1  # again (a second worker, a restart): nothing new
    assert len(rows(engine, hotspot_flags)) == 1 and len(rows(engine, outbox, outbox.c.template == "hotspot")) == 2
    clock.set(local(2026, 6, 18, 6, 30))  # the next day's window overlaps: a new flag, no second SMS
    run_hotspots(engine, CONFIG)
    assert [f["window_first"] for f in rows(engine, hotspot_flags)] == [date(2026, 6, 10), date(2026, 6, 11)]
    assert len(rows(engine, outbox, outbox.c.template == "hotspot")) == 2
    assert [a["details"]["window"] for a in rows(engine, audit_log, audit_log.c.action == "hotspot.alerted")] == [
        "2026-06-10/7d"]

    sms = build_sms(settings, engine)  # the real outbox delivery renders the approved template
    assert sms.delivery.run(sms.gateway).sent == 2
    bodies = {r["body"] for r in rows(engine, outbox, outbox.c.template == "hotspot")}
    assert bodies == {f"【揭阳12345】热点预警：惠来县投诉类诉求近7日{flag['count']}件，为常态的"
                      f"{flag['ratio']:.1f}倍，请关注：http://127.0.0.1:8000/hotspots"}


def check_the_command(sqlite_url, capsys):
    """`duban hotspots`: the flags as JSON lines or text, the themes, a bad time refused."""
    from web.cli import main

    assert main(["hotspots", "--database", sqlite_url, "--at", "2026-06-17", "--format", "jsonl"]) == 0
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert set(line) == {"category", "area", "window", "count", "expected", "score"}
    assert (line["category"], line["area"], line["window"]) == ("投诉", "惠来县", "2026-06-10/7d")
    assert line["count"] > 3 * line["expected"] and line["score"] > 10
    assert main(["hotspots", "--database", sqlite_url, "--at", "2026-06-09T23:00+08:00"]) == 0
    assert capsys.readouterr().out.startswith("窗口 2026-06-02–2026-06-08（7天）：检验")
    assert main(["hotspots", "--database", sqlite_url, "--themes", "2026-05", "--format", "jsonl"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == CONFIG.theme_size
    with pytest.raises(SystemExit) as refused:
        main(["hotspots", "--database", sqlite_url, "--at", "17 June"])
    assert refused.value.code == 2
    assert "is not a date or time like 2026-06-17" in capsys.readouterr().err


def test_the_worker_runs_the_job_daily_at_the_configured_time(make_engine, clock, settings):
    engine = make_engine(clock=clock)
    scheduler = build_scheduler(engine, build_sms(settings, engine), settings, WorkerHealth(5.0), blocking=False)
    job = scheduler.get_job("hotspots.compute")
    assert job is not None and str(job.trigger) == "cron[hour='6', minute='30']"
    assert str(job.trigger.timezone) == "Asia/Shanghai"


def test_the_monthly_themes_weigh_volume_growth_and_dissatisfaction(make_engine):
    engine = make_engine(clock=VirtualClock(local(2026, 12, 1, 9, 0)))
    orders = list(order_rows(date(2026, 10, 1), 61, 100, surges=[Surge("求助", "普宁市", date(2026, 11, 1), 30, 2.5)]))
    insert(engine, orders, callback_rows([o for o in orders if o["number"] >= "HS20261101"],
                                         unhappy={"普宁市": 0.4}))
    found = themes(engine, CONFIG, "2026-11")
    assert (found[0].figures.category, found[0].figures.area) == ("求助", "普宁市")
    assert found[0].figures.volume > 2 * found[0].figures.previous and found[0].figures.dissatisfaction > 0.25
    assert len(found) == CONFIG.theme_size and "回访不满意" in found[0].reasons



@pytest.mark.postgres
def test_two_workers_on_postgresql_store_one_flag_and_tell_the_leaders_once(make_engine, pg_url):
    from concurrent.futures import ThreadPoolExecutor

    engines = [make_engine(clock=VirtualClock(local(2026, 6, 17, 6, 30)), database_url=pg_url) for _ in range(2)]
    insert(engines[0], order_rows(date(2026, 4, 5), 73, 100, surges=[SURGE]))
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda engine: run_hotspots(engine, CONFIG), engines))
    assert [len(r.hotspots) for r in reports] == [1, 1] and sum(len(r.notified) for r in reports) == 1
    assert len(rows(engines[0], hotspot_flags)) == 1 and len(rows(engines[0], hotspot_runs)) == 1
    assert len(rows(engines[0], outbox, outbox.c.template == "hotspot")) == 2
