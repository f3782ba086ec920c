"""Scores from explanation lines: a unit's month under a formula version, and a quarter or year from its months.

No data is not full marks (under the default `no_data = "not_applicable"` policy): an item with nothing counted
in the month is 不适用 for that unit, and the unit's score is taken over the items that apply, rescaled to the
formula's full marks, before deductions. A unit with no item that applies is not assessed that month (no score).
A quarter or a year is the mean of the months in which the unit was assessed, and names those months.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from engine.assessment.formula import DEDUCTION_ITEMS, FULL_MARKS, ITEM_LABELS, RATE_ITEMS, Formula, round_points

YES, NO, EXEMPT, DEDUCT = "yes", "no", "exempt", "deduct"
NOT_APPLICABLE_TEXT = "不适用"
SAMPLE_ITEM = "reply"  # the sample size of a unit in a period: its orders due for a reply (应办结回复工单)


@dataclass(frozen=True)
class Line:
    """One order's place in one item of one unit's score, worded so a unit can check it."""

    unit_code: str
    item: str
    order_number: str | None
    ref: str  # "" for a rate line; the action id of a card or letter
    outcome: str  # yes | no | exempt (rate items) or deduct
    detail: str
    excluded_by: int | None = None  # the accepted appeal that took this line out

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.unit_code, self.item, self.order_number or "", self.ref)


@dataclass(frozen=True)
class ItemFigure:
    key: str
    yes: int
    counted: int
    points: Decimal | None  # None: 不适用 (nothing to measure in the period)
    weight: Decimal = Decimal(0)

    @property
    def applies(self) -> bool:
        return self.points is not None

    @property
    def rate(self) -> float | None:
        return self.yes / self.counted if self.counted else None


@dataclass(frozen=True)
class UnitScore:
    unit_code: str
    unit_name: str
    items: tuple[ItemFigure, ...]
    deductions: tuple[tuple[str, int, Decimal], ...]  # (item, count, points off)
    total: Decimal | None  # None: no item applied, the unit was not assessed in the month
    formula_version: str
    full_marks: Decimal = Decimal(100)

    def item(self, key: str) -> ItemFigure:
        return next(i for i in self.items if i.key == key)

    @property
    def deducted(self) -> Decimal:
        return sum((p for _, _, p in self.deductions), Decimal(0))

    @property
    def assessed(self) -> bool:
        return self.total is not None

    @property
    def earned(self) -> Decimal:
        return sum((i.points for i in self.items if i.points is not None), Decimal(0))

    @property
    def possible(self) -> Decimal:
        return sum((i.weight for i in self.items if i.points is not None), Decimal(0))

    @property
    def sample(self) -> int:
        return self.item(SAMPLE_ITEM).counted

    @property
    def not_applicable(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.items if not i.applies)

    def explanation(self) -> str:
        """How the total was reached, in the words the pages, the CLI and the XLSX all use."""
        if not self.assessed:
            return f"本期各考核项目均无可考核工单（{NOT_APPLICABLE_TEXT}），不参加本期考核"
        text = f"适用项目得分 {self.earned}（满分 {self.possible}）"
        if self.not_applicable:
            text = (f"{'、'.join(ITEM_LABELS[k] for k in self.not_applicable)}{NOT_APPLICABLE_TEXT}（本期无可考核工单），"
                    f"按适用项目折算为百分制：{self.earned} ÷ {self.possible} × {self.full_marks} = {self.base}")
        return text + (f"，扣分 {self.deducted}" if self.deducted else "") + f"，得分 {self.total}"

    @property
    def base(self) -> Decimal:
        return rescaled(self.earned, self.possible, self.full_marks)


def rescaled(earned: Decimal, possible: Decimal, full_marks: Decimal) -> Decimal:
    return round_points(earned * full_marks / possible) if possible != full_marks else earned


def score(formula: Formula, lines: Iterable[Line], units: Mapping[str, str]) -> list[UnitScore]:
    """Each unit's figures from its lines; a unit with no lines is listed, not assessed (nothing applies)."""
    yes: dict[tuple[str, str], int] = defaultdict(int)
    counted: dict[tuple[str, str], int] = defaultdict(int)
    cards: dict[tuple[str, str], int] = defaultdict(int)
    codes = set(units)
    for line in lines:
        codes.add(line.unit_code)
        if line.excluded_by is not None or line.outcome == EXEMPT:
            continue
        if line.outcome == DEDUCT:
            cards[(line.unit_code, line.item)] += 1
        else:
            counted[(line.unit_code, line.item)] += 1
            yes[(line.unit_code, line.item)] += line.outcome == YES
    full_data = formula.no_data == FULL_MARKS
    scores = []
    for code in sorted(codes):
        items = tuple(ItemFigure(i.key, yes[(code, i.key)], counted[(code, i.key)],
                                 i.points(yes[(code, i.key)], counted[(code, i.key)])
                                 if counted[(code, i.key)] or full_data else None, i.weight) for i in formula.items)
        deductions = tuple((k, cards[(code, k)], round_points(formula.deductions[k] * cards[(code, k)]))
                           for k in DEDUCTION_ITEMS)
        scores.append(_unit_score(code, units.get(code, code), items, deductions, formula))
    return scores


