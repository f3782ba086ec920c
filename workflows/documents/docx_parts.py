"""The pieces a GB/T 9704 DOCX is built of: its red, sizes and grid pitch, runs with their East-Asian font,
paragraphs on the grid or off it, borders, the page-number field, and properties put in the schema's order."""
from __future__ import annotations

from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from workflows.documents import geometry as g

RED = RGBColor(0xE6, 0x00, 0x12)
RED_HEX = "E60012"
SIZE_2, SIZE_3, SIZE_4 = Pt(g.SIZE_TITLE), Pt(g.SIZE_BODY), Pt(g.SIZE_SMALL)
LINE = Pt(g.LINE / g.PT)  # the grid's line pitch, 28.99 pt
# the grid's pitch in whole twips, rounded down: 22 lines of 580 twips (225.07 mm) do not fit the 225 mm 版心, and
# LibreOffice then lays out 21 lines and centres them, moving everything on the page 5 mm down
LINE_PITCH_TWIPS = int(g.LINE / g.PT * 20)  # 579
# 3号 text set 0.25 pt tighter: 28 characters of 15.75 pt fill 441 pt of the 442.2 pt line (16 pt would give 27)
BODY_SPACING_TWIPS = -5


def ems(text: str, latin: float = 0.5) -> float:
    """Width in em: Chinese characters one, Latin letters and digits `latin` (half in 仿宋; a substituted Latin
    font may be wider)."""
    return sum(latin if ch.isascii() else 1.0 for ch in text)


def set_font(run: Any, name: str, size: Pt, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), name)
    if colour is not None:
        run.font.color.rgb = colour
    if size == SIZE_3:  # w:spacing goes before w:sz in a run's properties
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(BODY_SPACING_TWIPS))
        rpr.sz.addprevious(spacing)


def no_auto_space(doc: Any) -> None:
    """No extra space between Chinese and Latin letters or digits (Word and LibreOffice add a quarter em by
    default; a 公文 sets 2026年 and GD2026… tight, as the PDF does): in the Normal style, which all paragraphs
    take."""
    ppr = doc.styles["Normal"].element.get_or_add_pPr()
    later = {qn(f"w:{tag}") for tag in ("bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "jc",
                                        "textDirection", "textAlignment", "outlineLvl", "rPr")}
    anchor = next((child for child in ppr if child.tag in later), None)
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "0")
        if anchor is None:
            ppr.append(element)
        else:
            anchor.addprevious(element)


def add_paragraph(container: Any, text: str, font: str, size: Pt, *, align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
               indent: float = 0, bold: bool = False, colour: RGBColor | None = None, line: Any = LINE,
               keep: bool = False) -> Any:
    p = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.keep_with_next = keep
    fmt.widow_control = True
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = line
    if indent:
        fmt.first_line_indent = Pt(size.pt * indent)
    if text:
        set_font(p.add_run(text), font, size, bold=bold, colour=colour)
    return p


def add_border(paragraph: Any, side: str, style: str, eighths: int, colour: str, space_pt: int = 1) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        place_in_order(ppr, borders, ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
                              "numPr", "suppressLineNumbers"))
    edge = OxmlElement(f"w:{side}")
    for key, value in (("w:val", style), ("w:sz", str(eighths)), ("w:space", str(space_pt)), ("w:color", colour)):
        edge.set(qn(key), value)
    borders.append(edge)


def page_field(paragraph: Any, size: Pt) -> None:
    set_font(paragraph.add_run("— "), "宋体", size)
    run = paragraph.add_run()
    set_font(run, "宋体", size)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    set_font(paragraph.add_run(" —"), "宋体", size)


def place_in_order(parent: Any, element: Any, after: tuple[str, ...]) -> None:
    """Put `element` into `parent` (a pPr) after the children the schema puts before it (Word and LibreOffice
    ignore a property out of its order: a framePr before keepNext left the 版记 unframed)."""
    tags = {qn(f"w:{t}") for t in after}
    anchor = [child for child in parent if child.tag in tags]
    if anchor:
        anchor[-1].addnext(element)
    else:
        parent.insert(0, element)


def off_grid(paragraph: Any) -> None:
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    place_in_order(paragraph._p.get_or_add_pPr(), snap, ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr",
                                               "widowControl", "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs",
                                               "suppressAutoHyphens", "kinsoku", "wordWrap", "overflowPunct",
                                               "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi",
                                               "adjustRightInd"))


def twips(mm: float) -> str:
    return str(round(mm / g.PT * 20))
