"""What the engine needs from the outside, as Protocols and plain types."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
class SmsMessage:
    """One templated message for one number. Template-first gateways (the mainland ones) send `template` with
    `params`; gateways that take free text (Twilio) send `body`, the same template rendered by Duban."""

    to: str
    template: str
    params: Mapping[str, Any]
    body: str
    idempotency_key: str
    message_id: int  # the outbox row: comes back in the status-callback URL


# How a send attempt ended, as far as the caller can know:
ACCEPTED = "accepted"    # the provider took it (provider_id set)
RETRY = "retry"          # it certainly did not go out and may succeed later (429, 5xx before acceptance, refused connection)
REJECTED = "rejected"    # it will never go out as it is (invalid or unsubscribed number, bad request)
AMBIGUOUS = "ambiguous"  # the request may have reached the provider (timeout, dropped connection): never resend blindly


@dataclass(frozen=True)
class SmsResult:
    outcome: str
    provider_id: str | None = None
    provider_status: str | None = None  # e.g. queued, accepted
    error_code: str | None = None
    error: str | None = None
    bad_number: bool = False  # rejected because of the number itself: mark the contact as failing


@dataclass(frozen=True)
class DeliveryReceipt:
    """A status report from the provider about a message it accepted."""

    provider_id: str
    status: str  # queued | sending | sent | delivered | undelivered | failed
    error_code: str | None = None
    retry: bool = False       # undelivered for a passing reason (handset off): worth one more try later
    bad_number: bool = False  # the number is wrong, unsubscribed or a landline
    message_id: int | None = None  # the outbox row named in the callback URL, when present


@dataclass(frozen=True)
class InboundSms:
    provider_id: str
    sender: str
    body: str


class GatewayUnavailable(Exception):
    """The provider could not be asked (down, timing out): try again later."""


class SmsGateway(Protocol):
    name: str

    def send(self, message: SmsMessage) -> SmsResult:
        """Hand one message to the provider. Never raises for provider or network errors."""

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        """The provider's id of a message with this text to this number created since `since`, or None when the
        provider has none. Raises GatewayUnavailable when it cannot tell. Used before re-sending after an
        ambiguous attempt, so a message is never sent twice blindly."""


class ReceiptPoller(Protocol):
    """A gateway that can be asked for delivery reports (when the provider cannot push them to us)."""

    def poll_receipts(self, messages: Sequence[Mapping[str, Any]]) -> list[DeliveryReceipt]:
        """Reports for these messages (each with `recipient`, `provider_id`, `sent_at`) that the provider has;
        messages still without one are left out. Raises GatewayUnavailable when it cannot tell."""


class FiringObserver(Protocol):
    """Told about each timer the worker fired (after its transaction committed) and each firing that failed:
    the worker's metrics count them. `step` is the rule step the timer ran (due_soon, overdue, yellow, …) or,
    for a timer that ran no step, the process kind."""

    def fired(self, step: str, due_at: datetime, fired_at: datetime) -> None: ...

    def failed(self, step: str) -> None: ...


class NoObserver:
    def fired(self, step: str, due_at: datetime, fired_at: datetime) -> None:
        pass

    def failed(self, step: str) -> None:
        pass
