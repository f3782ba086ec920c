"""Migration 0009 gives rows written before the change log their positions and turns the push cursors into
positions: the export push resumes exactly where it stopped, the 12315 push sends nothing twice."""
from __future__ import annotations

import importlib.util

import sqlalchemy as sa

from engine.intake import export
from engine.persistence.change_log import change_counter, change_log
from engine.persistence.database import MIGRATIONS
from tests.api.conftest import auth, order_body
from workflows.intake.push import EXPORT, RESULTS_12315, PushSettings, enqueue
from workflows.intake.service import export_page


def _migration():
    path = MIGRATIONS / "versions" / "0009_change_log.py"
    spec = importlib.util.spec_from_file_location("migration_0009", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ids(engine, table: str) -> list[int]:
    with engine.store.reading() as tx:
        return list(tx.c.exec_driver_sql(f"SELECT id FROM {table} ORDER BY id").scalars())


# three different callers about three different matters: no order is a duplicate candidate of another
DIFFERENT_MATTERS = [{"content": text, "address": address, "citizen": {"name": name, "phone": phone}}
                     for text, address, name, phone in (
                         ("楼下烧烤店油烟直排", "揭阳市榕城区进贤门大道1号", "张三", "13912345671"),
                         ("路灯连续三晚不亮", "揭阳市揭东区曲溪街道新河路88号", "李四", "13812345672"),
                         ("公交站台广告牌松动", "揭阳市空港区渔湖镇京冈村3号", "王五", "13712345673"))]


def test_rows_from_before_the_change_log_get_positions_and_the_push_cursors_carry_over(client, token, api_engine):
    t = token("intake", "events", "export")
    for n in range(3):
        client.post("/api/v1/orders", json=order_body(f"M{n}", **DIFFERENT_MATTERS[n]), headers=auth(t))
    api_engine.clock.advance(days=3)
    api_engine.fire_due_timers()
    events, acts = _ids(api_engine, "order_events"), _ids(api_engine, "actions")
    assert len(events) == 3 and len(acts) >= 3
    covered_event, covered_action = events[1], acts[0]  # what the export push had queued before the upgrade
    with api_engine.store.transaction() as tx:  # the database as version 0008 left it
        tx.c.execute(change_log.delete())
        tx.c.execute(change_counter.delete())
        tx.c.exec_driver_sql("INSERT INTO api_push_cursors (name, cursor, updated_at) VALUES "
                             f"('export', 'e{covered_event}-a{covered_action}', '2026-06-01 00:00:00'), "
                             f"('12315', '{events[0]}', '2026-06-01 00:00:00')")
    with api_engine.store.engine.begin() as connection:
        _migration()._backfill(connection)

    with api_engine.store.reading() as tx:
        cursors = dict(tx.c.exec_driver_sql("SELECT name, cursor FROM api_push_cursors").all())
        logged = tx.c.execute(sa.select(sa.func.count()).select_from(change_log)).scalar()
        counter = tx.c.execute(sa.select(change_counter.c.position)).scalar()
    assert logged == counter == len(events) + len(acts)
    rest, _ = export_page(api_engine, export.decode_cursor(cursors[EXPORT]), 1000, personal_data=False)
    assert sorted(r["id"] for r in rest if r["record_type"] == "event") == [e for e in events if e > covered_event]
    assert sorted(r["id"] for r in rest if r["record_type"] == "action") == [a for a in acts if a > covered_action]
    resumes_after = export.decode_cursor(cursors[RESULTS_12315]).position  # just before the first unsent event
    with api_engine.store.reading() as tx:
        entries = tx.c.execute(sa.select(change_log.c.position, change_log.c.kind, change_log.c.row_id)
                               .order_by(change_log.c.position)).all()
    assert all(not (kind == "event" and row > events[0]) for position, kind, row in entries if position <= resumes_after)
    assert next(e for e in entries if e.position == resumes_after + 1)[1:] == ("event", events[1])

    client.post("/api/v1/orders/M0/events", json={"type": "signed", "at": "2026-06-01T07:40:00+08:00"},
                headers=auth(t))  # written after the upgrade: gets the next position
    later, _ = export_page(api_engine, export.decode_cursor(f"p{counter}"), 1000, personal_data=False)
    assert [(r["order_number"], r["type"]) for r in later if r["record_type"] == "event"] == [("M0", "signed")]
    settings = PushSettings(export_url="https://bigdata.invalid/in", export_batch=1000)
    assert enqueue(api_engine, settings) == 1  # one batch: the uncovered rows and the new event, nothing twice
