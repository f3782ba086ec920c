"""Rankings, the top and bottom lists (红榜 / 黑榜) and trends, from scores.

Graded and by category (分档分类, 国办函〔2025〕66号): units are ranked within their tier (区县 / 市直部门 / 公共企业…,
from config); a unit with fewer due orders than the minimum sample is listed 样本不足 and not ranked; a unit with
no item that applied is listed 不适用. 红榜 holds only units graded 良好 or better, 黑榜 only units below 合格, at
most `size` each per tier, so either may be short or empty, and the board says why.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

GRADES = ((Decimal(90), "优秀"), (Decimal(80), "良好"), (Decimal(60), "合格"), (Decimal(0), "不合格"))  # Bengbu (domain §5)
TOP_FLOOR, BOTTOM_BELOW = Decimal(80), Decimal(60)  # 红榜: 良好 or better; 黑榜: below 合格


def grade(total: Decimal | float | None) -> str:
    if total is None:
        return "不适用"
    return next(name for floor, name in GRADES if Decimal(str(total)) >= floor)


class Scored(Protocol):
    @property
    def unit_code(self) -> str: ...
    @property
    def unit_name(self) -> str: ...
    @property
    def total(self) -> Decimal | None: ...
    @property
    def sample(self) -> int: ...


@dataclass(frozen=True)
class Ranked:
    rank: int  # competition ranking within the tier: equal totals share a rank (1, 2, 2, 4)
    unit_code: str
    unit_name: str
    total: Decimal
    tier: str = ""


def rank(scores: Iterable[Scored], tier: str = "") -> list[Ranked]:
    """Competition ranking of the scores that have a total (best first)."""
    ordered = sorted((s for s in scores if s.total is not None), key=lambda s: (-(s.total or 0), s.unit_code))
    out: list[Ranked] = []
    for i, s in enumerate(ordered):
        total = s.total if s.total is not None else Decimal(0)
        place = out[-1].rank if out and out[-1].total == total else i + 1
        out.append(Ranked(place, s.unit_code, s.unit_name, total, tier))
    return out


@dataclass(frozen=True)
class Unranked:
    unit_code: str
    unit_name: str
    tier: str
    total: Decimal | None
    sample: int
    reason: str  # 样本不足 | 不适用


@dataclass(frozen=True)
class TierBoard:
    tier: str
    ranked: tuple[Ranked, ...]
    top: tuple[Ranked, ...]  # 红榜
    bottom: tuple[Ranked, ...]  # 黑榜, worst first
    top_note: str
    bottom_note: str


@dataclass(frozen=True)
class Boards:
    tiers: tuple[TierBoard, ...]
    unranked: tuple[Unranked, ...]
    min_sample: int
    size: int

    @property
    def ranked(self) -> list[Ranked]:
        return [r for t in self.tiers for r in t.ranked]

    @property
    def top(self) -> list[Ranked]:
        return [r for t in self.tiers for r in t.top]

    @property
    def bottom(self) -> list[Ranked]:
        return [r for t in self.tiers for r in t.bottom]

    def place_of(self, code: str) -> Ranked | Unranked | None:
        return next((r for r in (*self.ranked, *self.unranked) if r.unit_code == code), None)


def boards(scores: Iterable[Scored], *, tier_of: Callable[[str], str], tier_order: Sequence[str], min_sample: int,
           size: int) -> Boards:
    """Per tier: the ranking of units with enough sample, its 红榜 and 黑榜 with the reason either is short."""
    listed = list(scores)
    unranked = tuple(Unranked(s.unit_code, s.unit_name, tier_of(s.unit_code), s.total, s.sample,
                              "不适用" if s.total is None else "样本不足")
                     for s in listed if s.total is None or s.sample < min_sample)
    left_out = {u.unit_code for u in unranked}
    tiers = list(tier_order) + sorted({tier_of(s.unit_code) for s in listed} - set(tier_order))
    out = []
    for tier in tiers:
        members = [s for s in listed if tier_of(s.unit_code) == tier and s.unit_code not in left_out]
        if not members and not any(u.tier == tier for u in unranked):
            continue
        ranked = rank(members, tier)
        top = tuple(r for r in ranked if r.total >= TOP_FLOOR)[:size]
        bottom = tuple(reversed([r for r in ranked if r.total < BOTTOM_BELOW]))[:size]
        out.append(TierBoard(tier, tuple(ranked), top, bottom, _top_note(ranked, top, size),
                             _bottom_note(ranked, bottom, size)))
    return Boards(tuple(out), unranked, min_sample, size)


def _note(ranked: Sequence[Ranked], listed: Sequence[Ranked], size: int, *, board: str, rule: str, where: str) -> str:
    """Why a list is as long as it is: `rule` is the grade condition (达到良好（80分）等次 / 低于合格（60分）)."""
    if not ranked:
        return f"本档无参加排名的单位，{board}空缺"
    if not listed:
        return f"本档无单位{rule}，{board}空缺"
    if len(listed) < size:
        return f"本档仅 {len(listed)} 个单位{rule}，{board}只列 {len(listed)} 个"
    return f"本档{rule}的{where} {size} 名"


def _top_note(ranked: Sequence[Ranked], top: Sequence[Ranked], size: int) -> str:
    return _note(ranked, top, size, board="红榜", rule=f"达到良好（{TOP_FLOOR}分）等次", where="前")


def _bottom_note(ranked: Sequence[Ranked], bottom: Sequence[Ranked], size: int) -> str:
    return _note(ranked, bottom, size, board="黑榜", rule=f"低于合格（{BOTTOM_BELOW}分）", where="后")


def top_and_bottom(ranked: Sequence[Ranked], size: int) -> tuple[list[Ranked], list[Ranked]]:
    """The first `size` at 良好 or better and the last `size` below 合格 (worst first); never on both."""
    top = [r for r in ranked if r.total >= TOP_FLOOR][:size]
    bottom = list(reversed([r for r in ranked if r.total < BOTTOM_BELOW]))[:size]
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
