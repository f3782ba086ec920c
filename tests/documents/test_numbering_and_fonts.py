"""Serials without gap or duplicate under two concurrent workers; a clear error when no CJK font exists."""
from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from config.settings import Settings
from engine.clock import VirtualClock
from engine.documents.numbering import chinese_date, document_number
from engine.persistence.document_store import DocumentRecords
from engine.persistence.document_tables import documents
from engine.persistence.tables import outbox
from tests.conftest import local
from workflows.bootstrap import build_engine
from workflows.documents.fonts import CjkFontMissing, find_cjk_fonts
from workflows.documents.issuing import issue_pending_documents, render_files


def test_number_and_date_formats():
    assert document_number("揭热线督", 2026, 12) == "揭热线督〔2026〕12号"
    assert chinese_date(local(2026, 3, 5).date()) == "2026年3月5日"


def _race(workers: int, job: Callable[[int], None]) -> None:
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            job(index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def _counter_race(url: str) -> None:
    engines = [build_engine(Settings(worker_id=f"w{i}"), clock=VirtualClock(local(2026, 6, 1)), database_url=url)
               for i in range(2)]
    taken: list[int] = []

    def job(index: int) -> None:
        for _ in range(25):
            with engines[index].store.transaction() as tx:
                taken.append(DocumentRecords(tx).next_serial("supervision_letter", 2026))

    _race(2, job)
    assert sorted(taken) == list(range(1, 51))


def test_two_workers_never_share_a_serial_on_sqlite(sqlite_url):
    _counter_race(sqlite_url)


@pytest.mark.postgres
def test_two_workers_never_share_a_serial_on_postgres(pg_url):
    _counter_race(pg_url)


@pytest.mark.postgres
def test_two_workers_issue_documents_without_gap_or_duplicate_on_postgres(pg_url, no_font_settings):
    """Two engines (own pools, own clocks) drain the same document outbox at the same moment."""
    clock = VirtualClock(local(2026, 6, 1, 8, 0))
    first = build_engine(Settings(worker_id="w1"), clock=clock, database_url=pg_url)
    first.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    for n in range(8):
        first.open_work_order(number=f"GD{n}", unit_code="U01", category="咨询", urgency="一般", source="12345",
                              at=local(2026, 6, 1, 10, n))
    clock.set(local(2026, 6, 4, 9, 30))
    while first.fire_due_timers():
        pass
    second = build_engine(Settings(worker_id="w2"), clock=VirtualClock(clock.now()), database_url=pg_url)

    def job(index: int) -> None:
        engine = (first, second)[index]
        for _ in range(40):
            issue_pending_documents(engine, no_font_settings, limit=1)

    _race(2, job)
    with first.store.reading() as tx:
        serials = sorted(tx.c.execute(sa.select(documents.c.serial).where(documents.c.kind == "urge_notice")).scalars())
        pending = tx.c.execute(sa.select(sa.func.count()).where(outbox.c.channel == "document",
                                                                outbox.c.status != "sent")).scalar()
    assert serials == list(range(1, 9)) and pending == 0


def test_without_cjk_font_the_pdf_fails_clearly_and_the_docx_is_still_made(no_font_settings, engine, clock):
    with pytest.raises(CjkFontMissing, match="fonts-noto-cjk"):
        find_cjk_fonts(no_font_settings.font_dirs)
    engine.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    engine.open_work_order(number="GD1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0))
    clock.set(local(2026, 6, 4, 9, 30))
    engine.fire_due_timers()
    assert issue_pending_documents(engine, no_font_settings) == 1
    with engine.store.reading() as tx:
        records = DocumentRecords(tx)
        _, rows = records.listing()
        assert [f["format"] for f in records.get(rows[0]["id"])["files"]] == ["docx"]
        assert records.file(rows[0]["id"], "pdf") is None


def test_render_files_reports_the_missing_font(no_font_settings):
    from engine.documents.model import DocumentContent, Paragraph

    content = DocumentContent("urge_notice", "揭热线催〔2026〕1号", "标题", "单位：", (Paragraph("正文"),), "发文机关",
                              "发文机关", local(2026, 6, 1).date())
    files, error = render_files(content, no_font_settings)
    assert set(files) == {"docx"} and error is not None and "apt-get install fonts-noto-cjk" in error
