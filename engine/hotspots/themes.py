"""Candidate themes of the month (每月一题): the (category, area) pairs that matter most by volume, growth over the
previous month and dissatisfaction at callback (回访不满意), each ranked among the candidates and weighed equally."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ThemeFigures:
    category: str
    area: str
    volume: int  # orders in the month
    previous: int  # orders in the month before
    rated: int = 0  # callbacks in the month with a grade
    dissatisfied: int = 0  # of them 不满意

    @property
    def growth(self) -> float:
        """Against the previous month, smoothed by one order so a new area is not infinitely growing."""
        return (self.volume + 1) / (self.previous + 1) - 1

    @property
    def dissatisfaction(self) -> float:
        return self.dissatisfied / self.rated if self.rated else 0.0


@dataclass(frozen=True)
class Theme:
    figures: ThemeFigures
    score: float  # 0–100: the mean of its standing in volume, growth and dissatisfaction
    reasons: str


def _standing(values: Sequence[float], value: float) -> float:
    """The share of candidates it beats, ties counting half (mid-rank), from 0 to 1."""
    below = sum(1 for v in values if v < value)
    same = sum(1 for v in values if v == value) - 1
    return (below + same / 2) / max(1, len(values) - 1)


def _reasons(f: ThemeFigures, rank: int) -> str:
    growth = f"较上月增长{f.growth:.0%}" if f.volume > f.previous else (
        "与上月持平" if f.volume == f.previous else f"较上月下降{-f.growth:.0%}")
    heard = f"回访不满意{f.dissatisfied}/{f.rated}件（{f.dissatisfaction:.0%}）" if f.rated else "本月无回访评价"
    return f"受理{f.volume}件（第{rank}位），{growth}（上月{f.previous}件），{heard}"


def rank_themes(figures: Iterable[ThemeFigures], *, min_volume: int = 20, limit: int = 10) -> list[Theme]:
    """The best `limit` candidates with at least `min_volume` orders in the month, highest score first."""
    pool = [f for f in figures if f.volume >= min_volume]
    volumes = [float(f.volume) for f in pool]
    growths = [f.growth for f in pool]
    displeased = [f.dissatisfaction for f in pool]
    by_volume = sorted(volumes, reverse=True)
    themes = [Theme(f, round(100 * (_standing(volumes, f.volume) + _standing(growths, f.growth)
                                     + _standing(displeased, f.dissatisfaction)) / 3, 1),
                    _reasons(f, by_volume.index(float(f.volume)) + 1)) for f in pool]
    themes.sort(key=lambda t: (-t.score, -t.figures.volume, t.figures.category, t.figures.area))
    return themes[:limit]
