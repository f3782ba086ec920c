"""Message templates (config/sms_templates.toml): checked at start, rendered at send time.

Mainland gateways send only pre-approved templates with a sign such as 【揭阳12345】, so a template is a fixed text
with named placeholders. Every placeholder has a maximum width; a template whose worst case (every value at its
maximum width) is longer than the limit is refused at start, and values are cut to their width when rendered, so
no message can exceed the limit.
"""
from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.clock import LOCAL_TZ
from engine.domain.errors import RuleError

# Placeholder -> maximum width in characters. `link` is set from the public URL's length (see with_link_width).
PLACEHOLDER_WIDTHS: dict[str, int] = {
    "order": 24,      # work-order number
    "unit": 16,       # handling unit name
    "deadline": 11,   # 12月31日17:00
    "count": 3,       # digest: number of orders
    "orders": 35,     # digest: as many whole order numbers as fit, then 等 (35: Aliyun's default variable limit)
    "kind": 6,        # document kind (督办函, 专报 …)
    "number": 20,     # document number 揭热线督〔2026〕12号
    "link": 60,
    "area": 22,       # hotspot: a district, or a grid cell 网格34.0725,-118.2878
    "category": 8,    # hotspot: the orders' category
    "days": 2,        # hotspot: the window's days
    "total": 6,       # hotspot: orders in the window
    "ratio": 5,       # hotspot: times the expected count, 3.2
}
ELLIPSIS = "…"


@dataclass(frozen=True)
class SmsTemplates:
    sign: str
    max_length: int
    texts: Mapping[str, str]
    widths: Mapping[str, int]

    @classmethod
    def build(cls, sign: str, max_length: int, texts: Mapping[str, str], *, link_width: int,
              required: Iterable[str] = ()) -> SmsTemplates:
        """Check everything a start-up must refuse: unknown placeholders, over-long templates, missing ones."""
        if not sign or not sign.startswith("【") or not sign.endswith("】"):
            raise RuleError(f"sms templates: the sign must look like 【揭阳12345】, got {sign!r}")
        if not isinstance(max_length, int) or not 20 <= max_length <= 500:
            raise RuleError(f"sms templates: max_length must be a whole number from 20 to 500, got {max_length!r}")
        widths = {**PLACEHOLDER_WIDTHS, "link": link_width}
        templates = cls(sign, max_length, dict(texts), widths)
        for key, text in texts.items():
            templates._check(key, text)
        missing = sorted(set(required) - set(texts))
        if missing:
            raise RuleError(f"sms templates: no template for {', '.join(missing)} (named by the BPMN rules)")
        return templates

    def _check(self, key: str, text: object) -> None:
        if not isinstance(text, str) or not text.strip():
            raise RuleError(f"sms template {key!r}: the text is empty")
        names = placeholders(key, text)
        unknown = sorted(names - set(self.widths))
        if unknown:
            raise RuleError(f"sms template {key!r}: unknown placeholder {{{unknown[0]}}}; known: "
                            f"{', '.join(sorted(self.widths))}")
        worst = len(self.sign) + len(string.Formatter().vformat(text, (), _Widest(self.widths)))
        if worst > self.max_length:
            raise RuleError(f"sms template {key!r}: up to {worst} characters with its placeholders filled, "
                            f"over the limit of {self.max_length}")

    def placeholders_of(self, key: str) -> set[str]:
        return placeholders(key, self.text(key))

    def text(self, key: str) -> str:
        try:
            return self.texts[key]
        except KeyError:
            raise RuleError(f"no sms template {key!r}") from None

    def values(self, key: str, params: Mapping[str, Any]) -> dict[str, str]:
        """Each placeholder's value as it goes into the text: displayed, then cut to its width. Template-first
        gateways hand exactly these to the provider, so its text and ours agree."""
        return {name: _cut(display(params.get(name, "")), self.widths[name]) for name in self.placeholders_of(key)}

    def render(self, key: str, params: Mapping[str, Any]) -> str:
        """The message as the unit will read it: sign + text, each value cut to its width."""
        return self.sign + self.text(key).format(**self.values(key, params))

    def narrowed(self, limits: Mapping[str, int]) -> SmsTemplates:
        """The same templates with placeholders no wider than a provider's per-variable limits."""
        widths = {name: min(width, limits.get(name, width)) for name, width in self.widths.items()}
        return SmsTemplates(self.sign, self.max_length, self.texts, widths)


def placeholders(key: str, text: str) -> set[str]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise RuleError(f"sms template {key!r}: {exc} (write {{{{ and }}}} for literal braces)") from None
    for _, field, spec, conversion in parsed:
        if field is not None and (spec or conversion):
            raise RuleError(f"sms template {key!r}: placeholder {{{field}}} must be plain, without a format "
                            f"specification or conversion (values are formatted by Duban)")
    return {field for _, field, _, _ in parsed if field is not None}


def display(value: Any) -> str:
    """Times as 12月3日17:00 in local time; everything else as text."""
    if isinstance(value, datetime):
        local = value.astimezone(LOCAL_TZ)
        return f"{local.month}月{local.day}日{local:%H:%M}"
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            return display(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _cut(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + ELLIPSIS


class _Widest(dict):
    def __init__(self, widths: Mapping[str, int]) -> None:
        super().__init__({name: "字" * width for name, width in widths.items()})
