"""Boxes in diagram coordinates, the union of everything drawn, and numbers as written into the SVG."""
from __future__ import annotations

import math
from dataclasses import dataclass

MARGIN = 20  # px of white space around the drawing


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in diagram coordinates: top left (x, y), width w, height h."""

    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


class Bounds:
    """The union of everything drawn, for the viewBox."""

    def __init__(self) -> None:
        self.x0 = self.y0 = math.inf
        self.x1 = self.y1 = -math.inf

    def add(self, box: Box) -> None:
        self.x0, self.y0 = min(self.x0, box.x), min(self.y0, box.y)
        self.x1, self.y1 = max(self.x1, box.right), max(self.y1, box.bottom)

    def box(self) -> Box:
        return Box(self.x0 - MARGIN, self.y0 - MARGIN, self.x1 - self.x0 + 2 * MARGIN,
                   self.y1 - self.y0 + 2 * MARGIN)


def px(value: float) -> str:
    """A coordinate as written into the SVG: one decimal, and none when it is a whole number."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
