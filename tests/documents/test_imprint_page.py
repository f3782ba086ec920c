"""GB/T 9704-2012 puts the 版记 on the last 面 of a document printed on both sides (§7.4.1: its last rule on the
lower edge of the last 面's 版心; §8: 双面印刷), that is on an even page; §7.5: when a blank page comes before
the 版记 page, neither is numbered. Checked on rendered PDFs of one, two and three pages of text."""
from __future__ import annotations

from datetime import date

import pytest

from config.documents import load_document_settings
from engine.documents.model import DocumentContent, Paragraph
from tests.documents.pdf_measure import lines
from workflows.documents.fonts import find_cjk_fonts
from workflows.documents.pdf_flow import imprint_pages
from workflows.documents.pdf_render import render_pdf

SENTENCE = "请你单位接此通知后立即组织办理并答复市民。"  # 21 characters


def test_where_the_imprint_goes():
    assert imprint_pages(1, True) == (2, False)  # text on page 1 only: the 版记 alone on page 2, numbered
    assert imprint_pages(2, True) == (2, False)  # under the text of page 2
    assert imprint_pages(2, False) == (4, True)  # page 3 blank, page 4 the 版记: neither numbered
    assert imprint_pages(3, False) == (4, False)


def _content(paragraphs: int, tail: int = 0) -> DocumentContent:
    """`paragraphs` of four sentences, then one of `tail` sentences."""
    blocks = tuple(Paragraph(SENTENCE * n) for n in [4] * paragraphs + ([tail] if tail else []))
    return DocumentContent("urge_notice", "揭热线催〔2026〕9号", "关于督促办理工单GD20260601001的催办通知书", "揭阳市生态环境局：",
                           blocks, "揭阳市12345热线管理办公室",
                           "揭阳市12345热线管理办公室文件", date(2026, 6, 4), ("揭阳市人民政府办公室",),
                           printer="揭阳市12345热线管理办公室")


def _pages(tmp_path, paragraphs: int, tail: int = 0):
    path = tmp_path / f"n{paragraphs}-{tail}.pdf"
    path.write_bytes(render_pdf(_content(paragraphs, tail), find_cjk_fonts(load_document_settings().font_dirs)))
    return lines(path)


def _numbers(page) -> list[str]:
    return [line.text.replace(" ", "") for line in page if line.text.replace(" ", "").startswith("—")]


@pytest.mark.parametrize(("paragraphs", "tail", "blank"), [(1, 0, False), (5, 0, False), (6, 1, True), (12, 0, False)])
def test_the_imprint_is_on_an_even_last_page(tmp_path, paragraphs, tail, blank):
    pages = _pages(tmp_path, paragraphs, tail)
    assert len(pages) % 2 == 0
    holding = [n for n, page in enumerate(pages, 1) if any(line.text.startswith("抄送：") for line in page)]
    assert holding == [len(pages)]
    texts = [[line.text for line in page if not line.text.replace(" ", "").startswith("—")] for page in pages]
    assert blank == (not [t for t in texts[-2] if t])
    if blank:  # the text fills page 2: page 3 blank, the 版记 on page 4, neither numbered (§7.5)
        assert len(pages) == 4 and _numbers(pages[-2]) == [] and _numbers(pages[-1]) == []
    else:
        assert _numbers(pages[-1]) == [f"—{len(pages)}—"]


def test_a_one_page_text_puts_its_imprint_alone_on_page_two(tmp_path):
    pages = _pages(tmp_path, 1)
    assert len(pages) == 2
    assert not any(line.text.startswith("抄送：") for line in pages[0])
    assert [line.text for line in pages[1] if not line.text.replace(" ", "").startswith("—")] == [
        "抄送：揭阳市人民政府办公室。", "揭阳市12345热线管理办公室", "2026年6月4日印发"]
