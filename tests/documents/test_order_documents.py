"""催办通知书 and 督办函 from a real order's history: numbers, DOCX structure and facts, PDF font and text,
sha256, leadership SMS, corrections."""
from __future__ import annotations

import hashlib
import re
import subprocess

import pytest
import sqlalchemy as sa
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from config.settings import Settings
from engine.clock import VirtualClock
from engine.documents.linebreak import NO_LINE_START
from engine.domain.errors import DubanError
from engine.persistence.document_store import DocumentRecords
from engine.persistence.tables import outbox
from tests.conftest import local
from tests.documents.helpers import ARTIFACTS, pdf_fonts, pdf_text, run_until, squeeze
from workflows.bootstrap import build_engine
from workflows.documents.issuing import correct_document

LEADER_PHONE = "+8613800000001"


@pytest.fixture(scope="module")
def clock():
    return VirtualClock(local(2026, 6, 1, 8, 0))


@pytest.fixture(scope="module")
def engine(clock, tmp_path_factory):
    return build_engine(Settings(worker_id="test-worker"), clock=clock,
                        database_url=f"sqlite:///{tmp_path_factory.mktemp('letters')}/duban.db")


@pytest.fixture(scope="module")
def overdue_order(engine, clock):
    """One order for the whole module (rendering PDFs takes seconds). A 咨询 order dispatched Mon 2026-06-01, signed, never replied: deadline Wed 06-03 23:59:59; the ladder
    sends the 催办通知书 on 06-04 and the 督办函 on the 10th working day after 06-03 (06-17; 端午 06-19)."""
    engine.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    engine.open_work_order(number="GD20260601001", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0), title="河道偷排污水")
    engine.record_event("GD20260601001", "signed", at=local(2026, 6, 1, 11, 0))
    run_until(engine, clock, local(2026, 6, 30, 12, 0))
    with engine.store.reading() as tx:
        _, rows = DocumentRecords(tx).listing()
    return {row["kind"]: row for row in rows}


def _document(engine, document_id):
    with engine.store.reading() as tx:
        records = DocumentRecords(tx)
        return records.get(document_id), records.file(document_id, "docx"), records.file(document_id, "pdf")


def _body_text(doc) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def test_the_ladder_issues_a_numbered_notice_and_letter(engine, overdue_order):
    assert overdue_order["urge_notice"]["number"] == "揭热线催〔2026〕1号"
    assert overdue_order["supervision_letter"]["number"] == "揭热线督〔2026〕1号"
    with engine.store.reading() as tx:
        rows = tx.c.execute(sa.select(outbox.c.template, outbox.c.status, outbox.c.provider_id)
                            .where(outbox.c.channel == "document")).all()
    assert sorted((r.template, r.status) for r in rows) == [("supervision_letter", "sent"), ("urge_notice", "sent")]


def test_letter_docx_follows_gbt9704_and_states_the_facts(engine, overdue_order, tmp_path):
    meta, (docx_bytes, docx_sha), _ = _document(engine, overdue_order["supervision_letter"]["id"])
    assert hashlib.sha256(docx_bytes).hexdigest() == docx_sha
    path = tmp_path / "letter.docx"
    path.write_bytes(docx_bytes)
    doc = Document(str(path))
    section = doc.sections[0]
    mm = [round(x.mm) for x in (section.page_width, section.page_height, section.top_margin,
                                section.left_margin, section.right_margin, section.bottom_margin)]
    assert mm == [210, 297, 37, 28, 26, 35]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("lines", "579")  # 22 lines fit in 225 mm
    body = next(p for p in doc.paragraphs if p.text.startswith("市民反映"))  # 28 characters: 3号 0.25 pt tighter
    assert {r._element.rPr.find(qn("w:spacing")).get(qn("w:val")) for r in body.runs} == {"-5"}
    assert section.different_first_page_header_footer  # 信函格式: the mark in the first page's header, no number
    assert doc.settings.odd_and_even_pages_header_footer  # page numbers: odd pages right, even pages left
    assert [section.footer.paragraphs[0].alignment, section.even_page_footer.paragraphs[0].alignment] == [2, 0]
    [mark] = [p for p in section.first_page_header.paragraphs if p.text]
    assert mark.text == "揭阳市12345政务服务便民热线管理办公室"
    assert mark.runs[0].font.color.rgb == (0xE6, 0x00, 0x12)
    border = mark._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:val")) == "thickThinSmallGap"  # the red double line, 上粗下细
    paragraphs = [p for p in doc.paragraphs if p.text]
    number, title, addressee = paragraphs[:3]
    assert number.text == "揭热线督〔2026〕1号" and number.alignment == 2  # 顶格居版心右边缘
    assert title.text.split("\n") == ["关于督促办理", "超期工单GD20260601001的督办函"]  # 2号: 18.7 em a line, between phrases
    assert title.runs[0].font.size == Pt(22)
    assert title.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    assert addressee.text == "揭阳市生态环境局："
    body = paragraphs[3]
    assert body.runs[0].font.size == Pt(16)
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    text = _body_text(doc)
    assert "2026年6月1日10:00，12345热线将市民诉求（工单编号GD20260601001，" in text
    assert "市民反映：河道偷排污水。" in text and "办理时限至2026年6月3日23:59" in text
    assert "你单位已于2026年6月1日11:00签收，截至2026年6月17日尚未办结回复，已超过办理时限10个工作日" in text
    assert "发出催办通知书1份" in text and "亮黄牌1次、亮红牌1次" in text and "0次" not in text
    assert "国办发〔2020〕53号" in text  # the basis, from config
    # 5 working days after Wed 06-17: 18, (19 端午), 22, 23, 24, 25
    assert "于2026年6月25日前将办理情况书面反馈本办" in text and "于2026年6月19日前办结" not in text
    assert paragraphs[-1].text == "\u3000抄送：市政务服务和数据管理局。"  # 左空一字, at the foot (a frame)
    assert "（联系人：陈晓敏，电话：0663-8212345）" in [p.text for p in paragraphs]  # 附注, a named person
    assert "2026年6月17日" in [p.text for p in paragraphs]  # 成文日期 = the day of the rule step
    history = doc.tables[0]
    cells = [[c.text for c in row.cells] for row in history.rows]
    assert cells[0] == ["时间", "事项"]
    assert ["2026年6月4日09:00", "发出催办通知书（揭热线催〔2026〕1号）"] in cells
    assert ["2026年6月10日09:00", "亮红牌"] in cells
    assert meta["recipients"][0] == {"role": "主送", "name": "揭阳市生态环境局", "code": "U01"}


