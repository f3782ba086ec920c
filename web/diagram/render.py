"""The standalone `<svg>`: a plane's static parts drawn once per (file digest, process id) and cached, then
each request's highlight classes put between every part's head and body."""
from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from html import escape

from web.diagram.edges import draw_edge
from web.diagram.geometry import MARGIN, Bounds, Box, px
from web.diagram.model import POOLS, SUBPROCESSES, Node, Part
from web.diagram.parsing import read_plane
from web.diagram.placement import Placer
from web.diagram.shapes import draw_node
from web.diagram.style import STYLE, legend_group

LEGEND_HEIGHT = 34

Ids = Collection[str]


def render_svg(bpmn_xml: bytes, *, process_id: str | None = None, completed: Ids = (), current: Ids = (),
               taken: Collection[tuple[str, str]] | None = None, legend: bool | None = None) -> str:
    """A standalone `<svg>` of one diagram plane of `bpmn_xml`, progress highlighted.

    `process_id` picks the plane showing that process (directly or as a pool); default the first.
    `legend` adds 完成 / 当前 / 未到达 under the drawing; by default only when something is highlighted.

    :raises InvalidInput: the XML is malformed, has a DTD, or lacks the diagram interchange.
    """
    drawing = cached_drawing(_Source(hashlib.sha256(bpmn_xml).hexdigest(), process_id, bpmn_xml))
    done, now = frozenset(completed), frozenset(current)
    flows = None if taken is None else frozenset(taken)
    with_legend = bool(done or now or flows) if legend is None else legend
    box = drawing.view_box
    height = box.h + LEGEND_HEIGHT if with_legend else box.h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" role="img" width="100%" '
           f'viewBox="{px(box.x)} {px(box.y)} {px(box.w)} {px(height)}" aria-label="{escape(drawing.title)}">'
           f"<title>{escape(drawing.title)}</title>{STYLE}"]
    for part in drawing.parts:
        out.append(part.head)
        out.append(_state_class(part, done, now, flows))
        out.append(part.body)
    if with_legend:
        out.append(legend_group(box.x + MARGIN / 2, box.bottom + 4))
    out.append("</svg>")
    return "".join(out)


def readable_width(svg: str, scale: float = 0.75) -> int:
    """The width in CSS pixels under which a drawing's labels become too small to read (the page scrolls
    sideways instead of shrinking it further)."""
    found = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ', svg)
    return int(float(found.group(1)) * scale) if found else 0


@dataclass(frozen=True)
class _Drawing:
    title: str
    view_box: Box
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class _Source:
    """Cache key of a parsed file: its digest and the plane, not the bytes themselves."""

    digest: str
    process_id: str | None
    xml: bytes = field(compare=False, hash=False, repr=False)


@functools.lru_cache(maxsize=32)
def cached_drawing(source: _Source) -> _Drawing:
    """The plane's parts in drawing order (pools, expanded containers, flows, shapes, boundary events)."""
    plane = read_plane(source.xml, source.process_id)
    bounds = Bounds()
    placer = Placer(plane.edges, [n.box for n in plane.nodes if _layer(n) > 1])
    drawn = [(_layer(n), i, draw_node(n, placer, bounds)) for i, n in enumerate(plane.nodes)]
    flows = [(2, i, draw_edge(e, placer, bounds)) for i, e in enumerate(plane.edges)]
    parts = tuple(p for _, _, p in sorted(drawn + flows, key=lambda t: (t[0], t[1])))
    return _Drawing(plane.title, bounds.box(), parts)


def _layer(node: Node) -> int:
    if node.kind in POOLS:
        return 0
    if node.kind in SUBPROCESSES and node.expanded or node.kind == "group":
        return 1
    return 4 if node.kind == "boundaryEvent" else 3


def _state_class(part: Part, done: frozenset[str], now: frozenset[str],
                 taken: frozenset[tuple[str, str]] | None) -> str:
    if part.source is not None and part.target is not None:
        if taken is not None:
            went = (part.source, part.target) in taken
        else:
            went = part.source in done and (part.target in done or part.target in now)
        return " done" if went else ""
    classes = ""
    if part.element_id in done:
        classes += " done"
    if part.element_id in now:
        classes += " current"
    return classes
