"""Load and validate `config/assessment.toml`: the dated formula versions and the reopen rule."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.loader import CONFIG_DIR, _read
from engine.assessment.formula import Formula, FormulaBook
from config.units_loader import load_units
from engine.domain.errors import RuleError
from engine.domain.unit_directory import UnitDirectory

DEFAULT_MIN_SAMPLE = {"month": 10, "quarter": 30, "year": 120}


@dataclass(frozen=True)
class AssessmentConfig:
    formulas: FormulaBook
    reopen_on_dissatisfied_callback: bool = True
    max_reopens: int = 2
    list_size: int = 5
    min_sample: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MIN_SAMPLE))
    refresh_minutes: int = 5
    units: UnitDirectory = field(default_factory=UnitDirectory)


def load_assessment(path: Path | None = None, units_path: Path | None = None) -> AssessmentConfig:
    path = path or CONFIG_DIR / "assessment.toml"
    raw = _read(path)
    versions = raw.get("version")
    if not isinstance(versions, list) or not versions:
        raise RuleError(f"{path}: at least one [[version]] of the formula is required")
    formulas = FormulaBook(tuple(Formula.from_dict(v, f"{path}: version[{i}]") for i, v in enumerate(versions)))
    reopen: dict[str, Any] = raw.get("reopen", {})
    on = reopen.get("on_dissatisfied_callback", True)
    if not isinstance(on, bool):
        raise RuleError(f"{path}: reopen.on_dissatisfied_callback must be true or false")
    limit = reopen.get("max_reopens", 2)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= 20:
        raise RuleError(f"{path}: reopen.max_reopens must be a whole number from 0 to 20")
    size = raw.get("lists", {}).get("size", 5)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 50:
        raise RuleError(f"{path}: lists.size must be a whole number from 1 to 50")
    sample = raw.get("sample", {})
    min_sample = {}
    for kind, default in DEFAULT_MIN_SAMPLE.items():
        value = sample.get(kind, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100000:
            raise RuleError(f"{path}: sample.{kind} must be a whole number from 0 to 100000")
        min_sample[kind] = value
    every = raw.get("refresh", {}).get("every_minutes", 5)
    if not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= 60:
        raise RuleError(f"{path}: refresh.every_minutes must be a whole number from 1 to 60")
    return AssessmentConfig(formulas, on, limit, size, min_sample, every, load_units(units_path))
