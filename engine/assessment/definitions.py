"""Shared definitions (口径) of the on-time and satisfaction figures, used by the quarterly 专报 and the
assessment alike, so the two can never disagree about what "on time" means."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from engine.clock import LOCAL_TZ
from engine.domain.calendar import WorkingCalendar

SATISFIED = ("满意", "基本满意")


def local_day(at: datetime) -> date:
    return at.astimezone(LOCAL_TZ).date()


def sign_for_due_on(dispatched_at: datetime, calendar: WorkingCalendar, working_days: int,
                    cache: dict[date, date] | None = None) -> date:
    """The last day to sign for an order: the Nth working day after its dispatch date (N from the rule table)."""
    day = local_day(dispatched_at)
    if cache is None:
        return calendar.nth_working_day_after(day, working_days).result
    if day not in cache:
        cache[day] = calendar.nth_working_day_after(day, working_days).result
    return cache[day]


def is_signed_on_time(signed_at: datetime | None, due_on: date) -> bool:
    """Signed for by the end of its last sign-for day."""
    return signed_at is not None and local_day(signed_at) <= due_on


def is_replied_on_time(replied_at: datetime | None, deadline_at: datetime | None) -> bool:
    """Replied not after the handling deadline."""
    return replied_at is not None and deadline_at is not None and replied_at <= deadline_at


def latest_callbacks(callbacks: Iterable[dict[str, Any]], start: datetime, end: datetime) -> dict[str, dict[str, Any]]:
    """Each order's last rated callback (回访) in [start, end): the grade its satisfaction is judged by."""
    latest: dict[str, dict[str, Any]] = {}
    for callback in sorted(callbacks, key=lambda c: c["at"]):
        if start <= callback["at"] < end and callback.get("satisfaction"):
            latest[callback["order_number"]] = callback
    return latest
