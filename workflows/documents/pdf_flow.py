"""Drawing a document on an fpdf2 `FPDF` whose fonts `body`, `title` and `heading` are loaded (see
`pdf_render`), after GB/T 9704-2012 (`geometry` has the numbers and the clauses).

Text is placed by its em box: `top` is the upper edge of the characters' em square (the baseline lies
0.88 em below it, as in the Noto CJK faces), and a line of the grid centres its em square in the line pitch.
"""
from __future__ import annotations

import io
from typing import Any

from engine.documents.linebreak import balance_title, break_lines
from engine.documents.model import Chart, DocumentContent, Paragraph, Table
from engine.documents.numbering import chinese_date
from workflows.documents import geometry as g
from workflows.documents.charts import render_chart
from workflows.documents.pdf_layout import Item, PdfLayout, paginate
from workflows.documents.pdf_table import table_items

ASCENT = 0.88  # em above the baseline of a CJK em square
BLACK = (0, 0, 0)
BODY_SPACING = g.CHAR - g.SIZE_BODY * g.PT  # -0.073 mm: 28 characters of 3号 fill the 156 mm line exactly
MAX_STRETCH = 2.5  # characters of room a justified line may spread over its gaps
# a chart may be drawn down to 80 % of its 150 mm width to stay on its page (its smallest text, the values over its
# columns, from 9 pt to 7 pt)
CHART_LEAST_SCALE = 0.8


def measure(pdf: Any, text: str, font: str, size: float, spacing: float = 0.0) -> float:
    pdf.set_font(font, size=size)
    pdf.set_char_spacing(0)
    return float(pdf.get_string_width(text)) + spacing * len(text)


def put(pdf: Any, text: str, font: str, size: float, x: float, top: float, *, spacing: float = 0.0,
        colour: tuple[int, int, int] = BLACK) -> None:
    """Draw `text` with the top of its em square at `top` (mm), `spacing` mm after each character."""
    pdf.set_font(font, size=size)
    pdf.set_text_color(*colour)
    pdf.set_char_spacing(spacing / g.PT)  # fpdf2 writes it as the PDF's Tc, in points
    pdf.text(x, top + ASCENT * size * g.PT, text)
    pdf.set_char_spacing(0)
    pdf.set_text_color(*BLACK)


def in_slot(slot_top: float, size: float, pitch: float = g.LINE) -> float:
    """The em top of text centred in a line slot."""
    return slot_top + (pitch - size * g.PT) / 2


def _rule(pdf: Any, y: float, width_mm: float, *, left: float = g.LEFT, length: float = g.BODY_W,
          colour: tuple[int, int, int] = BLACK) -> None:
    pdf.set_draw_color(*colour)
    pdf.set_line_width(width_mm)
    pdf.line(left, y, left + length, y)
    pdf.set_draw_color(*BLACK)


# --- the flow: paragraphs, tables, charts ------------------------------------------------------------
def _line_item(text: str, font: str, size: float, x: float, room: float, *, justify: bool,
               spacing: float) -> Item:
    def draw(pdf: Any, top: float) -> None:
        extra = 0.0
        natural = measure(pdf, text, font, size, spacing)
        # justified, unless an identifier that went down whole left more than MAX_STRETCH characters of room:
        # then ragged, rather than letters spread a character apart
        if len(text) > 1 and ((justify and room - natural <= MAX_STRETCH * g.CHAR) or natural > room):
            extra = (room - natural) / (len(text) - 1)
        put(pdf, text, font, size, x, in_slot(top, size), spacing=spacing + extra)

    return Item(g.LINE, draw, tags={"text": text})


def paragraph_items(pdf: Any, text: str, font: str = "body", *, indent: float = 2 * g.CHAR,
                    size: float = g.SIZE_BODY) -> list[Item]:
    """A paragraph on the grid: 首行缩进二字, lines justified, neither first nor last line alone on a page."""
    spacing = BODY_SPACING if size == g.SIZE_BODY else 0.0
    lines = break_lines(text, lambda s: measure(pdf, s, font, size, spacing), width=g.BODY_W,
                        first_width=g.BODY_W - indent)
    items = [_line_item(line, font, size, g.LEFT + (indent if n == 0 else 0), g.BODY_W - (indent if n == 0 else 0),
                        justify=n < len(lines) - 1, spacing=spacing) for n, line in enumerate(lines)]
    if len(items) >= 2:
        items[0].keep_with_next = True  # no orphan
        items[-2].keep_with_next = True  # no widow
    return items


