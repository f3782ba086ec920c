"""The assessment formula (考核办法): dated versions, each a frozen value that can be stored with a published
period and rebuilt from what was stored, so a later change of `config/assessment.toml` never rewrites it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from engine.domain.errors import RuleError

RATE_ITEMS = ("sign_for", "reply", "satisfaction", "reopen")
# Items explained to the order but scored only when a [[version]] gives them a weight (items.returns): the 回退率 of
# the 2025 national rules, each dispatch objection (退单) the hotline decided, accepted (成立) or rejected (不成立).
SHOWN_ITEMS = ("returns",)
DEDUCTION_ITEMS = ("yellow_card", "red_card", "supervision_letter", "missed_letter_reply")
NOT_APPLICABLE, FULL_MARKS = "not_applicable", "full_marks"
NO_DATA_POLICIES = (NOT_APPLICABLE, FULL_MARKS)
ITEM_LABELS = {
    "sign_for": "按时签收率", "reply": "按时办结回复率", "satisfaction": "满意率", "reopen": "重办率",
    "returns": "回退率（退单成立）",
    "yellow_card": "黄牌", "red_card": "红牌", "supervision_letter": "督办函", "missed_letter_reply": "督办函逾期未反馈",
}


@dataclass(frozen=True)
class RateItem:
    """A rate scored linearly: full `weight` at the best rate, 0 at `zero_at` or worse.

    Higher is better unless `lower_is_better` (the reopen rate): then full marks at 0 and none at `zero_at`."""

    key: str
    weight: Decimal
    zero_at: Decimal
    lower_is_better: bool = False

    def points(self, yes: int, counted: int) -> Decimal:
        """Points for `yes` of `counted`; with nothing counted, the full weight (used only under the
        `full_marks` no-data policy: by default an item with nothing counted does not apply, see `Formula`)."""
        if counted == 0:
            return self.weight
        rate, zero = Fraction(yes, counted), Fraction(self.zero_at)
        share = (zero - rate) / zero if self.lower_is_better else (rate - zero) / (1 - zero)
        share = min(max(share, Fraction(0)), Fraction(1))
        return round_points(Fraction(self.weight) * share)


def round_points(value: Fraction | Decimal) -> Decimal:
    """Points are kept to 0.01, rounded half up (the way the published bulletins print them)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Formula:
    version: str
    effective_from: date
    items: tuple[RateItem, ...]
    deductions: dict[str, Decimal]  # points off per yellow card, red card, letter, missed letter reply
    satisfied_grades: tuple[str, ...] = ("满意", "基本满意")
    letter_reply_working_days: int = 5
    letter_reply_events: tuple[str, ...] = ("progress_reported", "replied")
    floor: Decimal = Decimal(0)
    note: str = ""
    # An item with nothing to measure (no order due, no callback): "not_applicable" leaves it out and rescales
    # the items that apply to full marks; "full_marks" (the first version's behaviour) awards its full weight.
    no_data: str = NOT_APPLICABLE

    @property
    def full_marks(self) -> Decimal:
        return sum((i.weight for i in self.items), Decimal(0))

    def scores(self, key: str) -> bool:
        return any(i.key == key for i in self.items)

    def item(self, key: str) -> RateItem:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "effective_from": self.effective_from.isoformat(), "note": self.note,
            "items": {i.key: {"weight": str(i.weight), "zero_at": str(i.zero_at), "lower_is_better": i.lower_is_better}
                      for i in self.items},
            "deductions": {k: str(v) for k, v in self.deductions.items()},
            "satisfied_grades": list(self.satisfied_grades),
            "letter_reply_working_days": self.letter_reply_working_days,
            "letter_reply_events": list(self.letter_reply_events),
            "floor": str(self.floor),
            "no_data": self.no_data,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any], where: str = "formula") -> Formula:
        """Build and validate a version (from the TOML file or from a published period's stored copy)."""
        try:
            version = str(raw["version"])
            effective_from = _date(raw["effective_from"], f"{where}.effective_from")
            items_raw = raw["items"]
            if not isinstance(items_raw, dict) or not set(RATE_ITEMS) <= set(items_raw) <= {*RATE_ITEMS, *SHOWN_ITEMS}:
                raise RuleError(f"{where}.items: give {', '.join(RATE_ITEMS)} (and {', '.join(SHOWN_ITEMS)} to score it)")
            items = tuple(_rate_item(key, items_raw[key], f"{where}.items.{key}")
                          for key in (*RATE_ITEMS, *SHOWN_ITEMS) if key in items_raw)
            ded_raw = raw["deductions"]
            if not isinstance(ded_raw, dict) or set(ded_raw) != set(DEDUCTION_ITEMS):
                raise RuleError(f"{where}.deductions: give exactly {', '.join(DEDUCTION_ITEMS)}")
            deductions = {k: _decimal(ded_raw[k], f"{where}.deductions.{k}", 0, 100) for k in DEDUCTION_ITEMS}
            grades = tuple(raw.get("satisfied_grades", ("满意", "基本满意")))
            if not grades or any(g not in ("满意", "基本满意", "不满意") for g in grades):
                raise RuleError(f"{where}.satisfied_grades: grades are 满意, 基本满意, 不满意")
            days = raw.get("letter_reply_working_days", 5)
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
                raise RuleError(f"{where}.letter_reply_working_days: a whole number from 1 to 60")
            events = tuple(raw.get("letter_reply_events", ("progress_reported", "replied")))
            if not events or any(e not in ("signed", "progress_reported", "replied", "closed") for e in events):
                raise RuleError(f"{where}.letter_reply_events: events among signed, progress_reported, replied, closed")
            no_data = raw.get("no_data", NOT_APPLICABLE)
            if no_data not in NO_DATA_POLICIES:
                raise RuleError(f"{where}.no_data: one of {', '.join(NO_DATA_POLICIES)}, got {no_data!r}")
            return cls(version, effective_from, items, deductions, grades, days, events,
                       _decimal(raw.get("floor", 0), f"{where}.floor", 0, 1000), str(raw.get("note", "")), no_data)
        except KeyError as exc:
            raise RuleError(f"{where}: missing setting {exc.args[0]!r}") from None


