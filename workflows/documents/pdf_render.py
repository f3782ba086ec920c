"""The PDF of the same document (fpdf2), with the CJK font embedded (subset), same 版心 as the DOCX.

Fonts are parsed once per process. `FPDF.add_font` reads a Noto CJK face's whole cmap and metrics (65,535
glyphs; about 0.4 s a face, three faces a document); `_cached_face` keeps that parse, and each document gets
a copy with its own subset map, widths and a freshly opened (lazy) fontTools font holding only the tables the
subset needs, since fpdf2's subsetter cuts the fontTools font it is given down to the document's glyphs.
"""
from __future__ import annotations

import io
import threading
from collections import defaultdict
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import FontFace, SubsetMap, TTFFont

from engine.clock import LOCAL_TZ

from engine.documents.linebreak import break_lines
from engine.documents.model import Chart, DocumentContent, Paragraph, Table
from engine.documents.numbering import chinese_date
from workflows.documents.charts import render_chart
from workflows.documents.fonts import CjkFonts

PT = 25.4 / 72  # mm per point
LINE = 28 * PT


class _Page(FPDF):
    def footer(self) -> None:
        self.set_y(-25)
        self.set_font("body", size=14)
        self.cell(0, 8, f"— {self.page_no()} —", align="C")


_parse_lock = threading.Lock()


@lru_cache(maxsize=16)
def _cached_face(path: str, face: int, mtime_ns: int) -> TTFFont:
    """The parsed face (cmap, widths, glyph ids, descriptor), once per process and font file version."""
    with _parse_lock:
        scratch = FPDF()
        scratch.add_font("face", "", path, collection_font_number=face)
        return scratch.fonts["face"]


# What fpdf2's subsetter needs of a CID-keyed CFF font (Noto CJK), whose PDF embeds only the subset's CFF table
# (the widths and descriptor come from the parse): the other tables — the 65,535-glyph cmap and metrics, the
# layout tables fontTools decompiles before dropping them — cost over a second a document and are not embedded.
_CFF_NEEDS = frozenset({"CFF ", "head", "maxp", "post"})


def _fresh_ttfont(path: Path, face: int, *, cff_only: bool) -> ttLib.TTFont:
    """A lazily opened fontTools font for one document (fpdf2's subsetter cuts it down in place)."""
    # recalcBBoxes=False, as fontTools' own subsetter loads fonts: the subset keeps the face's FontBBox (which
    # contains every glyph) instead of drawing each glyph to compute a tighter one
    font = ttLib.TTFont(path, recalcTimestamp=False, recalcBBoxes=not cff_only, fontNumber=face, lazy=True)
    if cff_only:
        for tag in [t for t in font.reader.keys() if t not in _CFF_NEEDS]:
            del font[tag]
    return font


def _add_font(pdf: FPDF, family: str, path: Path, face: int) -> None:
    """`pdf.add_font(family, "", path, collection_font_number=face)`, from the per-process parse."""
    parsed = _cached_face(str(path), face, path.stat().st_mtime_ns)
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:  # the parse's read-only attributes are shared
        if hasattr(parsed, slot):
            setattr(font, slot, getattr(parsed, slot))
    # what a document changes is its own
    font.i = len(pdf.fonts) + 1
    font.fontkey = family
    font.cw = defaultdict(parsed.cw.default_factory, parsed.cw)  # type: ignore[arg-type]
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None  # pylint: disable=protected-access
    font.ttfont = _fresh_ttfont(path, face, cff_only=font.is_cff and font.is_cid_keyed)
    font.subset = SubsetMap(font)
    pdf.fonts[family] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")  # pylint: disable=protected-access  # as add_font does


def _new_pdf(fonts: CjkFonts, content: DocumentContent) -> _Page:
    pdf = _Page(unit="mm", format="A4")
    pdf.set_margins(left=28, top=37, right=26)
    pdf.set_auto_page_break(True, margin=35)
    for name, path in (("body", fonts.body), ("title", fonts.title), ("heading", fonts.heading)):
        _add_font(pdf, name, Path(path), fonts.face if Path(path).suffix == ".ttc" else 0)
    pdf.set_title(content.title)
    pdf.set_creator("Duban")
    # the document's date, not the rendering's: a document rendered again (after a crash) is the same file
    pdf.set_creation_date(datetime.combine(content.issued_on, time(0), LOCAL_TZ))
    pdf.add_page()
    return pdf