def _centred_item(text: str, font: str, size: float, pitch: float = g.LINE) -> Item:
    def draw(pdf: Any, top: float) -> None:
        put(pdf, text, font, size, g.LEFT + (g.BODY_W - measure(pdf, text, font, size)) / 2, in_slot(top, size, pitch))

    return Item(pitch, draw, tags={"text": text})


def _cell_text(pdf: Any, text: str, font: str, size: float, x: float, top: float, width: float, pitch: float,
               align: str) -> None:
    w = measure(pdf, text, font, size)
    left = x + (width - w if align == "R" else (width - w) / 2 if align == "C" else 0)
    put(pdf, text, font, size, left, in_slot(top, size, pitch))


def _cell_box(pdf: Any, x: float, top: float, width: float, height: float) -> None:
    pdf.set_line_width(0.2)
    pdf.rect(x, top, width, height)


def _table(pdf: Any, table: Table) -> list[Item]:
    items: list[Item] = []
    if table.caption:
        caption = _centred_item(table.caption, "heading", g.SIZE_SMALL, 9.0)
        caption.keep_with_next = True
        items.append(caption)
    items += table_items(table, lambda s, f, z: measure(pdf, s, f, z), _cell_text, _cell_box,
                         left=g.LEFT, total=g.BODY_W)
    items.append(Item(3.0, lambda pdf, top: None, blank=True))
    return items


def _chart(chart: Chart) -> list[Item]:
    png = render_chart(chart)
    width = 150.0
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        height = width * image.height / image.width

    def draw(pdf: Any, top: float) -> None:  # at the height the page gave it (scaled down, or not)
        scale = (figure.height - 1) / height
        pdf.image(io.BytesIO(png), x=g.LEFT + (g.BODY_W - width * scale) / 2, y=top, w=width * scale)

    figure = Item(height + 1, draw, keep_with_next=True, least=height * CHART_LEAST_SCALE + 1,
                  tags={"chart_height": height})
    return [figure, _centred_item(chart.caption, "body", g.SIZE_SMALL, 8.0),
            Item(3.0, lambda pdf, top: None, blank=True)]


def _blocks(pdf: Any, content: DocumentContent) -> list[Item]:
    items = [*paragraph_items(pdf, content.addressee, indent=0)]
    for block in content.blocks:
        if isinstance(block, Paragraph):
            heading = block.style == "heading"
            lines = paragraph_items(pdf, block.text, "heading" if heading else "body")
            if heading:
                lines[-1].keep_with_next = True
            items += lines
        elif isinstance(block, Table):
            items += _table(pdf, block)
        elif isinstance(block, Chart):
            items += _chart(block)
    while items and items[-1].blank:
        items.pop()
    return items


def _signature(pdf: Any, content: DocumentContent) -> list[Item]:
    """§7.3.5.2 (no seal): 正文下空一行, the issuer 右空二字, the date under it moved two characters right of the
    issuer's first character (if the date is the longer, the date 右空二字 and the issuer moved left); §7.3.7:
    the 附注 居左空二字 on the line under the date. Kept with the last two lines of the text."""
    size, date = g.SIZE_BODY, chinese_date(content.issued_on)
    issuer_w, date_w = (measure(pdf, s, "body", size, BODY_SPACING) for s in (content.issuer, date))
    right = g.LEFT + g.BODY_W - 2 * g.CHAR
    if date_w + 2 * g.CHAR <= issuer_w:
        issuer_x = right - issuer_w
        date_x = issuer_x + 2 * g.CHAR
    else:
        date_x = right - date_w
        issuer_x = date_x - 2 * g.CHAR

    def line(text: str, x: float) -> Item:
        return Item(g.LINE, lambda pdf, top: put(pdf, text, "body", size, x, in_slot(top, size),
                                                 spacing=BODY_SPACING), keep_with_next=True, tags={"text": text})

    items = [Item(g.LINE, lambda pdf, top: None, keep_with_next=True), line(content.issuer, issuer_x),
             line(date, date_x)]
    if content.annotation:
        items += paragraph_items(pdf, content.annotation)
    items[-1].keep_with_next = False
    return items


