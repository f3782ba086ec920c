"""The DOCX's GB/T 9704-2012 geometry, read from its XML (runs everywhere; the LibreOffice rendering is checked in
test_gbt9704_layout when LibreOffice is installed): where the grid, the 版头, the page numbers and the 版记 with
its rules are placed, in millimetres, as Word and LibreOffice lay them out."""
from __future__ import annotations

import dataclasses
import io
from datetime import date

from docx import Document
from docx.enum.section import WD_SECTION

from config.documents import load_document_settings
from engine.documents.model import Chart, DocumentContent, Paragraph, Table
from workflows.documents import geometry as g
from workflows.documents.docx_render import render_docx
from workflows.documents.pdf_layout import PdfLayout

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TWIP = 25.4 / 1440  # mm
SENTENCE = "请你单位接此通知后立即组织办理并答复市民。"


def _content(kind: str, cc: tuple[str, ...] = ("市政务服务和数据管理局",), table: bool = False) -> DocumentContent:
    blocks: tuple = tuple(Paragraph(SENTENCE * 4) for _ in range(3))
    if table:
        blocks += (Table(("时间", "事项"), tuple((f"2026年6月{d}日09:00", "电话催办") for d in range(1, 9)), "办理记录"),)
    return DocumentContent(kind, "揭热线催〔2026〕9号", "关于督促办理工单GD20260601001的催办通知书", "揭阳市生态环境局：",
                           blocks, "揭阳市12345热线管理办公室", "揭阳市12345热线管理办公室", date(2026, 6, 4), cc,
                           title_parts=("关于督促办理", "工单GD20260601001", "的催办通知书"), signer="林志强",
                           printer="揭阳市12345热线管理办公室")


def _docx(content: DocumentContent, imprint_room: float | None = None, **layout):
    layout = PdfLayout(imprint_room, **layout) if imprint_room is not None or layout else None
    return Document(io.BytesIO(render_docx(content, load_document_settings().docx_fonts, layout=layout)))


def _mm(element, attribute: str) -> float:
    return int(element.get(W + attribute)) * TWIP


def _ppr(paragraph, tag: str):
    return paragraph._p.find(f"{W}pPr/{W}{tag}")


def test_the_line_grid_holds_22_lines_in_the_body():
    """22 lines of the grid's pitch fit the 225 mm 版心 (580 twips did not: LibreOffice then laid out 21 lines and
    centred them, every line and the mark 5 mm low)."""
    section = _docx(_content("urge_notice")).sections[0]._sectPr
    grid, margins, size = (section.find(W + tag) for tag in ("docGrid", "pgMar", "pgSz"))
    body = _mm(size, "h") - _mm(margins, "top") - _mm(margins, "bottom")
    assert abs(body - g.BODY_H) < 0.1
    pitch = _mm(grid, "linePitch")
    assert grid.get(W + "type") == "lines" and 22 * pitch <= body and abs(pitch - g.LINE) < 0.02


def test_file_format_mark_and_the_rule_under_the_number():
    doc = _docx(_content("urge_notice"))
    mark, blank1, blank2, number = doc.paragraphs[:4]
    assert mark.text == "揭阳市12345热线管理办公室"
    spacing = _ppr(mark, "spacing")
    assert abs(g.TOP + _mm(spacing, "before") - g.FILE_MARK_TOP) < 0.1  # 35 mm below the 版心's top
    assert int(spacing.get(W + "line")) == round(mark.runs[0].font.size.pt * 20)  # a line of its own size
    assert _ppr(mark, "snapToGrid").get(W + "val") == "0"
    assert not blank1.text and not blank2.text and number.text == "揭热线催〔2026〕9号"  # 空二行
    # the rule 4 mm under the number, which sits in the middle of its line: the border's space from the line's foot
    rule = _ppr(number, "pBdr").find(W + "bottom")
    space = int(rule.get(W + "space")) * g.PT
    assert abs((g.LINE - g.SIZE_BODY * g.PT) / 2 + space - g.RULE_BELOW_NUMBER) < 0.3


