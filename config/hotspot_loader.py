"""Load and validate `config/hotspots.toml`: areas, windows, flag thresholds, the leaders alerted, themes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any

from config.loader import CONFIG_DIR, _count, _read, _time
from engine.domain.errors import RuleError
from engine.domain.phones import normalise_mobile
from engine.hotspots.detect import HotspotRules

KEYS = {"areas": {"by", "grid_metres"}, "windows": {"days", "trailing_weeks", "year_margin_days"},
        "flags": {"min_count", "min_ratio", "alpha", "warning_ratio", "severe_ratio", "severe_min_count"},
        "alert": {"run_at", "leaders"}, "themes": {"min_volume", "size"}}


@dataclass(frozen=True)
class HotspotConfig:
    rules: HotspotRules = field(default_factory=HotspotRules)
    area_by: str = "district"  # district | grid
    grid_metres: int = 1000
    run_at: time = time(6, 30)
    leaders: tuple[str, ...] = ()  # E.164
    theme_min_volume: int = 20
    theme_size: int = 10


def _ratio(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise RuleError(f"{where}: expected a number from {low:g} to {high:g}, got {value!r}")
    return float(value)


def load_hotspots(path: Path | None = None) -> HotspotConfig:
    path = path or CONFIG_DIR / "hotspots.toml"
    raw = _read(path)
    for table, value in raw.items():
        if table not in KEYS or not isinstance(value, dict):
            raise RuleError(f"{path}: unknown table [{table}]; known: {', '.join(KEYS)}")
        unknown = sorted(set(value) - KEYS[table])
        if unknown:
            raise RuleError(f"{path}: unknown setting {table}.{unknown[0]}; known: {', '.join(sorted(KEYS[table]))}")
    areas, windows, flags = raw.get("areas", {}), raw.get("windows", {}), raw.get("flags", {})
    alert, themes = raw.get("alert", {}), raw.get("themes", {})
    by = areas.get("by", "district")
    if by not in ("district", "grid"):
        raise RuleError(f"{path}: areas.by must be \"district\" or \"grid\", got {by!r}")
    days = windows.get("days", [7])
    if not isinstance(days, list) or not days:
        raise RuleError(f"{path}: windows.days must be a list of window lengths in days, like [7]")
    rules = HotspotRules(
        window_days=tuple(sorted({_count(d, f"{path}: windows.days", 1, 91) for d in days})),
        trailing_weeks=_count(windows.get("trailing_weeks", 8), f"{path}: windows.trailing_weeks", 1, 52),
        year_margin_days=_count(windows.get("year_margin_days", 14), f"{path}: windows.year_margin_days", 0, 91),
        min_count=_count(flags.get("min_count", 10), f"{path}: flags.min_count", 1, 100000),
        min_ratio=_ratio(flags.get("min_ratio", 1.5), f"{path}: flags.min_ratio", 1.0, 100.0),
        alpha=_ratio(flags.get("alpha", 0.01), f"{path}: flags.alpha", 1e-9, 0.5),
        warning_ratio=_ratio(flags.get("warning_ratio", 2.0), f"{path}: flags.warning_ratio", 1.0, 100.0),
        severe_ratio=_ratio(flags.get("severe_ratio", 3.0), f"{path}: flags.severe_ratio", 1.0, 100.0),
        severe_min_count=_count(flags.get("severe_min_count", 30), f"{path}: flags.severe_min_count", 1, 100000))
    if not rules.min_ratio <= rules.warning_ratio <= rules.severe_ratio:
        raise RuleError(f"{path}: flags need min_ratio <= warning_ratio <= severe_ratio")
    leaders = alert.get("leaders", [])
    if not isinstance(leaders, list):
        raise RuleError(f"{path}: alert.leaders must be a list of mobile numbers")
    return HotspotConfig(
        rules=rules, area_by=by,
        grid_metres=_count(areas.get("grid_metres", 1000), f"{path}: areas.grid_metres", 50, 50000),
        run_at=_time(alert.get("run_at", "06:30"), f"{path}: alert.run_at"),
        leaders=tuple(dict.fromkeys(normalise_mobile("hotspot alert leader", x) for x in leaders)),
        theme_min_volume=_count(themes.get("min_volume", 20), f"{path}: themes.min_volume", 1, 100000),
        theme_size=_count(themes.get("size", 10), f"{path}: themes.size", 1, 100))
