"""What the configuration says about each handling unit beyond its registration: the short name charts and
reports print (市监局 for 揭阳市市场监督管理局) and the tier it is assessed in (区县 / 市直部门 / 公共企业)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# a two-character city name and 市 (揭阳市…), not a district's own words (区城市管理局 keeps its 区城市)
_CITY_PREFIX = re.compile(r"^(?![区县镇乡街])[\u4e00-\u9fff]{2}市(?=[\u4e00-\u9fff第])")
_GOVERNMENT = re.compile(r"人民政府$")


def derived_short_name(name: str) -> str:
    """A unit's short name when the configuration gives none: the city prefix and 人民政府 dropped
    (揭阳市生态环境局 → 生态环境局, 榕城区人民政府 → 榕城区)."""
    short = _GOVERNMENT.sub("", _CITY_PREFIX.sub("", name))
    return short or name


@dataclass(frozen=True)
class UnitDirectory:
    tier_order: tuple[str, ...] = ("市直部门",)
    default_tier: str = "市直部门"
    short_names: Mapping[str, str] = field(default_factory=dict)
    tiers: Mapping[str, str] = field(default_factory=dict)

    def short_name(self, code: str, name: str) -> str:
        return self.short_names.get(code) or derived_short_name(name)

    def tier(self, code: str) -> str:
        return self.tiers.get(code, self.default_tier)