def _rate_item(key: str, raw: Any, where: str) -> RateItem:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: a table with weight and zero_at")
    weight = _decimal(raw.get("weight"), f"{where}.weight", 0, 1000)
    zero_at = _decimal(raw.get("zero_at"), f"{where}.zero_at", 0, 1)
    lower = raw.get("lower_is_better", key == "reopen")
    if not isinstance(lower, bool):
        raise RuleError(f"{where}.lower_is_better: true or false")
    if (lower and zero_at == 0) or (not lower and zero_at == 1):
        raise RuleError(f"{where}.zero_at: leaves no range to score in")
    return RateItem(key, weight, zero_at, lower)


def _decimal(value: Any, where: str, low: float, high: float) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RuleError(f"{where}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise RuleError(f"{where}: expected a number, got {value!r}") from None
    if not number.is_finite() or not low <= number <= high:
        raise RuleError(f"{where}: expected a number from {low} to {high}, got {value!r}")
    return number


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RuleError(f"{where}: {value!r} is not a date like 2026-01-01") from None


@dataclass(frozen=True)
class FormulaBook:
    """Every version, oldest first; a period is scored by the version in force on its first day."""

    versions: tuple[Formula, ...]

    def __post_init__(self) -> None:
        if not self.versions:
            raise RuleError("the assessment formula needs at least one version")
        days = [v.effective_from for v in self.versions]
        if days != sorted(days) or len(set(days)) != len(days):
            raise RuleError("assessment formula versions must have strictly increasing effective_from dates")
        names = [v.version for v in self.versions]
        if len(set(names)) != len(names):
            raise RuleError("assessment formula version names must be unique")

    def for_day(self, day: date) -> Formula:
        chosen = None
        for version in self.versions:
            if version.effective_from <= day:
                chosen = version
        if chosen is None:
            raise RuleError(f"no assessment formula is in force on {day.isoformat()} "
                            f"(the first takes effect {self.versions[0].effective_from.isoformat()})")
        return chosen
