"""DOCX after GB/T 9704-2012 (the numbers are in `geometry`): A4, the 版心, a 22 × 28 document grid
(`w:docGrid`), the 版头 of the kind's 版式 (文件格式, with 签发人 for reports sent up, 信函格式 for letters), 空二行
before the number and the title, the signature and date of §7.3.5.2, the 附注, the 版记 with its rules pinned
to the foot of the last page, page numbers on the outer side of odd and even pages, keep-with-next for the
signature, captions and table rows (Word does the pagination).

Every run gets its East-Asian font (w:eastAsia), or Word would show Chinese in its default font.
"""
from __future__ import annotations

import copy
import io
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from config.documents import DocxFonts
from engine.documents.linebreak import balance_title
from engine.documents.model import Chart, DocumentContent, Paragraph, Table
from engine.documents.numbering import chinese_date
from workflows.documents import geometry as g
from workflows.documents.charts import render_chart
from workflows.documents.docx_parts import (
    LINE_PITCH_TWIPS, RED, RED_HEX, SIZE_2, SIZE_3, SIZE_4, add_border, add_paragraph, ems,
    no_auto_space, off_grid, page_field, place_in_order, set_font, twips)
from workflows.documents.pdf_flow import imprint_pages
from workflows.documents.pdf_layout import PdfLayout
from workflows.documents.pdf_table import LEADING, fitted_widths, numeric_columns

FOOTER_BOTTOM = g.LETTER_FOOT_RULE + 1.6  # mm from the top: the foot of a letter's lower double line (thin, gap, thick)
LETTER_NUMBER_BEFORE = 3.7  # mm: from where page 1's text starts under a letter's header to its number
IMPRINT_SLACK = 2 * g.LINE  # mm: room the PDF must leave over its 版记 for the DOCX to put it on the text's page
IMPRINT_THICK, IMPRINT_THIN = 8, 6  # the 版记's rules in eighths of a point: 0.35 mm and 0.26 mm (§7.4.1)


def _page_numbers(doc: Any, section: Any) -> None:
    """§7.5: odd pages 居右空一字, even pages 居左空一字, the 一字线 7 mm under the 版心."""
    doc.settings.odd_and_even_pages_header_footer = True
    # the footers reach down to the foot of a letter's lower double line; the page number's line ends, and its
    # space after begins, where the number's line is centred 7 mm under the 版心
    section.footer_distance = Mm(g.PAGE_H - FOOTER_BOTTOM)
    after = Mm(FOOTER_BOTTOM - g.PAGE_NUMBER_TOP - g.SIZE_SMALL * g.PT / 2)
    for footer, align, side in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
        p = footer.paragraphs[0]
        p.alignment = align
        setattr(p.paragraph_format, f"{side}_indent", SIZE_4)  # 空一字
        p.paragraph_format.space_after = after
        page_field(p, SIZE_4)


def _grid(section: Any) -> None:
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    # a line grid only: with a character grid ("linesAndChars") LibreOffice gives each 3号 character two cells
    # (half a line's worth); the 28 characters a line come from the body runs' spacing (BODY_SPACING_TWIPS)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))


def mark_size(mark: str) -> Pt:
    """发文机关标志 as large as fits on one line of the 156 mm 版心 (at most 30 pt)."""
    return Pt(min(30.0, int(g.BODY_W / g.PT / max(ems(mark, latin=0.65), 1))))


