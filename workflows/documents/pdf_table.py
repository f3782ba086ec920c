"""Tables in the PDF: column widths from the rendered width of their text, rows that never split.

Each column gets at least the width of its header (headers break only where the header text has a line
break) and of its widest identifier (order numbers, dates: never broken), and at least two characters; what
is left of the 版心 goes to the columns whose text is wider than that, in proportion. Should even the
minimums not fit, the table's type is made smaller until they do; a table can always be drawn.
Columns of figures are right-aligned (a — among them too), text left-aligned, headers centred.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from engine.documents.linebreak import IDENTIFIER, break_lines
from engine.documents.model import Table
from workflows.documents.geometry import PT, SIZE_TABLE
from workflows.documents.pdf_layout import Item

PAD_X, PAD_Y = 1.2, 1.0  # mm inside each cell
LEADING = 1.45  # line height / type size
NUMERIC = re.compile(r"^[+\-−]?[\d,.]+%?$|^—$")
Measure = Callable[[str, str, float], float]  # (text, font, size) -> mm


def numeric_columns(table: Table) -> list[bool]:
    """Which columns hold figures (right-aligned): those whose every cell is a figure or —."""
    return [bool(table.rows) and all(NUMERIC.match(row[i]) for row in table.rows) for i in range(len(table.headers))]


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], measure: Measure, total: float,
                  size: float) -> list[float] | None:
    """Widths summing to `total`, or None when the minimums do not fit at this size."""
    minimum, natural = [], []
    for i, header in enumerate(headers):
        cells = [row[i] for row in rows]
        head = max(measure(part, "heading", size) for part in header.split("\n"))
        words = [measure(w, "body", size) for cell in cells for w in IDENTIFIER.findall(cell)]
        least = max([head, 2 * size * PT, *words]) + 2 * PAD_X + 0.2  # 0.2: rounding in the measure
        widest = max([least, *(measure(cell, "body", size) + 2 * PAD_X for cell in cells)])
        minimum.append(least)
        natural.append(widest)
    if sum(minimum) > total + 0.01:
        return None
    if sum(natural) <= total:
        extra = (total - sum(natural)) / len(natural)
        return [w + extra for w in natural]
    stretch = [n - m for n, m in zip(natural, minimum)]
    share = (total - sum(minimum)) / sum(stretch)
    return [m + s * share for m, s in zip(minimum, stretch)]


def fitted_widths(table: Table, measure: Measure, total: float) -> tuple[list[float], float]:
    """Column widths (mm) and type size (pt): 五号 when the minimums fit, else smaller until they do."""
    size = SIZE_TABLE
    widths = column_widths(table.headers, table.rows, measure, total, size)
    while widths is None and size > 6:
        size -= 0.5
        widths = column_widths(table.headers, table.rows, measure, total, size)
    if widths is None:  # still too wide: equal columns, the cells broken wherever they must be
        widths = [total / len(table.headers)] * len(table.headers)
    return widths, size


def table_items(table: Table, measure: Measure, draw_text: Callable[..., None], draw_rect: Callable[..., None],
                *, left: float, total: float) -> list[Item]:
    """The header and each row as items (the header repeated on each page the table runs on to)."""
    widths, size = fitted_widths(table, measure, total)
    line = size * PT * LEADING
    numeric = numeric_columns(table)

    def row_item(cells: Sequence[str], font: str, is_header: bool) -> Item:
        wrapped = []
        for text, width in zip(cells, widths):
            room = width - 2 * PAD_X
            parts = text.split("\n") if is_header else [text]
            wrapped.append([piece for part in parts
                            for piece in break_lines(part, lambda s: measure(s, font, size), width=room)])
        height = max(len(lines) for lines in wrapped) * line + 2 * PAD_Y

        def draw(pdf: object, top: float) -> None:
            x = left
            for lines, width, figures in zip(wrapped, widths, numeric):
                draw_rect(pdf, x, top, width, height)
                align = "C" if is_header else "R" if figures else "L"
                for n, piece in enumerate(lines):
                    draw_text(pdf, piece, font, size, x + PAD_X, top + PAD_Y + n * line, width - 2 * PAD_X,
                              line, align)
                x += width

        return Item(height, draw, tags={"row": not is_header})

    header = row_item(table.headers, "heading", True)
    header.keep_with_next = True
    header.header = header
    items = [header]
    for row in table.rows:
        item = row_item(row, "body", False)
        item.header = header
        items.append(item)
    return items
