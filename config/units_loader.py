"""Load and validate `config/units.toml`: each unit's short name and assessment tier."""
from __future__ import annotations

from pathlib import Path

from config.loader import CONFIG_DIR, _read
from engine.domain.errors import RuleError
from engine.domain.unit_directory import UnitDirectory


def load_units(path: Path | None = None) -> UnitDirectory:
    path = path or CONFIG_DIR / "units.toml"
    raw = _read(path)
    tiers = raw.get("tiers", ["市直部门"])
    if not isinstance(tiers, list) or not tiers or not all(isinstance(t, str) and t.strip() for t in tiers) \
            or len(set(tiers)) != len(tiers):
        raise RuleError(f"{path}: tiers must be a list of distinct names, e.g. [\"区县\", \"市直部门\"]")
    default = raw.get("default_tier", tiers[0])
    if default not in tiers:
        raise RuleError(f"{path}: default_tier {default!r} is not one of the tiers {tiers}")
    short, tier_of = {}, {}
    for code, entry in raw.get("unit", {}).items():
        if not isinstance(entry, dict) or set(entry) - {"short_name", "tier"}:
            raise RuleError(f"{path}: unit.{code} takes short_name and tier only")
        name = entry.get("short_name")
        if name is not None:
            if not isinstance(name, str) or not 1 <= len(name.strip()) <= 12:
                raise RuleError(f"{path}: unit.{code}.short_name must be 1 to 12 characters")
            short[code] = name.strip()
        if "tier" in entry:
            if entry["tier"] not in tiers:
                raise RuleError(f"{path}: unit.{code}.tier {entry['tier']!r} is not one of the tiers {tiers}")
            tier_of[code] = entry["tier"]
    return UnitDirectory(tuple(tiers), default, short, tier_of)