def _head(doc: Any, section: Any, content: DocumentContent, fonts: DocxFonts) -> None:
    form = g.format_of(content.kind)
    size = mark_size(content.mark)
    if form == "letter":  # the mark and its double line in the first page's header, 30 mm from the top
        section.different_first_page_header_footer = True
        section.header_distance = Mm(g.LETTER_MARK_TOP)
        header = section.first_page_header
        blank = header.paragraphs[0]  # a new header's empty paragraph: above the mark, it moved it 6 mm down
        mark = add_paragraph(header, "", fonts.mark, size, align=WD_ALIGN_PARAGRAPH.CENTER, line=size)
        blank._p.getparent().remove(blank._p)
        set_font(mark.add_run(content.mark), fonts.mark, size, colour=RED)
        add_border(mark, "bottom", "thickThinSmallGap", 24, RED_HEX, space_pt=round(g.LETTER_RULE_GAP / g.PT))
        foot = section.first_page_footer.paragraphs[0]
        add_border(foot, "bottom", "thinThickSmallGap", 24, RED_HEX, space_pt=0)  # 上细下粗, 20 mm above the foot
        # the number's own line, off the grid, 16 pt high: the text of page 1 starts under the header that holds
        # the mark and its double line, and the space puts the number where the PDF has it (LibreOffice measured;
        # on the grid's 29 pt line it sat 1.2 mm high and the title 1.1 mm low)
        number = add_paragraph(doc, content.number, fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.RIGHT, line=SIZE_3)
        number.paragraph_format.space_before = Mm(LETTER_NUMBER_BEFORE)
        off_grid(number)
        for _ in range(2):
            add_paragraph(doc, "", fonts.body, SIZE_3)
    else:
        mark = add_paragraph(doc, content.mark, fonts.mark, size, align=WD_ALIGN_PARAGRAPH.CENTER, colour=RED, line=size)
        mark.paragraph_format.space_before = Mm(g.FILE_MARK_TOP - g.TOP)
        off_grid(mark)  # its own exact line, not the page's line grid (which moved it 7 mm down)
        for _ in range(2):  # 空二行
            add_paragraph(doc, "", fonts.body, SIZE_3)
        if form == "upward":  # 发文字号居左空一字, 签发人 居右空一字
            number = add_paragraph(doc, "", fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.LEFT)
            number.paragraph_format.left_indent = SIZE_3
            number.paragraph_format.tab_stops.add_tab_stop(Mm(g.BODY_W - g.CHAR), WD_TAB_ALIGNMENT.RIGHT)
            set_font(number.add_run(f"{content.number}\t签发人：{content.signer}"), fonts.body, SIZE_3)
        else:
            number = add_paragraph(doc, content.number, fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.CENTER)
        # the rule 4 mm under the number: a border's space counts from the foot of the number's line, and the number
        # sits in the middle of its line (11 pt put the rule, and all below it, 2 mm low)
        below = g.RULE_BELOW_NUMBER - (g.LINE - g.SIZE_BODY * g.PT) / 2
        add_border(number, "bottom", "single", 12, RED_HEX, space_pt=round(below / g.PT))
        for _ in range(2):  # 空二行
            add_paragraph(doc, "", fonts.body, SIZE_3)
    # in ems of the 2号 title (not of 3号 text): the 版心 less two characters holds 18.7 of them
    lines = balance_title(content.title_parts or (content.title,), ems,
                          width=(g.BODY_W - 2 * g.CHAR) / (g.SIZE_TITLE * g.PT))
    title = add_paragraph(doc, "", fonts.title, SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER)
    for n, text in enumerate(lines):
        run = title.add_run(text)
        set_font(run, fonts.title, SIZE_2)
        if n < len(lines) - 1:
            run.add_break()
    add_paragraph(doc, "", fonts.body, SIZE_3)  # 标题下空一行


def _table(doc: Any, table: Table, fonts: DocxFonts) -> Any:
    if table.caption:
        add_paragraph(doc, table.caption, fonts.heading, SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, keep=True)
    numeric = numeric_columns(table)
    # the PDF's column widths (each at least its header and widest identifier), from widths in em: Latin as a
    # substituted font may set it (0.7 em), plus Word's cell margins beyond the PDF's (1.6 mm)
    widths, size_pt = fitted_widths(table, lambda text, font, size: ems(text, latin=0.7) * size * g.PT + 1.6,
                                    g.BODY_W)
    size = Pt(size_pt)
    grid = doc.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    grid._tbl.tblPr.append(layout)
    for column, width in zip(grid.columns, widths):
        column.width = Mm(width)
    first_body_row = None
    for row_index, texts in enumerate([table.headers, *table.rows]):
        if first_body_row is not None:  # later rows are the first body row's copy with their texts put in
            _copy_row(grid, first_body_row, texts)
            continue
        row = grid.rows[0] if row_index == 0 else grid.add_row()
        if row_index == 1:
            first_body_row = row._tr
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))  # a row is never split across pages
        if row_index == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))  # repeated on each page
        for cell, text, figures, width in zip(row.cells, texts, numeric, widths):
            cell.width = Mm(width)
            p = cell.paragraphs[0]
            p.paragraph_format.keep_with_next = row_index == 0
            off_grid(p)  # the cell's own line spacing, not the page's line grid
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = Pt(size_pt * LEADING)
            p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
            p.alignment = (WD_ALIGN_PARAGRAPH.CENTER if row_index == 0 else
                           WD_ALIGN_PARAGRAPH.RIGHT if figures else WD_ALIGN_PARAGRAPH.LEFT)
            for n, piece in enumerate(text.split("\n") if row_index == 0 else [text]):
                run = p.add_run()
                if n:
                    run.add_break()
                run.add_text(piece)
                set_font(run, fonts.heading if row_index == 0 else fonts.body, size)
    return grid


