"""Drawing the flows: sequence and message flows, associations and data associations, their arrowheads
(polygons, not `<marker>`s), the default and conditional marks at their start, and their names."""
from __future__ import annotations

import math
from collections.abc import Iterable
from html import escape

from web.diagram.geometry import Bounds, Box, px
from web.diagram.model import FLOWS, Edge, Part
from web.diagram.placement import Placer, near_start
from web.diagram.style import css_class
from web.diagram.text import LINE, UNIT, svg_text, text_box, wrap


def draw_edge(edge: Edge, placer: Placer, bounds: Bounds) -> Part:
    """The line, its ends and its name; a sequence or message flow is highlightable by its source and target."""
    for x, y in edge.points:
        bounds.add(Box(x, y, 0, 0))
    points = list(edge.points)
    parts = [f'<path class="line" d="{_polyline(_trimmed(points, edge.kind))}"/>']
    parts.extend(_edge_ends(edge))
    if edge.name:
        parts.append(_edge_label(edge, placer, bounds))
    head = f'<g data-id="{escape(edge.id)}" class="el flow-el {css_class(edge.kind)}'
    highlightable = edge.kind in FLOWS
    return Part(edge.id, head, f'">{"".join(parts)}</g>', edge.source if highlightable else None,
                edge.target if highlightable else None)


def _polyline(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{px(x)},{px(y)}" for i, (x, y) in enumerate(points))


def _direction(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    return ((b[0] - a[0]) / length, (b[1] - a[1]) / length) if length else (1.0, 0.0)


def _last_segment(points: list[tuple[float, float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    tip = points[-1]
    for before in reversed(points[:-1]):
        if before != tip:
            return before, tip
    return points[0], tip


def _trimmed(points: list[tuple[float, float]], kind: str) -> list[tuple[float, float]]:
    """Stop the line inside the arrowhead so a thick stroke does not poke through its tip."""
    if kind not in FLOWS and not kind.startswith("data"):
        return points
    before, tip = _last_segment(points)
    ux, uy = _direction(before, tip)
    return points[:-1] + [(tip[0] - 6 * ux, tip[1] - 6 * uy)]


def _edge_ends(edge: Edge) -> list[str]:
    points = list(edge.points)
    out = []
    if edge.kind in FLOWS or edge.kind.startswith("data"):
        before, tip = _last_segment(points)
        ux, uy = _direction(before, tip)
        bx, by = tip[0] - 11 * ux, tip[1] - 11 * uy
        corners = [tip, (bx - 4 * uy, by + 4 * ux), (bx + 4 * uy, by - 4 * ux)]
        out.append(f'<path class="head" d="{_polyline(corners)} Z"/>')
    start, after = points[0], points[1]
    ux, uy = _direction(start, after)
    if edge.kind == "messageFlow":
        out.append(f'<circle class="tail" cx="{px(start[0] + 4 * ux)}" cy="{px(start[1] + 4 * uy)}" r="4"/>')
    elif edge.marker == "default":
        qx, qy = start[0] + 10 * ux, start[1] + 10 * uy
        slash = [(qx - 3 * ux + 5 * uy, qy - 3 * uy - 5 * ux), (qx + 3 * ux - 5 * uy, qy + 3 * uy + 5 * ux)]
        out.append(f'<path class="line slash" d="{_polyline(slash)}"/>')
    elif edge.marker == "conditional":
        diamond = [start, (start[0] + 7 * ux - 4 * uy, start[1] + 7 * uy + 4 * ux),
                   (start[0] + 14 * ux, start[1] + 14 * uy), (start[0] + 7 * ux + 4 * uy, start[1] + 7 * uy - 4 * ux)]
        out.append(f'<path class="tail" d="{_polyline(diamond)} Z"/>')
    return out


def _edge_label(edge: Edge, placer: Placer, bounds: Bounds) -> str:
    if edge.label is not None:
        lines = wrap(edge.name, max(edge.label.w, 4 * UNIT) + 2 * UNIT, 3)
        x, anchor, top = edge.label.cx, "middle", edge.label.cy - len(lines) * LINE / 2
        placer.boxes.append(text_box(lines, x, top, anchor))
    else:
        lines = wrap(edge.name, 100, 3)
        x, anchor, top = placer.place(lines, near_start(edge.points, len(lines) * LINE))
    bounds.add(text_box(lines, x, top, anchor))
    return svg_text(lines, x, top, anchor, "bpmn-label bpmn-flow-label")