# --- 版头, 版记, page numbers ---------------------------------------------------------------------
def _mark_size(pdf: Any, mark: str, limit: float = 30.0) -> float:
    return min(limit, limit * g.BODY_W / max(measure(pdf, mark, "title", limit), 1))


def _head(pdf: Any, content: DocumentContent) -> float:
    """Draw the 版头 and the title on the first page; returns where the 主送机关 line starts."""
    form = g.format_of(content.kind)
    size = _mark_size(pdf, content.mark)
    mark_top = g.LETTER_MARK_TOP if form == "letter" else g.FILE_MARK_TOP
    put(pdf, content.mark, "title", size, g.LEFT + (g.BODY_W - measure(pdf, content.mark, "title", size)) / 2,
        mark_top, colour=g.RED)
    mark_bottom = mark_top + size * g.PT
    number_w = measure(pdf, content.number, "body", g.SIZE_BODY)
    if form == "letter":
        rule = mark_bottom + g.LETTER_RULE_GAP
        side = (g.PAGE_W - g.LETTER_RULE_LENGTH) / 2
        _rule(pdf, rule, 0.8, left=side, length=g.LETTER_RULE_LENGTH, colour=g.RED)
        _rule(pdf, rule + 1.3, 0.3, left=side, length=g.LETTER_RULE_LENGTH, colour=g.RED)
        _rule(pdf, g.LETTER_FOOT_RULE, 0.3, left=side, length=g.LETTER_RULE_LENGTH, colour=g.RED)
        _rule(pdf, g.LETTER_FOOT_RULE + 1.3, 0.8, left=side, length=g.LETTER_RULE_LENGTH, colour=g.RED)
        number_top = rule + 1.45 + g.LETTER_FIRST_GAP
        put(pdf, content.number, "body", g.SIZE_BODY, g.LEFT + g.BODY_W - number_w, number_top)
        title_slot = number_top + g.SIZE_BODY * g.PT + 2 * g.LINE
    else:
        slot = mark_bottom + 2 * g.LINE  # 空二行
        number_top = in_slot(slot, g.SIZE_BODY)
        if form == "upward":  # 发文字号居左空一字, 签发人 居右空一字 on the same line
            put(pdf, content.number, "body", g.SIZE_BODY, g.LEFT + g.CHAR, number_top)
            signer = f"签发人：{content.signer}" if content.signer else "签发人："
            put(pdf, signer, "body", g.SIZE_BODY,
                g.LEFT + g.BODY_W - g.CHAR - measure(pdf, signer, "body", g.SIZE_BODY), number_top)
        else:
            put(pdf, content.number, "body", g.SIZE_BODY, g.LEFT + (g.BODY_W - number_w) / 2, number_top)
        rule = number_top + g.SIZE_BODY * g.PT + g.RULE_BELOW_NUMBER
        _rule(pdf, rule, 0.5, colour=g.RED)
        title_slot = rule + 2 * g.LINE  # 空二行
    parts = content.title_parts or (content.title,)
    lines = balance_title(parts, lambda s: measure(pdf, s, "title", g.SIZE_TITLE), width=g.BODY_W - 2 * g.CHAR)
    for n, text in enumerate(lines):
        _centred_item(text, "title", g.SIZE_TITLE).draw(pdf, title_slot + n * g.LINE)
    return title_slot + (len(lines) + 1) * g.LINE  # 标题下空一行


def _imprint(pdf: Any, content: DocumentContent) -> list[tuple[str, float]]:
    """The 版记's lines, bottom-up from the 版心's lower edge: (what, height). 文件格式: rules (thick, thin
    between the rows, thick), 抄送 and 印发机关/印发日期; 信函格式: 抄送 only, no rules (§10.1)."""
    rows: list[tuple[str, float]] = []
    if content.cc:
        rows.append(("cc", g.IMPRINT_ROW))
    if g.format_of(content.kind) != "letter":
        rows.append(("printed", g.IMPRINT_ROW))
    return rows


