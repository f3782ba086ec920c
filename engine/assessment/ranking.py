"""Rankings, the top and bottom lists (红榜 / 黑榜) and trends, from scores."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


class Scored(Protocol):
    @property
    def unit_code(self) -> str: ...
    @property
    def unit_name(self) -> str: ...
    @property
    def total(self) -> Decimal: ...


@dataclass(frozen=True)
class Ranked:
    rank: int  # competition ranking: equal totals share a rank (1, 2, 2, 4)
    unit_code: str
    unit_name: str
    total: Decimal


def rank(scores: Iterable[Scored]) -> list[Ranked]:
    ordered = sorted(scores, key=lambda s: (-s.total, s.unit_code))
    out: list[Ranked] = []
    for i, s in enumerate(ordered):
        place = out[-1].rank if out and out[-1].total == s.total else i + 1
        out.append(Ranked(place, s.unit_code, s.unit_name, s.total))
    return out


def top_and_bottom(ranked: Sequence[Ranked], size: int) -> tuple[list[Ranked], list[Ranked]]:
    """The first `size` and the last `size` (worst first); a unit is never on both lists."""
    top = list(ranked[:size])
    rest = ranked[len(top):]
    bottom = list(reversed(rest[-size:])) if size else []
    return top, bottom


def trend(series: Iterable[tuple[str, Decimal | None]]) -> list[tuple[str, Decimal | None, Decimal | None]]:
    """(label, total, change from the previous known total)."""
    out: list[tuple[str, Decimal | None, Decimal | None]] = []
    previous: Decimal | None = None
    for label, total in series:
        out.append((label, total, None if total is None or previous is None else total - previous))
        if total is not None:
            previous = total
    return out
