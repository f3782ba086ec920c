"""Work orders (工单) and the lifecycle events that may happen to them.

`check_event` is the one place that says which event is possible in which state; the engine, the
replay pre-check and the web forms all ask it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from engine.domain.errors import InvalidInput, InvalidTransition
from engine.domain.rules import CATEGORIES, SOURCES, URGENCIES

EVENT_TYPES = ("signed", "progress_reported", "replied", "closed", "reopened", "extension_approved",
               "returned", "extension_requested", "callback", "extension_rejected", "objected")
# what a unit may do; `objected` is the 2025 rules' 退单 with a reason code, in a window (engine/domain/objections.py)
UNIT_EVENTS = ("signed", "progress_reported", "replied", "returned", "extension_requested", "objected")
# after the latest of these an extension request is open only if that latest one is the request itself
EXTENSION_STATE_EVENTS = ("extension_requested", "extension_approved", "extension_rejected", "replied", "closed",
                          "returned", "redispatched", "objected")
SATISFACTION_GRADES = ("满意", "基本满意", "不满意")  # callback (回访) grades


class Status:
    DISPATCHED = "dispatched"  # 已派发，待签收
    SIGNED = "signed"  # 已签收，办理中
    REPLIED = "replied"  # 已办结回复，待办结
    CLOSED = "closed"  # 已办结


STATUS_LABELS = {Status.DISPATCHED: "待签收", Status.SIGNED: "办理中", Status.REPLIED: "已回复", Status.CLOSED: "已办结"}


@dataclass
class WorkOrder:
    number: str
    unit_code: str
    category: str
    urgency: str
    source: str
    dispatched_at: datetime
    status: str = Status.DISPATCHED
    cycle: int = 1
    signed_at: datetime | None = None
    replied_at: datetime | None = None
    closed_at: datetime | None = None
    progress_reported_at: datetime | None = None
    last_event_at: datetime | None = None
    deadline_at: datetime | None = None
    deadline_provisional: bool = False
    deadline_explanation: str = ""
    fired_steps: list[str] = field(default_factory=list)  # ladder steps already taken in this cycle
    # how the current deadline was reached, so it can be recomputed when the calendar learns a year:
    # [{"rule": "handling", "start_at": iso}, {"rule": "extension", "working_days": 5}, ...]
    deadline_basis: list[dict[str, object]] = field(default_factory=list)
    title: str = ""
    returned_at: datetime | None = None  # returned by the unit (退单), waiting for the hotline to re-dispatch it
    co_units: list[dict[str, object]] = field(default_factory=list)  # 协办: [{"unit": code, "signed_at": iso|None}]
    hard_case_at: datetime | None = None  # became a hard case (疑难工单)

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


def validate_new_order(number: str, category: str, urgency: str, source: str) -> None:
    if not number or not isinstance(number, str) or len(number) > 64:
        raise InvalidInput(f"work order number must be a non-empty string of at most 64 characters, got {number!r}")
    if category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {'/'.join(CATEGORIES)}, got {category!r}")
    if urgency not in URGENCIES:
        raise InvalidInput(f"urgency must be one of {'/'.join(URGENCIES)}, got {urgency!r}")
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {'/'.join(SOURCES)}, got {source!r}")


def check_event(order: WorkOrder, event: str, at: datetime, *, working_days: object = None,
                details: Mapping[str, object] | None = None) -> None:
    """Raise InvalidTransition when `event` cannot happen to `order` at `at`.

    `details` carries the facts of the events added for the integration API: the reason of a return (退单),
    the reason of an extension request and the satisfaction grade and `solved` flag of a callback (回访)."""
    if event not in EVENT_TYPES and event not in ("instruction", "redispatched"):
        raise InvalidInput(f"unknown event type {event!r}")
    if at < order.dispatched_at:
        raise InvalidTransition(f"时间早于派单时间 ({event} of {order.number} at {at.isoformat()} is before its dispatch)")
    if order.last_event_at is not None and at < order.last_event_at:
        raise InvalidTransition(f"时间早于该工单上一次办理记录 ({event} of {order.number} is earlier than its previous event)")
    closed = order.status == Status.CLOSED
    if order.returned_at is not None and event in UNIT_EVENTS:
        raise InvalidTransition(f"该工单已退单，等待热线重新派发 ({order.number} was returned by its unit and waits for the hotline to re-dispatch it)")
    if event == "redispatched" and closed:
        raise InvalidTransition(f"该工单已办结，不能重新派发 ({order.number} is closed and cannot be re-dispatched)")
    if event == "redispatched" and order.returned_at is None:
        raise InvalidTransition(f"只有已退单的工单才能重新派发 ({order.number} can only be re-dispatched after its unit returned it)")
    if event == "signed" and order.signed_at is not None:
        raise InvalidTransition(f"该工单已签收，无需重复签收 ({order.number} is already signed for)")
    if event == "signed" and closed:
        raise InvalidTransition(f"该工单已办结，不能签收 ({order.number} is closed and cannot be signed for)")
    if event in ("replied", "extension_approved", "progress_reported") and closed:
        raise InvalidTransition(f"该工单已办结 ({order.number} is already closed)")
    if event in ("replied", "extension_approved") and order.status == Status.REPLIED:
        raise InvalidTransition(f"该工单已回复，等待审核 ({order.number} has already been replied to)")
    if event == "closed" and closed:
        raise InvalidTransition(f"该工单已办结 ({order.number} is already closed)")
    if event == "closed" and order.status != Status.REPLIED and order.returned_at is None:  # web and API alike
        raise InvalidTransition(f"只有承办单位已回复的工单才能审核办结 ({order.number} can only be closed after its unit replied)")
    if event == "reopened" and order.status not in (Status.REPLIED, Status.CLOSED):
        raise InvalidTransition(f"只有已回复或已办结的工单才能重办 ({order.number} can only be reopened after a reply or closure)")
    if event == "instruction" and closed:
        raise InvalidTransition(f"该工单已办结，不能再登记批示 ({order.number} is closed; an instruction cannot be added)")
    if event in ("returned", "objected", "extension_requested", "extension_rejected") and (closed or order.status == Status.REPLIED):
        raise InvalidTransition(f"该工单已回复或已办结 ({order.number} has already been replied to or closed)")
    if event == "callback" and order.status not in (Status.REPLIED, Status.CLOSED):
        raise InvalidTransition(f"只有已回复或已办结的工单才能回访 ({order.number} can only be called back after a reply or closure)")
    _check_details(event, details or {})
    if event in ("extension_approved", "extension_requested"):
        if not isinstance(working_days, int) or isinstance(working_days, bool) or not 1 <= working_days <= 180:
            raise InvalidInput(f"extension working_days must be a whole number from 1 to 180, got {working_days!r}")


def _check_details(event: str, details: Mapping[str, object]) -> None:
    if event in ("returned", "objected", "extension_requested", "extension_rejected"):
        reason = details.get("reason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
            raise InvalidInput(f"{event} needs a reason of 1 to 2000 characters")
    if event == "callback":
        if details.get("satisfaction") not in SATISFACTION_GRADES:
            raise InvalidInput(f"callback satisfaction must be one of {'/'.join(SATISFACTION_GRADES)}, "
                               f"got {details.get('satisfaction')!r}")
        if not isinstance(details.get("solved"), bool):
            raise InvalidInput(f"callback solved must be true or false, got {details.get('solved')!r}")


def apply_event(order: WorkOrder, event: str, at: datetime) -> None:
    """Record the fact on the order (after check_event said it is possible)."""
    order.last_event_at = at
    if event == "signed":
        order.signed_at = at
        if order.status == Status.DISPATCHED:
            order.status = Status.SIGNED
    elif event == "progress_reported":
        order.progress_reported_at = at
    elif event == "replied":
        order.replied_at = at
        order.status = Status.REPLIED
    elif event == "closed":
        order.closed_at = at
        order.status = Status.CLOSED
        order.returned_at = None  # the hotline closed it instead of re-dispatching it
    elif event in ("returned", "objected"):
        order.returned_at = at
    elif event == "redispatched":  # the caller has set the new unit
        order.returned_at = None
        order.signed_at = None
        order.progress_reported_at = None
        order.fired_steps = []
        order.status = Status.DISPATCHED
        order.deadline_basis = [{"rule": "handling", "start_at": at.isoformat()}]
    elif event == "reopened":
        order.cycle += 1
        order.replied_at = None
        order.closed_at = None
        order.fired_steps = []
        order.status = Status.SIGNED
        order.deadline_basis = [{"rule": "handling", "start_at": at.isoformat()}]
    # extension_requested / extension_rejected and callback (回访) are recorded facts: the status and the deadline stay (a request waits
    # for extension_approved, a callback may lead to reopened); a returned order keeps its status until re-dispatched