def test_notice_docx_states_the_overdue_facts(engine, overdue_order, tmp_path):
    _, (docx_bytes, _), _ = _document(engine, overdue_order["urge_notice"]["id"])
    path = tmp_path / "notice.docx"
    path.write_bytes(docx_bytes)
    text = _body_text(Document(str(path)))
    assert "关于督促办理工单GD20260601001的催办通知书" in text.replace("\n", "")
    assert "截至2026年6月4日尚未办结回复，已超过办理时限1个工作日" in text
    assert "2026年6月4日" in text.splitlines()


def test_pdf_embeds_a_cjk_font_and_carries_the_facts(engine, overdue_order, tmp_path):
    _, _, (pdf_bytes, pdf_sha) = _document(engine, overdue_order["supervision_letter"]["id"])
    assert hashlib.sha256(pdf_bytes).hexdigest() == pdf_sha
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf_bytes)
    fonts = pdf_fonts(path)
    assert any("CJK" in row[0] and "yes" in row for row in fonts), fonts
    text = squeeze(pdf_text(path))
    for fact in ("揭热线督〔2026〕1号", "关于督促办理超期工单GD20260601001的督办函", "揭阳市生态环境局", "河道偷排污水",
                 "2026年6月25日前", "2026年6月17日"):
        assert fact in text
    lines = [line.strip() for line in pdf_text(path).splitlines()
             if line.strip() and not re.fullmatch(r"—\s*\d+\s*—", line.strip())]  # the page numbers — 1 —
    assert not [line for line in lines if line[0] in NO_LINE_START]  # 避头尾: no line starts with 。，）…
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(path),
                    str(ARTIFACTS / "document-supervision-letter")], check=True)
    assert (ARTIFACTS / "document-supervision-letter.png").stat().st_size > 10_000


def test_leaders_get_an_sms_with_the_link_for_the_letter_only(engine, overdue_order):
    letter_id = overdue_order["supervision_letter"]["id"]
    with engine.store.reading() as tx:
        rows = tx.c.execute(sa.select(outbox).where(outbox.c.template == "document_issued")).mappings().all()
    assert [(r["key"], r["recipient"], r["order_number"], r["params"]) for r in rows] == [
        (f"doc:{letter_id}:{LEADER_PHONE}", LEADER_PHONE, "GD20260601001",
         {"kind": "督办函", "number": "揭热线督〔2026〕1号", "link": f"/documents/{letter_id}"})]


def test_a_correction_is_a_new_document_and_the_old_one_is_unchanged(engine, clock, overdue_order):
    old_id = overdue_order["supervision_letter"]["id"]
    before = _document(engine, old_id)
    clock.set(local(2026, 7, 1, 10, 0))
    new_id = correct_document(engine, old_id, "联系电话有误")
    after_old = _document(engine, old_id)
    assert after_old[1] == before[1] and after_old[2] == before[2]
    new, (docx_bytes, _), _ = _document(engine, new_id)
    assert new["number"] == "揭热线督〔2026〕2号" and new["corrects_id"] == old_id
    assert new["corrects_number"] == "揭热线督〔2026〕1号" and after_old[0]["corrected_by"]["id"] == new_id
    with pytest.raises(DubanError, match="already corrected"):
        correct_document(engine, old_id, "again")