def test_letter_mark_is_the_first_thing_in_its_header_and_the_lower_double_line_20mm_above_the_foot():
    section = _docx(_content("supervision_letter")).sections[0]
    header = section.first_page_header.paragraphs
    assert [p.text for p in header] == ["揭阳市12345热线管理办公室"]  # no empty paragraph above the mark
    assert abs(section.header_distance.mm - g.LETTER_MARK_TOP) < 0.1
    assert _ppr(header[0], "pBdr").find(W + "bottom").get(W + "val") == "thickThinSmallGap"  # 上粗下细
    [foot] = section.first_page_footer.paragraphs
    assert _ppr(foot, "pBdr").find(W + "bottom").get(W + "val") == "thinThickSmallGap"  # 上细下粗
    # the footer reaches down to the double line's foot: its thin line lies 20 mm above the page's foot
    assert abs(g.PAGE_H - section.footer_distance.mm - 1.6 - g.LETTER_FOOT_RULE) < 0.1


def test_page_numbers_are_centred_7mm_under_the_body_on_the_outer_side():
    section = _docx(_content("urge_notice")).sections[0]
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        [p] = footer.paragraphs
        assert p.alignment.name.lower() == side
        assert abs(getattr(p.paragraph_format, f"{side}_indent").pt - g.SIZE_SMALL) < 0.01  # 空一字
        foot = g.PAGE_H - section.footer_distance.mm - p.paragraph_format.space_after.mm  # the number line's foot
        assert abs(foot - g.SIZE_SMALL * g.PT / 2 - g.PAGE_NUMBER_TOP) < 0.1


def _frames(doc):
    return [p for p in doc.paragraphs if _ppr(p, "framePr") is not None]


def _rules(paragraph) -> dict[str, tuple[str, int]]:
    borders = _ppr(paragraph, "pBdr")
    return {} if borders is None else {b.tag[len(W):]: (b.get(W + "val"), int(b.get(W + "sz"))) for b in borders}


def test_imprint_rows_between_a_thick_rule_a_thin_rule_and_a_thick_rule_at_the_foot_of_the_body():
    """§7.4.1: 抄送 and 印发机关/印发日期 each a row of 8.5 mm, a thick rule (0.35 mm) above the first and under the
    last, a thin one (0.25 mm) between; the last rule on the 版心's lower edge."""
    doc = _docx(_content("urge_notice"))
    cc, printed = _frames(doc)
    assert cc.text == "\u3000抄送：市政务服务和数据管理局。" and printed.text == "\u3000揭阳市12345热线管理办公室\t2026年6月4日印发"
    assert _rules(cc) == {"top": ("single", 8), "bottom": ("single", 6)}
    assert _rules(printed) == {"bottom": ("single", 8)}
    for row, frame in enumerate((cc, printed)):
        props = _ppr(frame, "framePr")
        assert props.get(W + "vAnchor") == props.get(W + "hAnchor") == "margin"
        assert abs(_mm(props, "w") - g.BODY_W) < 0.1 and props.get(W + "hRule") == "exact"
        top, height = g.TOP + _mm(props, "y"), _mm(props, "h")
        assert abs(height - 8.5) < 0.1 and abs(top - (g.BODY_BOTTOM - (2 - row) * 8.5)) < 0.1
    between = cc._p.getnext()  # not framed: LibreOffice loses the frame of a framed paragraph followed by another
    assert between.tag == W + "p" and between.find(f"{W}pPr/{W}framePr") is None and between.getnext() is printed._p


def test_imprint_without_cc_and_the_letters_without_rules():
    [printed] = _frames(_docx(_content("special_report", cc=())))
    assert _rules(printed) == {"top": ("single", 8), "bottom": ("single", 8)}
    [cc] = _frames(_docx(_content("supervision_letter")))
    assert cc.text.startswith("\u3000抄送：") and _rules(cc) == {}


def test_a_closing_table_keeps_its_last_rows_with_the_signature():
    doc = _docx(_content("supervision_letter", table=True))
    table = doc.tables[-1]
    keep = [all(p.paragraph_format.keep_with_next for cell in row.cells for p in cell.paragraphs) for row in table.rows]
    assert keep[-2:] == [True, True] and not any(keep[1:-2])


