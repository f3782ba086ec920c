"""Field checks that report every problem with its field path and a reason, instead of stopping at the first."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f]")
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=1)
NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
_NUMBER = re.compile(NUMBER_PATTERN)


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


@dataclass
class Checker:
    """Reads fields of one JSON object, collecting a FieldError per bad field."""

    body: dict[str, Any]
    now: datetime
    prefix: str = ""
    errors: list[FieldError] = field(default_factory=list)

    def fail(self, name: str, reason: str) -> None:
        self.errors.append(FieldError(self.prefix + name, reason))

    def unknown(self, allowed: set[str]) -> None:
        for name in sorted(set(self.body) - allowed):
            self.fail(name, "unknown field")

    def text(self, name: str, *, required: bool = False, max_length: int, multiline: bool = False,
             default: str | None = None) -> str | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.fail(name, "required")
            return default
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return None
        if required and not value.strip():
            self.fail(name, "must not be empty")
            return None
        if len(value) > max_length:
            self.fail(name, f"at most {max_length} characters")
            return None
        if (_CONTROL if multiline else _CONTROL_SINGLE_LINE).search(value):
            self.fail(name, "must not contain control characters")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(name, "is not valid Unicode text")
            return None
        return value

    def number(self, name: str) -> str | None:
        value = self.text(name, required=True, max_length=64)
        if value is not None and not _NUMBER.match(value):
            self.fail(name, "letters, digits, '_', '-' and '.' only, starting with a letter or digit")
            return None
        return value

    def choice(self, name: str, options: tuple[str, ...], *, required: bool = False,
               default: str | None = None) -> str | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.fail(name, "required")
            return default
        if value not in options:
            self.fail(name, f"must be one of {'/'.join(options)}")
            return None
        return str(value)

    def instant(self, name: str, *, required: bool = True) -> datetime | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.fail(name, "required")
            return None
        at = parse_time(value)
        if at is None:
            self.fail(name, "must be an ISO-8601 time with its UTC offset, e.g. 2026-06-01T09:30:00+08:00")
            return None
        if at < EARLIEST or at > self.now + FUTURE_SLACK:
            self.fail(name, "must lie between 2000-01-01 and one day from now")
            return None
        return at

    def integer(self, name: str, *, low: int, high: int, required: bool = False) -> int | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.fail(name, "required")
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.fail(name, f"must be a whole number from {low} to {high}")
            return None
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        value = self.body.get(name)
        if value is None:
            if required:
                self.fail(name, "required")
            return None
        if not isinstance(value, bool):
            self.fail(name, "must be true or false")
            return None
        return value


def parse_time(value: object) -> datetime | None:
    """An aware instant in UTC, or None for anything else (no offset, not a string, out of range)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        at = datetime.fromisoformat(text)
        if at.tzinfo is None:
            return None
        return at.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def is_order_number(value: str) -> bool:
    return bool(_NUMBER.match(value))


def body_hash(body: Any) -> str:
    """The hash that decides "same body": canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