def _copy_row(grid: Any, model: Any, texts: tuple[str, ...]) -> None:
    """A body row as `model` (a w:tr whose cells hold one run each) with `texts` in its cells: the same XML
    python-docx builds cell by cell for every row (its proxies made that most of a DOCX's rendering time)."""
    tr = copy.deepcopy(model)
    for t, text in zip(tr.iter(qn("w:t")), texts, strict=True):
        t.text = text
        t.attrib.pop(qn("xml:space"), None)
        if len(text.strip()) < len(text):
            t.set(qn("xml:space"), "preserve")
    grid._tbl.append(tr)


def _chart(doc: Any, chart: Chart, fonts: DocxFonts, scale: float = 1.0) -> None:
    """The chart at the scale the PDF drew it (down to 80 % of 150 mm where the PDF fitted it to its page's room),
    so the DOCX pages as the PDF does; its own line, off the grid (the grid would round its height up to whole
    lines, up to 10 mm more than the PDF gave it)."""
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
    off_grid(p)
    p.add_run().add_picture(io.BytesIO(render_chart(chart)), width=Mm(150 * scale))
    add_paragraph(doc, chart.caption, fonts.body, SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, line=None)


def _signature(doc: Any, content: DocumentContent, fonts: DocxFonts) -> None:
    """§7.3.5.2: 正文下空一行, the issuer 右空二字, the date two characters right of the issuer's first character;
    kept with the text's last lines (Word moves them together)."""
    add_paragraph(doc, "", fonts.body, SIZE_3, keep=True)
    issuer = add_paragraph(doc, content.issuer, fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.RIGHT, keep=True)
    date_text = chinese_date(content.issued_on)
    shift = max(ems(date_text) + 2 - ems(content.issuer), 0)  # a date longer than the issuer moves it left
    issuer.paragraph_format.right_indent = Pt(g.SIZE_BODY * (2 + shift))
    date = add_paragraph(doc, date_text, fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.LEFT,
                      keep=bool(content.annotation))
    date.paragraph_format.left_indent = Pt(g.SIZE_BODY * (g.CHARS - 2 - shift - ems(content.issuer) + 2))
    if content.annotation:
        add_paragraph(doc, content.annotation, fonts.body, SIZE_3, indent=2)


def _imprint_rows(content: DocumentContent) -> list[str]:
    """The 版记's rows: 抄送, then (文件格式) 印发机关 and 印发日期. 左空一字 as an ideographic space, not an indent:
    LibreOffice counts tab stops from the indent, Word from the margin; without an indent both put the right tab 一字
    inside the 版心's right edge (右空一字)."""
    rows = [f"\u3000抄送：{'，'.join(content.cc)}。"] if content.cc else []
    if g.format_of(content.kind) != "letter":
        rows.append(f"\u3000{content.printer or content.issuer}\t{chinese_date(content.issued_on)}印发")
    return rows


def _imprint_under_the_text(content: DocumentContent, layout: PdfLayout | None) -> bool:
    """Whether the 版记 goes under the text's last page rather than to an even page of its own: only when the PDF,
    laid out on the same grid (22 lines of 28 characters), ends its text on an even page with the 版记 under it and
    IMPRINT_SLACK to spare, and has no chart (a chart the PDF scales down to its page, Word does not). Word paginates
    the DOCX itself, so this is a forecast: the slack covers table rows Word wraps otherwise, and a text Word ends
    a page later or earlier would put the 版记 on an odd page. Anything less certain takes the even-page section,
    which is right whatever Word does and at worst adds a blank page (as §7.5 allows) before the 版记's."""
    room = layout.imprint_room if layout else None
    return (room is not None and room >= IMPRINT_SLACK
            and not any(isinstance(block, Chart) for block in content.blocks))


def _even_page_section(doc: Any, *, numbered: bool = True) -> None:
    """The 版记 in a section of its own that starts on an even page (§7.4.1, §8: the last 面 of a document printed on
    both sides), which Word and LibreOffice honour as they paginate: after a text ending on an odd page the 版记 is
    alone on the next page; after one ending on an even page, a blank page (which neither prints a footer on) comes
    first, as §7.5 allows. The section break is the text's last paragraph's, so no empty line can push it to a new
    page; the new section keeps the page size, margins, grid and page numbers, not a letter's first-page header."""
    body = doc.element.body
    last = body.sectPr
    ending = last.clone()
    body.xpath("./w:p")[-1].get_or_add_pPr().append(ending)
    for element in last.xpath("w:headerReference|w:footerReference|w:titlePg"):
        last.remove(element)
    last.start_type = WD_SECTION.EVEN_PAGE
    if not numbered:  # §7.5: a blank page before the 版记's, and the 版记's page, carry no page number
        section = doc.sections[-1]
        for footer in (section.footer, section.even_page_footer):
            footer.is_linked_to_previous = False  # an empty footer of its own


