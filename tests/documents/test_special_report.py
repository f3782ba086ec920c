"""The 专报 for an instructed order still open three months after the instruction: the instruction, every
reminder and card so far, the unit's responses, a request for coordination — and the one-month 督办函 before it."""
from __future__ import annotations

from docx import Document

from config.settings import Settings
from engine.clock import VirtualClock
from engine.persistence.document_store import DocumentRecords
from tests.conftest import local
from tests.documents.helpers import pdf_text, run_until, squeeze
from workflows.bootstrap import build_engine


def test_an_instructed_order_open_for_three_months_gets_a_letter_then_a_special_report(tmp_path):
    clock = VirtualClock(local(2026, 3, 2, 9, 0))
    engine = build_engine(Settings(worker_id="test-worker"), clock=clock, database_url=f"sqlite:///{tmp_path}/d.db")
    engine.register_unit("U07", "揭阳市住房和城乡建设局", ["+8613800138007"])
    engine.open_work_order(number="GD20260302007", unit_code="U07", category="投诉", urgency="一般",
                           source="12345", at=local(2026, 3, 2, 10, 0), title="小区电梯长期停运")
    engine.add_instruction("GD20260302007", leader="张副市长", text="请市住建局尽快协调解决，按期报告。",
                           at=local(2026, 3, 3, 15, 0))
    engine.record_event("GD20260302007", "signed", at=local(2026, 3, 4, 9, 0))
    engine.record_event("GD20260302007", "progress_reported", at=local(2026, 3, 20, 16, 0), note="已约谈物业")
    run_until(engine, clock, local(2026, 6, 10, 12, 0))

    with engine.store.reading() as tx:
        records = DocumentRecords(tx)
        _, rows = records.listing(order_number="GD20260302007")
        by_kind = {}
        for row in rows:
            by_kind.setdefault(row["kind"], []).append(row)
        (report,) = by_kind["special_report"]
        docx_bytes, _ = records.file(report["id"], "docx")
        pdf_bytes, _ = records.file(report["id"], "pdf")
    assert report["number"] == "揭热线专〔2026〕1号"
    assert report["issued_at"] == local(2026, 6, 3, 15, 0)  # three calendar months after the instruction
    assert any(r["number"].startswith("揭热线督〔2026〕") for r in by_kind["supervision_letter"])

    path = tmp_path / "report.docx"
    path.write_bytes(docx_bytes)
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "关于领导批示工单GD20260302007\n办理情况的专报" in text  # 2号 title, two lines between phrases
    assert "市委、市政府：" in text
    assert "2026年3月3日，张副市长批示：“请市住建局尽快协调解决，按期报告。”" in text
    assert "批示已92天" in text  # 3 March to 3 June
    assert "协调揭阳市住房和城乡建设局" in text
    tables = "\n".join(cell.text for table in Document(str(path)).tables for row in table.rows for cell in row.cells)
    assert "已约谈物业" in tables  # the unit's progress report is among its responses
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(pdf_bytes)
    flat = squeeze(pdf_text(pdf))
    assert "揭热线专〔2026〕1号" in flat and "GD20260302007" in flat and "张副市长" in flat
