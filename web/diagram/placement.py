"""Where a label without a BPMNLabel goes: candidate spots around a shape or beside a flow's first segment,
and a placer that takes the first spot crossing no flow, no shape and no earlier label (or the fewest)."""
from __future__ import annotations

import math
from collections.abc import Iterable

from web.diagram.geometry import Box
from web.diagram.model import Edge
from web.diagram.text import text_box

Spot = tuple[float, str, float]  # x, text-anchor, top


def around(box: Box, height: float) -> list[Spot]:
    """Where an external label may go, best first: below, above, right, the four diagonals, left."""
    qx, qy = box.w / 4, box.h / 4
    return [(box.cx, "middle", box.bottom + 4), (box.cx, "middle", box.y - 4 - height),
            (box.right + 5, "start", box.cy - height / 2),
            (box.right - qx + 3, "start", box.y + qy - height - 2),
            (box.right - qx + 3, "start", box.bottom - qy + 2),
            (box.x + qx - 3, "end", box.y + qy - height - 2),
            (box.x + qx - 3, "end", box.bottom - qy + 2),
            (box.x - 5, "end", box.cy - height / 2)]


def near_start(points: tuple[tuple[float, float], ...], height: float) -> list[Spot]:
    """Beside the first segment, just after it leaves its source (where 是/否 belong), either side."""
    (x0, y0), (x1, y1) = points[0], points[1]
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    if abs(x1 - x0) >= abs(y1 - y0):  # mostly horizontal: above, else below the line
        step, anchor = (14.0, "start") if x1 >= x0 else (-14.0, "end")
        return [(x0 + step, anchor, y0 - 3 - height), (x0 + step, anchor, y0 + 3),
                (mx, "middle", my - 3 - height), (mx, "middle", my + 3)]
    top = y0 + 12 if y1 >= y0 else y0 - 12 - height  # mostly vertical: right, else left of the line
    return [(x0 + 6, "start", top), (x0 - 6, "end", top),
            (mx + 6, "start", my - height / 2), (mx - 6, "end", my - height / 2)]


class Placer:
    """Puts labels where they cross no flow, no shape and no earlier label (or as few as can be)."""

    def __init__(self, edges: Iterable[Edge], boxes: Iterable[Box]) -> None:
        self.segments = [(a, b) for e in edges for a, b in zip(e.points, e.points[1:])]
        self.boxes = list(boxes)

    def place(self, lines: list[str], spots: list[Spot], own: Box | None = None) -> Spot:
        best, fewest = spots[0], math.inf
        for spot in spots:
            x, anchor, top = spot
            hits = self._hits(text_box(lines, x, top, anchor), own)
            if hits < fewest:
                best, fewest = spot, hits
            if not hits:
                break
        self.boxes.append(text_box(lines, best[0], best[2], best[1]))
        return best

    def _hits(self, box: Box, own: Box | None) -> int:
        inner = Box(box.x + 1, box.y + 1, max(box.w - 2, 0), max(box.h - 2, 0))
        return (sum(1 for a, b in self.segments if _crosses(a, b, inner))
                + sum(1 for other in self.boxes if other is not own and _overlap(other, inner)))


def _overlap(a: Box, b: Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def _crosses(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """Whether segment a-b meets the box (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - box.x), (dx, box.right - a[0]), (-dy, a[1] - box.y), (dy, box.bottom - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True
