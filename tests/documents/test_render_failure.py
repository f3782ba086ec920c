"""A document whose rendering fails is never lost: it keeps its number, is listed as failed with its error
(documents list, /documents, duban status, /healthz, a supervisor task), the others are issued meanwhile,
and it is rendered again after the lease."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from engine.persistence.board_queries import open_tasks
from engine.persistence.document_store import DocumentRecords
from engine.persistence.document_tables import documents
from tests.conftest import local
from tests.web_login import client_as
from web import create_app
from web.cli import main as duban
from workflows.documents.issuing import LEASE, issue_all_pending, render_files


def _three_overdue_orders(engine, clock) -> None:
    engine.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    for n in (1, 2, 3):
        engine.open_work_order(number=f"GD{n}", unit_code="U01", category="咨询", urgency="一般", source="12345",
                               at=local(2026, 6, 1, 10, n), title=f"诉求{n}")
    clock.set(local(2026, 6, 4, 9, 30))
    while engine.fire_due_timers():
        pass


def _breaks_on_gd2(content, settings):
    if "GD2" in content.title:
        raise ValueError("Not enough horizontal space to render a single character")
    return render_files(content, settings)


def test_a_failed_rendering_is_visible_retried_and_keeps_its_number(engine, clock, no_font_settings, settings,
                                                                      sqlite_url, capsys):
    _three_overdue_orders(engine, clock)
    assert issue_all_pending(engine, no_font_settings, render=_breaks_on_gd2) == 2  # the others are issued
    with engine.store.reading() as tx:
        states = {r.order_number: (r.state, r.number, r.render_attempts)
                  for r in tx.c.execute(sa.select(documents))}
        listed = {r["order_number"]: r for r in DocumentRecords(tx).listing()[1]}
        tasks = [t for t in open_tasks(tx.c) if t["kind"] == "document_failed"]
    assert states["GD2"] == ("failed", "揭热线催〔2026〕2号", 1)
    assert {states["GD1"][0], states["GD3"][0]} == {"issued"}
    assert listed["GD2"]["state"] == "failed" and "horizontal space" in listed["GD2"]["last_error"]
    assert [t["order_number"] for t in tasks] == ["GD2"]

    assert duban(["documents", "list", "--database", sqlite_url]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "GD2" in x)
    assert "揭热线催〔2026〕2号" in line and "FAILED" in line and "horizontal space" in line
    assert duban(["status", "--database", sqlite_url]) == 1
    captured = capsys.readouterr()
    assert "FAILING" in captured.err and "揭热线催〔2026〕2号" in captured.err

    app = create_app(settings, engine=engine)
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "failing"
    assert health.get_json()["document_backlog"]["failures"][0]["number"] == "揭热线催〔2026〕2号"
    client = client_as(app, engine, "supervisor1", "supervisor")
    page = client.get("/documents").get_data(as_text=True)
    assert "揭热线催〔2026〕2号" in page and "生成失败" in page
    assert "公文生成失败" in client.get("/workbench").get_data(as_text=True)

    # within the lease nothing is retried; after it the document is rendered with the same number
    assert issue_all_pending(engine, no_font_settings) == 0
    clock.set(clock.now() + LEASE + timedelta(seconds=1))
    assert issue_all_pending(engine, no_font_settings) == 1
    with engine.store.reading() as tx:
        row = tx.c.execute(sa.select(documents).where(documents.c.order_number == "GD2")).mappings().one()
        assert not [t for t in open_tasks(tx.c) if t["kind"] == "document_failed"]
    assert (row["state"], row["number"], row["last_error"]) == ("issued", "揭热线催〔2026〕2号", None)
    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json()["status"] == "ok"
