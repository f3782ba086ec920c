"""Injected time. Every deadline, timer and report reads a Clock; nothing calls datetime.now() directly."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, tz-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class VirtualClock:
    """A clock that only moves when told to: tests, the simulator and `duban replay` use it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a tz-aware start")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("VirtualClock.set needs a tz-aware datetime")
        self._now = when.astimezone(timezone.utc)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


def to_local(at: datetime) -> datetime:
    return at.astimezone(LOCAL_TZ)


def format_local(at: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS+08:00`, the form every output of Duban uses."""
    return to_local(at).replace(microsecond=0).isoformat()


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 instant that must carry an offset."""
    try:
        at = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO-8601 time: {text!r}") from None
    if at.tzinfo is None:
        raise ValueError(f"time {text!r} has no UTC offset (write e.g. +08:00)")
    return at.astimezone(timezone.utc)