def test_the_imprint_is_in_a_section_of_its_own_that_starts_on_an_even_page():
    """§7.4.1, §8: the 版记 on the last 面, an even page, whatever page the word processor ends the text on: the text's
    last paragraph (the date, or the 附注) ends the first section, and the 版记's section starts on an even page
    with the same page, margins, grid and (inherited) page numbers, without a letter's first-page header."""
    for kind in ("urge_notice", "supervision_letter", "special_report"):
        doc = _docx(_content(kind))
        first, imprint = doc.sections
        assert imprint.start_type == WD_SECTION.EVEN_PAGE and first.start_type == WD_SECTION.NEW_PAGE
        ending = doc.element.body.xpath("./w:p[w:pPr/w:sectPr]")
        assert len(ending) == 1 and ending[0].xpath("string(.)") == "2026年6月4日"  # no empty line of its own
        assert all(p.find(f"{W}pPr/{W}framePr") is not None or not p.xpath("string(.)")
                   for p in ending[0].itersiblings(f"{W}p"))  # only the 版记 after it
        for name in ("page_width", "page_height", "top_margin", "left_margin", "footer_distance"):
            assert getattr(imprint, name) == getattr(first, name), name
        assert imprint._sectPr.find(f"{W}docGrid").get(W + "linePitch") == first._sectPr.find(
            f"{W}docGrid").get(W + "linePitch")
        assert imprint.footer.is_linked_to_previous and imprint.even_page_footer.is_linked_to_previous
        assert not imprint.different_first_page_header_footer  # a letter's mark is on its first page only
    without = _docx(_content("supervision_letter", cc=()))  # a letter without 抄送 has no 版记
    assert len(without.sections) == 1 and not _frames(without)


def test_the_imprint_stays_under_the_text_where_the_pdf_has_it_there_with_room_to_spare():
    """When the PDF ends its text on an even page with the 版记 under it and two lines to spare (so Word, on the
    same grid, ends there too), the DOCX has no second section and no blank page: the 版记 frames follow the
    signature; with less room, or a chart (which the PDF may scale down and Word does not), the even-page section."""
    under = _docx(_content("urge_notice"), imprint_room=2 * g.LINE + 1)
    assert len(under.sections) == 1 and len(_frames(under)) == 2
    assert len(_docx(_content("urge_notice"), imprint_room=2 * g.LINE - 1).sections) == 2
    assert len(_docx(_charted(), imprint_room=100.0).sections) == 2


def _charted() -> DocumentContent:
    return dataclasses.replace(_content("urge_notice"), blocks=(
        *_content("urge_notice").blocks, Chart("图1", ("1月",), (("受理量", (3.0,)),), "件")))


def test_a_chart_has_the_scale_the_pdf_gave_it_on_a_line_of_its_own():
    """A chart the PDF scaled down to stay on its page (to 80 %) is as small in the DOCX, which then pages as the PDF
    (Q1's page 2 was half empty, its full-size chart carried over); its paragraph is off the grid, which would
    round its height up to whole lines."""
    for scale in (1.0, 0.81):
        doc = _docx(_charted(), text_pages=3, chart_scales=(scale,))
        [shape] = doc.inline_shapes
        assert abs(shape.width.mm - 150 * scale) < 0.1
        picture = next(p for p in doc.paragraphs if p._p.xpath(".//w:drawing"))
        assert _ppr(picture, "snapToGrid").get(W + "val") == "0"
    assert abs(_docx(_charted()).inline_shapes[0].width.mm - 150) < 0.1  # no PDF made: full size


def _numbered(footer) -> bool:
    return any("PAGE" in (t.text or "") for t in footer._element.iter(W + "instrText"))


def test_a_blank_page_before_the_imprint_and_the_imprint_page_carry_no_page_number():
    """§7.5: when the text ends on an even page (as the PDF lays it out) the even-page section brings a blank page
    before the 版记's; that section's footers (which LibreOffice prints on the blank page too) have no page number.
    After a text ending on an odd page the 版记's page is the next, numbered as in the PDF."""
    for kind in ("urge_notice", "supervision_letter"):
        first, imprint = _docx(_content(kind), text_pages=2).sections
        for footer in (imprint.footer, imprint.even_page_footer):
            assert not footer.is_linked_to_previous and not _numbered(footer)
        assert _numbered(first.footer) and _numbered(first.even_page_footer)
        _, imprint = _docx(_content(kind), text_pages=3).sections
        assert imprint.footer.is_linked_to_previous and imprint.even_page_footer.is_linked_to_previous
    _, imprint = _docx(_charted(), imprint_room=100.0, text_pages=4, chart_scales=(1.0,)).sections
    assert not _numbered(imprint.even_page_footer)  # the 版记 the PDF has under the text: a section for the chart
