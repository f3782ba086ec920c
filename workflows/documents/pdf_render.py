"""The PDF of a document (fpdf2), the CJK fonts embedded (subset), laid out after GB/T 9704-2012 (see
`geometry` for the numbers): the 版头 of its 版式, the text on the 22 × 28 grid, the signature and date, the
附注, the 版记 at the foot of the last page, page numbers on the outer side.

Fonts are parsed once per process. `FPDF.add_font` reads a Noto CJK face's whole cmap and metrics (65,535
glyphs; about 0.4 s a face, three faces a document); `_cached_face` keeps that parse, and each document gets
a copy with its own subset map, widths and a freshly opened (lazy) fontTools font holding only the tables the
subset needs, since fpdf2's subsetter cuts the fontTools font it is given down to the document's glyphs.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from datetime import datetime, time
from functools import lru_cache
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from engine.clock import LOCAL_TZ
from engine.documents.model import DocumentContent
from workflows.documents.fonts import CjkFonts
from workflows.documents.pdf_flow import draw_document
from workflows.documents.pdf_layout import PdfLayout


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


def _new_pdf(fonts: CjkFonts, content: DocumentContent) -> FPDF:
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    faces = [("body", fonts.body), ("title", fonts.title), ("heading", fonts.heading)]
    for name, path in faces + ([("fallback", fonts.fallback)] if fonts.fallback else []):
        _add_font(pdf, name, Path(path), fonts.face if Path(path).suffix == ".ttc" else 0)
    if fonts.fallback:
        pdf.set_fallback_fonts(["fallback"])  # glyphs FandolFang lacks (outside GB 2312)
    pdf.set_title(content.title)
    pdf.set_creator("Duban")
    # the document's date, not the rendering's: a document rendered again (after a crash) is the same file
    pdf.set_creation_date(datetime.combine(content.issued_on, time(0), LOCAL_TZ))
    return pdf


def render_pdf(content: DocumentContent, fonts: CjkFonts) -> bytes:
    return render_pdf_and_layout(content, fonts)[0]


def render_pdf_and_layout(content: DocumentContent, fonts: CjkFonts) -> tuple[bytes, PdfLayout]:
    """The PDF, and what its layout chose (`PdfLayout`: the room above a 版记 under the text, the charts' scales,
    the text's pages), which the DOCX follows (`render_docx`)."""
    pdf = _new_pdf(fonts, content)
    layout = draw_document(pdf, content)
    return bytes(pdf.output()), layout
