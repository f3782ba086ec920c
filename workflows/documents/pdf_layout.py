"""Cutting a document's flow into pages: items of known height, kept together where a 公文 must keep them.

Pure (no PDF library): an item is a height and a function that draws it at a given top. An item marked
`keep_with_next` goes to the next page with the item after it when that one does not fit, so a caption stays
with its table, a heading with its first line, the last lines of the text with the signature and the date
(no page holds only the signature: §7.3.5.5), and a paragraph leaves neither its first nor its last line
alone on a page. A table row is never split and carries its table's header to the top of the next page. A figure
that does not fit is scaled down to the room left (to a limit) rather than leave half a page empty.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Draw = Callable[[Any, float], None]  # (pdf, top in mm)
EPSILON = 0.01


@dataclass
class Item:
    height: float
    draw: Draw
    keep_with_next: bool = False
    blank: bool = False  # vertical space only: dropped at the top of a page
    header: "Item | None" = None  # a table row: the header row repeated above it at the top of a page
    least: float | None = None  # a figure: the smallest height it may be scaled down to, to stay on its page
    tags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PdfLayout:
    """What the PDF's layout chose that the DOCX follows (`render_docx`): the room (mm) left above the 版记 when it
    shares the text's last page (an even one), else None; the scale each chart was drawn at, in order; how many
    pages the text (with the signature) fills."""
    imprint_room: float | None = None
    chart_scales: tuple[float, ...] = ()
    text_pages: int = 0


def paginate(items: list[Item], *, first_top: float, top: float, bottom: float) -> list[list[tuple[Item, float]]]:
    """Pages of (item, its top). The first page's flow starts at `first_top`, the others at `top`."""
    pages: list[list[tuple[Item, float, int]]] = [[]]  # (item, top, index in items; -1 for a repeated header)
    y = first_top
    i = 0
    moved: set[int] = set()  # a chain is carried over once (a chain longer than a page is then cut)
    while i < len(items):
        item, page = items[i], pages[-1]
        if item.blank and not [e for e in page if e[2] >= 0]:
            i += 1
            continue
        if y + item.height <= bottom + EPSILON or not [e for e in page if e[2] >= 0]:
            page.append((item, y, i))
            y += item.height
            i += 1
            continue
        if item.least is not None:  # a figure scaled down to the room its page has left, as a typesetter would
            chained = items[i + 1:_chain_end(items, i) + 1]
            room = bottom - y - sum(e.height for e in chained)
            if item.least <= room + EPSILON:
                item.height = min(item.height, room)
                continue
        start = i  # does not fit: carry the chain of items kept with it, unless that would empty the page
        first_on_page = next(e[2] for e in page if e[2] >= 0)
        while start - 1 > first_on_page and items[start - 1].keep_with_next:
            start -= 1
        if start < i and start not in moved:
            moved.add(start)
            while page and page[-1][2] >= start:
                page.pop()
            i = start
        pages.append([])
        y = top
        while items[i].blank and i < len(items) - 1:
            i += 1
        header = items[i].header
        if header is not None and header is not items[i]:
            pages[-1].append((header, y, -1))
            y += header.height
    return [[(item, at) for item, at, _ in page] for page in pages if page] or [[]]


def _chain_end(items: list[Item], i: int) -> int:
    """The last item kept with items[i] (itself when it is not kept with the next)."""
    while items[i].keep_with_next and i < len(items) - 1:
        i += 1
    return i


def room_left(pages: list[list[tuple[Item, float]]], first_top: float, top: float, bottom: float) -> float:
    """Space under the last item of the last page."""
    if not pages[-1]:
        return bottom - (first_top if len(pages) == 1 else top)
    item, y = pages[-1][-1]
    return bottom - (y + item.height)
