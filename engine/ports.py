"""What the engine needs from the outside, as Protocols and plain types."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine.domain.calendar import WorkingCalendar
from engine.domain.model import Action, HandlingUnit, Instruction
from engine.domain.rules import RuleTable
from engine.domain.work_order import WorkOrder


@dataclass(frozen=True)
class ActionContext:
    """Everything an operation may look at when a BPMN service task reaches it."""

    at: datetime
    rules: RuleTable
    calendar: WorkingCalendar
    order: WorkOrder | None = None
    unit: HandlingUnit | None = None
    instruction: Instruction | None = None
    quarter: str | None = None


# An operation named by a BPMN service task: returns the actions to record. It must not do I/O:
# the engine stores the actions and their outbox rows in the same transaction as the workflow step.
Operation = Callable[[ActionContext, Mapping[str, Any]], list[Action]]


@dataclass(frozen=True)
class SmsResult:
    accepted: bool
    provider_id: str | None = None
    retryable: bool = False
    error: str | None = None


class SmsGateway(Protocol):
    name: str

    def send(self, *, to: str, template: str, params: Mapping[str, Any], idempotency_key: str) -> SmsResult:
        """Hand one templated message to the provider. Never raises for provider errors."""