def _text(pdf: FPDF, text: str, font: str, size: float, *, align: str = "J", line: float = LINE,
          colour: tuple[int, int, int] = (0, 0, 0)) -> None:
    pdf.set_font(font, size=size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, line, text, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _body(pdf: FPDF, text: str, font: str, size: float = 16) -> None:
    """A body paragraph: 28 pt lines, first line indented two characters (首行缩进二字), lines broken by the
    避头尾 rule and justified by spreading (or, for a line ending in a hanging mark, squeezing) the characters."""
    pdf.set_font(font, size=size)
    pdf.set_char_spacing(0)
    full = pdf.w - pdf.l_margin - pdf.r_margin
    indent = 2 * size * PT
    lines = break_lines(text, pdf.get_string_width, width=full, first_width=full - indent)
    height = 28 * PT
    for number, line in enumerate(lines):
        if pdf.will_page_break(height):
            pdf.add_page()
        left = pdf.l_margin + (indent if number == 0 else 0)
        room = full - (indent if number == 0 else 0)
        pdf.set_char_spacing(0)
        natural = pdf.get_string_width(line)
        last = number == len(lines) - 1
        spacing = (room - natural) / (len(line) - 1) if len(line) > 1 and (not last or natural > room) else 0.0
        pdf.set_char_spacing(spacing / PT)  # fpdf2 writes it as the PDF's Tc, which is in points
        pdf.set_xy(left, pdf.get_y())
        pdf.cell(room, height, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_char_spacing(0)


def _table(pdf: FPDF, table: Table) -> None:
    if table.caption:
        _text(pdf, table.caption, "heading", 14, align="C")
    pdf.set_font("body", size=10.5)
    widths = [max(len(h), *(len(r[i]) for r in table.rows), 2) for i, h in enumerate(table.headers)] \
        if table.rows else [len(h) + 2 for h in table.headers]
    capped = tuple(min(w, 24) for w in widths)
    with pdf.table(col_widths=capped, line_height=6, text_align="LEFT",
                   headings_style=FontFace(family="heading", emphasis="NONE")) as grid:
        grid.row(table.headers)
        for row in table.rows:
            grid.row(row)
    pdf.ln(2)


def _chart(pdf: FPDF, chart: Chart) -> None:
    width = 150
    pdf.image(io.BytesIO(render_chart(chart)), x=(210 - width) / 2 + 1, w=width)
    _text(pdf, chart.caption, "body", 12, align="C", line=7)


def render_pdf(content: DocumentContent, fonts: CjkFonts) -> bytes:
    pdf = _new_pdf(fonts, content)
    pdf.set_font("title", size=26)
    mark_size = min(26.0, 26 * (210 - 28 - 26 - 2) / max(pdf.get_string_width(content.mark), 1))
    _text(pdf, content.mark, "title", mark_size, align="C", line=18, colour=(255, 0, 0))
    pdf.ln(LINE)
    _text(pdf, content.number, "body", 16, align="C")
    y = pdf.get_y() + 2
    pdf.set_draw_color(255, 0, 0)
    pdf.set_line_width(0.6)
    pdf.line(28, y, 210 - 26, y)  # the red separator line
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_y(y + LINE)
    _text(pdf, content.title, "title", 22, align="C", line=36 * PT)
    pdf.ln(LINE / 2)
    _text(pdf, content.addressee, "body", 16, align="L")
    for block in content.blocks:
        if isinstance(block, Paragraph):
            font = "heading" if block.style == "heading" else "body"
            _body(pdf, block.text, font)
        elif isinstance(block, Table):
            _table(pdf, block)
        elif isinstance(block, Chart):
            _chart(pdf, block)
    pdf.ln(LINE)
    _text(pdf, content.issuer, "body", 16, align="R")
    pdf.set_right_margin(26 + 16 * 4 * PT)  # 成文日期 右空四字
    _text(pdf, chinese_date(content.issued_on), "body", 16, align="R")
    pdf.set_right_margin(26)
    if content.cc:
        pdf.ln(LINE)
        _text(pdf, f"抄送：{'，'.join(content.cc)}。", "body", 14, align="L")
    return bytes(pdf.output())
