"""DOCX after GB/T 9704-2012: A4, 版心 margins, red 发文机关标志 and separator, 发文字号, 2号 title, 3号 body.

Every run gets its East-Asian font (w:eastAsia), or Word would show Chinese in its default font.
"""
from __future__ import annotations

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from config.documents import DocxFonts
from engine.documents.model import Chart, DocumentContent, Paragraph, Table
from engine.documents.numbering import chinese_date
from workflows.documents.charts import render_chart

RED = RGBColor(0xFF, 0x00, 0x00)
SIZE_2, SIZE_3, SIZE_4, SIZE_TABLE = Pt(22), Pt(16), Pt(14), Pt(11)
LINE = Pt(28)  # 22 lines on the 版心


def _font(run, name: str, size: Pt, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)
    if colour is not None:
        run.font.color.rgb = colour


def _paragraph(doc, text: str, font: str, size: Pt, *, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False,
               bold: bool = False, colour: RGBColor | None = None, line=LINE):
    p = doc.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
    if text:
        _font(p.add_run(text), font, size, bold=bold, colour=colour)
    return p


def _bottom_border(paragraph, colour: str = "FF0000", size: int = 12) -> None:
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "4"), ("w:color", colour)):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _page_number_footer(section, fonts: DocxFonts) -> None:
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("— "), "宋体", SIZE_4)
    run = p.add_run()
    _font(run, "宋体", SIZE_4)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _font(p.add_run(" —"), "宋体", SIZE_4)


def _table(doc, table: Table, fonts: DocxFonts) -> None:
    if table.caption:
        _paragraph(doc, table.caption, fonts.heading, SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER)
    grid = doc.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, table.headers):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), fonts.heading, SIZE_TABLE)
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, text in zip(cells, row):
            _font(cell.paragraphs[0].add_run(text), fonts.body, SIZE_TABLE)


def _chart(doc, chart: Chart, fonts: DocxFonts) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run().add_picture(io.BytesIO(render_chart(chart)), width=Mm(150))
    _paragraph(doc, chart.caption, fonts.body, SIZE_4, align=WD_ALIGN_PARAGRAPH.CENTER, line=None)


def mark_size(mark: str) -> Pt:
    """发文机关标志 as large as fits on one line of the 156 mm 版心 (at most 30 pt)."""
    em = sum(0.5 if ch.isascii() else 1.0 for ch in mark)
    return Pt(min(30.0, int(156 / 25.4 * 72 / max(em, 1))))


def render_docx(content: DocumentContent, fonts: DocxFonts) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = fonts.body, SIZE_3
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), fonts.body)
    doc.core_properties.title = content.title
    doc.core_properties.subject = content.number
    doc.core_properties.author = content.issuer

    _paragraph(doc, content.mark, fonts.mark, mark_size(content.mark), align=WD_ALIGN_PARAGRAPH.CENTER, colour=RED, line=Pt(48))
    _paragraph(doc, "", fonts.body, SIZE_3)
    number = _paragraph(doc, content.number, fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.CENTER)
    _bottom_border(number)  # the red separator line under 发文字号
    _paragraph(doc, "", fonts.body, SIZE_3)
    _paragraph(doc, content.title, fonts.title, SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36))
    _paragraph(doc, "", fonts.body, SIZE_3)
    _paragraph(doc, content.addressee, fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.LEFT)
    for block in content.blocks:
        if isinstance(block, Paragraph):
            if block.style == "heading":
                _paragraph(doc, block.text, fonts.heading, SIZE_3, indent=True)
            elif block.style == "note":
                _paragraph(doc, block.text, fonts.body, SIZE_3, indent=True)
            else:
                _paragraph(doc, block.text, fonts.body, SIZE_3, indent=True)
        elif isinstance(block, Table):
            _table(doc, block, fonts)
        elif isinstance(block, Chart):
            _chart(doc, block, fonts)
    _paragraph(doc, "", fonts.body, SIZE_3)
    _paragraph(doc, content.issuer, fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.RIGHT)
    date = _paragraph(doc, chinese_date(content.issued_on), fonts.body, SIZE_3, align=WD_ALIGN_PARAGRAPH.RIGHT)
    date.paragraph_format.right_indent = Pt(SIZE_3.pt * 4)  # 成文日期 右空四字
    if content.cc:
        _paragraph(doc, "", fonts.body, SIZE_3)
        cc = _paragraph(doc, f"抄送：{'，'.join(content.cc)}。", fonts.body, SIZE_4, align=WD_ALIGN_PARAGRAPH.LEFT)
        _bottom_border(cc, "000000", 6)
    _page_number_footer(section, fonts)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
