"""Rendering happens outside any transaction: no write lock is held while a document renders, and a worker
that dies while rendering leaves a numbered document that a later pass issues with the same number."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from config.settings import Settings
from engine.clock import VirtualClock
from engine.documents.model import content_from_json, content_to_json
from engine.persistence.database import create_db_engine
from engine.persistence.document_store import DocumentRecords
from engine.persistence.document_tables import documents
from engine.persistence.store import SqlStore
from engine.persistence.tables import outbox
from tests.conftest import local
from workflows.bootstrap import build_engine
from workflows.documents.issuing import LEASE, issue_all_pending, issue_pending_documents, render_files


class WorkerDied(BaseException):
    """What a killed worker looks like to the code after it: nothing after the raise runs."""


def _two_overdue_orders(engine, clock) -> None:
    engine.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    for n in (1, 2):
        engine.open_work_order(number=f"GD{n}", unit_code="U01", category="咨询", urgency="一般", source="12345",
                               at=local(2026, 6, 1, 10, n), title=f"诉求{n}")
    clock.set(local(2026, 6, 4, 9, 30))
    while engine.fire_due_timers():
        pass  # two 催办通知书 rows are now pending in the outbox


def _short_timeout_store(url: str) -> SqlStore:
    """A second engine on the same SQLite file that gives up after 1 s instead of 30 s on a locked database."""
    db = create_db_engine(url)

    @event.listens_for(db, "connect")
    def _short(dbapi_connection, _record) -> None:  # runs after the engine's own PRAGMAs
        dbapi_connection.execute("PRAGMA busy_timeout=1000")

    return SqlStore(db)


def test_no_write_lock_is_held_while_a_document_renders(engine, clock, sqlite_url, no_font_settings):
    _two_overdue_orders(engine, clock)
    other = _short_timeout_store(sqlite_url)
    outcomes: list[tuple[str, float]] = []

    def write_from_another_connection() -> None:
        started = time.perf_counter()
        try:
            with other.transaction() as tx:  # BEGIN IMMEDIATE: needs the database's write lock
                tx.audit(clock.now(), "test", "written.while.rendering", None, {})
            outcomes.append(("ok", time.perf_counter() - started))
        except sa.exc.OperationalError as exc:
            outcomes.append((str(exc.orig), time.perf_counter() - started))

    def render(content, settings):
        thread = threading.Thread(target=write_from_another_connection)
        thread.start()
        thread.join(timeout=10)
        return render_files(content, settings)

    assert issue_all_pending(engine, no_font_settings, render=render) == 2
    assert [o for o, _ in outcomes] == ["ok", "ok"], outcomes
    assert all(elapsed < 0.5 for _, elapsed in outcomes), outcomes
    with engine.store.reading() as tx:
        written = tx.c.execute(sa.text("select count(*) from audit_log where action = 'written.while.rendering'"))
        assert written.scalar() == 2
    other.engine.dispose()


def test_a_worker_dying_while_rendering_leaves_no_gap_and_no_duplicate(engine, clock, no_font_settings):
    _two_overdue_orders(engine, clock)
    died = []

    def dying(content, settings):
        died.append(content.number)
        raise WorkerDied()

    with pytest.raises(WorkerDied):
        issue_pending_documents(engine, no_font_settings, limit=1, render=dying)
    assert died == ["揭热线催〔2026〕1号"]
    with engine.store.reading() as tx:
        records = DocumentRecords(tx)
        [reserved] = [dict(r) for r in tx.c.execute(sa.select(documents)).mappings()]
        assert (reserved["state"], reserved["serial"], reserved["order_number"]) == ("rendering", 1, "GD1")
        assert records.listing() == (0, [])  # not issued: not listed, not downloadable
        assert records.get(reserved["id"]) is None
        statuses = dict(tx.c.execute(sa.select(outbox.c.key, outbox.c.status)
                                     .where(outbox.c.channel == "document")).all())
    assert sorted(statuses.values()) == ["issuing", "pending"]

    # within the lease the dead worker's document is left alone; the other order's notice is issued meanwhile
    assert issue_all_pending(engine, no_font_settings) == 1
    with engine.store.reading() as tx:
        rows = {r.order_number: (r.state, r.serial) for r in tx.c.execute(sa.select(documents))}
    assert rows == {"GD1": ("rendering", 1), "GD2": ("issued", 2)}

    # past the lease (on the engine's clock) the next pass renders it with its number, from its snapshot
    clock.set(clock.now() + LEASE + timedelta(seconds=1))
    assert issue_all_pending(engine, no_font_settings) == 1
    assert issue_all_pending(engine, no_font_settings) == 0
    with engine.store.reading() as tx:
        records = DocumentRecords(tx)
        total, listed = records.listing(kind="urge_notice")
        issued = {r["order_number"]: r for r in listed}
        first = records.get(issued["GD1"]["id"])
        pending = tx.c.execute(sa.select(sa.func.count()).where(outbox.c.channel == "document",
                                                                outbox.c.status != "sent")).scalar()
        events = [r.action for r in tx.c.execute(sa.text(
            "select action from audit_log where action like 'document.%' order by id"))]
    assert total == 2 and pending == 0
    assert issued["GD1"]["number"] == "揭热线催〔2026〕1号" and issued["GD2"]["number"] == "揭热线催〔2026〕2号"
    assert first["issued_at"] == local(2026, 6, 4, 9, 0)  # the rule step's time, not the re-render's
    assert [f["format"] for f in first["files"]] == ["docx"]
    assert events.count("document.issued") == 2 and events.count("document.numbered") == 2


def test_a_rendering_error_keeps_the_number_and_is_retried_after_the_lease(engine, clock, no_font_settings):
    _two_overdue_orders(engine, clock)

    def broken(content, settings):
        raise RuntimeError("renderer bug")

    assert issue_pending_documents(engine, no_font_settings, limit=1, render=broken) == 0
    with engine.store.reading() as tx:
        row = tx.c.execute(sa.select(documents)).mappings().one()
        box = tx.c.execute(sa.select(outbox).where(outbox.c.key == row["source_key"])).mappings().one()
    assert (row["state"], row["serial"], row["render_attempts"]) == ("failed", 1, 1)
    assert "renderer bug" in row["last_error"] and "renderer bug" in box["last_error"]
    assert box["status"] == "issuing"
    clock.set(clock.now() + LEASE + timedelta(seconds=1))
    assert issue_all_pending(engine, no_font_settings) == 2
    with engine.store.reading() as tx:
        assert {(r.order_number, r.serial, r.state) for r in tx.c.execute(sa.select(documents))} == {
            ("GD1", 1, "issued"), ("GD2", 2, "issued")}


def test_a_late_renderer_cannot_store_over_the_worker_that_took_its_document_over(engine, clock, sqlite_url,
                                                                                   no_font_settings):
    """Worker A is slower than the lease; worker B claims the document and issues it; A's files are discarded."""
    _two_overdue_orders(engine, clock)
    second = build_engine(Settings(worker_id="w2"), clock=clock, database_url=sqlite_url)
    taken_over = []

    def slow(content, settings):
        if not taken_over:
            taken_over.append(content.number)
            clock.set(clock.now() + LEASE + timedelta(seconds=1))
            assert issue_pending_documents(second, settings, limit=1) == 1  # B renders the same number
        return render_files(content, settings)

    assert issue_pending_documents(engine, no_font_settings, limit=1, render=slow) == 0
    with engine.store.reading() as tx:
        rows = [dict(r) for r in tx.c.execute(sa.select(documents)).mappings()]
        files = tx.c.execute(sa.text("select count(*) from document_files")).scalar()
    assert [(r["serial"], r["state"]) for r in rows] == [(1, "issued")] and files == 1


def test_the_content_snapshot_round_trips(engine, clock, no_font_settings):
    _two_overdue_orders(engine, clock)
    assert issue_all_pending(engine, no_font_settings) == 2
    with engine.store.reading() as tx:
        for stored in tx.c.execute(sa.select(documents.c.content)).scalars():
            assert content_to_json(content_from_json(stored)) == stored
