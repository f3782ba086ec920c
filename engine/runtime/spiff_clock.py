"""Make SpiffWorkflow's timers read the clock of the engine that is advancing the workflow.

SpiffWorkflow 3.2 reads `datetime.now(timezone.utc)` inside its timer module. We replace that
module's `datetime` with a subclass whose `now()` asks a context variable, so two engines with two
clocks (the live worker and a replay, or two tests) can run in one process without seeing each
other's time. Outside `spiff_time(...)` it is the system clock.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

_now: ContextVar[datetime | None] = ContextVar("duban_spiff_now", default=None)
_real_datetime = datetime


class _ContextDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        current = _now.get()
        if current is None:
            return _real_datetime.now(tz)
        return current.astimezone(tz) if tz else current.replace(tzinfo=None)


def install() -> None:
    _timer_module.datetime = _ContextDatetime  # idempotent


@contextmanager
def spiff_time(at: datetime) -> Iterator[None]:
    token = _now.set(at)
    try:
        yield
    finally:
        _now.reset(token)


install()