def _unit_score(code: str, name: str, items: tuple[ItemFigure, ...], deductions: tuple[tuple[str, int, Decimal], ...],
                formula: Formula) -> UnitScore:
    applying = [i for i in items if i.points is not None]
    total = None
    if applying:
        earned = sum((i.points for i in applying if i.points is not None), Decimal(0))
        base = rescaled(earned, sum((i.weight for i in applying), Decimal(0)), formula.full_marks)
        total = round_points(max(base - sum((d[2] for d in deductions), Decimal(0)), formula.floor))
    return UnitScore(code, name, items, deductions, total, formula.version, formula.full_marks)


def figures_of(s: UnitScore) -> dict[str, Any]:
    """A unit's month as stored (published revisions, kept months)."""
    return {"formula_version": s.formula_version, "full_marks": str(s.full_marks),
            "items": {i.key: {"yes": i.yes, "counted": i.counted, "weight": str(i.weight),
                              "points": None if i.points is None else str(i.points)} for i in s.items},
            "deductions": {k: {"count": n, "points": str(p)} for k, n, p in s.deductions}}


def unit_score_from(code: str, name: str, total: str | None, figures: Mapping[str, Any]) -> UnitScore:
    """The inverse of `figures_of` (older stored figures without weights read as applying items)."""
    items = tuple(ItemFigure(k, int(v["yes"]), int(v["counted"]),
                             None if v.get("points") is None else Decimal(v["points"]), Decimal(v.get("weight", "0")))
                  for k, v in figures["items"].items())
    deductions = tuple((k, int(v["count"]), Decimal(v["points"])) for k, v in figures["deductions"].items())
    return UnitScore(code, name, items, deductions, None if total in (None, "") else Decimal(total),
                     str(figures["formula_version"]), Decimal(figures.get("full_marks", "100")))


@dataclass(frozen=True)
class PeriodScore:
    """A quarter's or a year's score: the mean of the totals of the months in which the unit was assessed (each
    month under its own formula version), with the monthly figures pooled for information."""

    unit_code: str
    unit_name: str
    total: Decimal | None
    monthly: tuple[tuple[str, Decimal], ...]  # (month label, total), assessed months only
    yes: dict[str, int]
    counted: dict[str, int]
    deductions: dict[str, tuple[int, Decimal]]
    not_assessed: tuple[str, ...] = ()  # months of the period in which nothing applied

    def rate(self, key: str) -> float | None:
        return self.yes[key] / self.counted[key] if self.counted[key] else None

    @property
    def assessed(self) -> bool:
        return self.total is not None

    @property
    def sample(self) -> int:
        return self.counted[SAMPLE_ITEM]

    @property
    def months_text(self) -> str:
        return "、".join(f"{int(m[-2:])}月" for m, _ in self.monthly) or "无"

    def explanation(self) -> str:
        if not self.monthly:
            return f"期内各月均无可考核工单（{NOT_APPLICABLE_TEXT}），不参加考核"
        text = f"{self.months_text}得分的平均值"
        if self.not_assessed:
            text += f"（{'、'.join(f'{int(m[-2:])}月' for m in self.not_assessed)}无可考核工单，不计入）"
        return text


def combine(months: Iterable[tuple[str, list[UnitScore]]]) -> list[PeriodScore]:
    per_unit: dict[str, list[tuple[str, UnitScore]]] = defaultdict(list)
    for label, scores in months:
        for s in scores:
            per_unit[s.unit_code].append((label, s))
    out = []
    for code in sorted(per_unit):
        rows = per_unit[code]
        yes = {k: sum(s.item(k).yes for _, s in rows) for k in RATE_ITEMS}
        counted = {k: sum(s.item(k).counted for _, s in rows) for k in RATE_ITEMS}
        deductions = {k: (sum(n for _, s in rows for i, n, _p in s.deductions if i == k),
                          sum((p for _, s in rows for i, _n, p in s.deductions if i == k), Decimal(0)))
                      for k in DEDUCTION_ITEMS}
        assessed = [(label, s.total) for label, s in rows if s.total is not None]
        mean = round_points(sum((t for _, t in assessed), Decimal(0)) / len(assessed)) if assessed else None
        out.append(PeriodScore(code, rows[-1][1].unit_name, mean, tuple(assessed), yes, counted, deductions,
                               tuple(label for label, s in rows if s.total is None)))
    return out