def _imprint(doc: Any, content: DocumentContent, fonts: DocxFonts) -> None:
    """版记 at the foot of the last page: one framed paragraph a row (抄送; 印发机关 and 印发日期), each frame at its
    row's place above the 版心's lower edge (the page is the one its paragraph falls on, and no text runs beside
    or under it), with a thick rule above the first row and below the last and a thin rule between the rows
    (§7.4.1; one frame of two lines could not have the thin rule); 信函格式: 抄送 only, no rules."""
    letter = g.format_of(content.kind) == "letter"
    rows = _imprint_rows(content)
    for n, text in enumerate(rows):
        # an exact line just over the type size, in a frame of the row's height: LibreOffice sets the text at
        # the foot of an exact line, and this puts it in the middle of the row, as the PDF does; a row without
        # the top rule and its space (2 pt) above it has that space before it instead
        more = n < len(rows) - 1  # the rows' paragraphs kept on one page
        p = add_paragraph(doc, text, fonts.body, SIZE_4, align=WD_ALIGN_PARAGRAPH.LEFT, line=Pt(g.SIZE_SMALL + 1),
                       keep=more)
        p.paragraph_format.space_before = Pt(0 if n == 0 and not letter else 2)
        p.paragraph_format.tab_stops.add_tab_stop(Mm(g.BODY_W - g.SIZE_SMALL * g.PT), WD_TAB_ALIGNMENT.RIGHT)
        frame = OxmlElement("w:framePr")
        top = g.BODY_H - (len(rows) - n) * g.IMPRINT_ROW  # from the 版心's top edge
        for key, value in (("w:w", twips(g.BODY_W)), ("w:hAnchor", "margin"), ("w:vAnchor", "margin"),
                           ("w:y", twips(top)), ("w:h", twips(g.IMPRINT_ROW)), ("w:hRule", "exact"),
                           ("w:wrap", "notBeside")):
            frame.set(qn(key), value)
        place_in_order(p._p.get_or_add_pPr(), frame, ("pStyle", "keepNext", "keepLines", "pageBreakBefore"))
        if more:  # LibreOffice drops the frame of a framed paragraph followed by another one
            off_grid(add_paragraph(doc, "", fonts.body, SIZE_4, line=Pt(1), keep=True))
        if not letter:
            if n == 0:
                add_border(p, "top", "single", IMPRINT_THICK, "000000")
            add_border(p, "bottom", "single", IMPRINT_THICK if n == len(rows) - 1 else IMPRINT_THIN, "000000")


def render_docx(content: DocumentContent, fonts: DocxFonts, *, layout: PdfLayout | None = None) -> bytes:
    """`layout`: what the PDF's layout chose (`render_pdf_and_layout`): the room above a 版记 under the text of its
    last page, each chart's scale, the text's pages; None when no PDF was made (no CJK font)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(g.PAGE_W), Mm(g.PAGE_H)
    section.top_margin, section.bottom_margin = Mm(g.TOP), Mm(g.BOTTOM)
    section.left_margin, section.right_margin = Mm(g.LEFT), Mm(g.RIGHT)
    _grid(section)
    no_auto_space(doc)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = fonts.body, SIZE_3
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), fonts.body)
    doc.core_properties.title = content.title
    doc.core_properties.subject = content.number
    doc.core_properties.author = content.issuer
    _head(doc, section, content, fonts)
    add_paragraph(doc, content.addressee, fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.LEFT)
    last: list[Any] = []  # the paragraphs that go to the signature's page with it
    scales = iter(layout.chart_scales if layout else ())
    for block in content.blocks:
        if isinstance(block, Paragraph):
            heading = block.style == "heading"
            last = [add_paragraph(doc, block.text, fonts.heading if heading else fonts.body, SIZE_3, indent=2,
                               keep=heading)]
        elif isinstance(block, Table):  # its last two rows
            last = [p for row in _table(doc, block, fonts).rows[-2:] for cell in row.cells for p in cell.paragraphs]
        elif isinstance(block, Chart):
            last = []
            _chart(doc, block, fonts, next(scales, 1.0))
    for p in last:
        p.paragraph_format.keep_with_next = True
    if isinstance(content.blocks[-1], Paragraph) and last:
        last[0].paragraph_format.keep_together = True
    _signature(doc, content, fonts)
    _page_numbers(doc, section)
    if _imprint_rows(content):
        if not _imprint_under_the_text(content, layout):
            # a text the PDF ends on an even page: the section's start brings a blank page before the 版记's
            _even_page_section(doc, numbered=not (layout and imprint_pages(layout.text_pages, fits=False)[1]))
        _imprint(doc, content, fonts)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