def _draw_imprint(pdf: Any, content: DocumentContent, rows: list[tuple[str, float]]) -> None:
    letter = g.format_of(content.kind) == "letter"
    size, one = g.SIZE_SMALL, g.SIZE_SMALL * g.PT  # 4号, 空一字
    y = g.BODY_BOTTOM - sum(h for _, h in rows)
    for n, (what, height) in enumerate(rows):
        if not letter:
            _rule(pdf, y, 0.35 if n == 0 else 0.25)
        top = in_slot(y, size, height)
        if what == "cc":
            put(pdf, f"抄送：{'，'.join(content.cc)}。", "body", size, g.LEFT + one, top)
        else:
            put(pdf, content.printer or content.issuer, "body", size, g.LEFT + one, top)
            printed = f"{chinese_date(content.issued_on)}印发"
            put(pdf, printed, "body", size, g.LEFT + g.BODY_W - one - measure(pdf, printed, "body", size), top)
        y += height
    if not letter and rows:
        _rule(pdf, y, 0.35)


def _page_number(pdf: Any, number: int) -> None:
    """§7.5: 4号 digits between 一字线, 7 mm under the 版心; odd pages 居右空一字, even pages 居左空一字."""
    text, size = f"— {number} —", g.SIZE_SMALL
    width, one = measure(pdf, text, "body", size), size * g.PT
    x = g.LEFT + g.BODY_W - one - width if number % 2 else g.LEFT + one
    put(pdf, text, "body", size, x, g.PAGE_NUMBER_TOP - size * g.PT / 2)


def imprint_pages(body_pages: int, fits: bool) -> tuple[int, bool]:
    """Where the 版记 goes: (its page, whether that page and any blank page before it go unnumbered).

    The 版记 is on the last 面 of a document printed on both sides (§7.4.1: its last rule lies on the lower edge
    of the 版心 of the document's last 面), so on an even page: under the text of an even last page when it fits;
    after a text ending on an odd page, alone on the next (even) page; after an even page it does not fit on, on
    the even page after a blank one — and then, §7.5, neither the blank page nor the 版记 page is numbered."""
    if body_pages % 2 == 0:
        return (body_pages, False) if fits else (body_pages + 2, True)
    return body_pages + 1, False


def draw_document(pdf: Any, content: DocumentContent) -> PdfLayout:
    """Draw the document; returns what its layout chose (`PdfLayout`): the room (mm) left between the signature
    block and the 版记 when the 版记 lies under the text of its last page (an even one), else None (the 版记 on a
    page of its own, or none); each chart's scale; the text's pages."""
    pdf.add_page()
    first_top = _head(pdf, content)
    items = _blocks(pdf, content)
    # the text's last line goes with the signature; a closing table's last two rows (one row alone over the
    # signature, under its repeated header, is a row carried over by itself), as in the DOCX
    closing: list[Item] = []
    for item in reversed(items):
        if not item.tags.get("row") or len(closing) == 2:
            break
        closing.append(item)
    for item in closing or items[-1:]:
        item.keep_with_next = True
    items += _signature(pdf, content)
    pages = paginate(items, first_top=first_top, top=g.TOP, bottom=g.BODY_BOTTOM)
    text_pages = len(pages)
    scales = tuple((item.height - 1) / item.tags["chart_height"] for item in items if "chart_height" in item.tags)
    imprint = _imprint(pdf, content)
    numbered = len(pages)  # pages numbered: all but a blank page before the 版记 and that 版记 page
    room = None
    if imprint:
        last_item, last_top = pages[-1][-1]
        spare = g.BODY_BOTTOM - (last_top + last_item.height + sum(h for _, h in imprint) + 4)
        page, blank = imprint_pages(len(pages), spare >= 0)
        room = spare if page == len(pages) else None
        numbered = len(pages) if blank else page
        pages += [[] for _ in range(page - len(pages))]
    for index, page_items in enumerate(pages):
        if index:
            pdf.add_page()
        for item, top in page_items:
            item.draw(pdf, top)
        if not (index == 0 and g.format_of(content.kind) == "letter") and index < numbered:
            _page_number(pdf, index + 1)
    _draw_imprint(pdf, content, imprint)
    return PdfLayout(room, scales, text_pages)
