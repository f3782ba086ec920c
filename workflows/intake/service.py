"""Intake, events and instructions for API clients, built on the engine's own use cases.

Idempotency: an intake record (number + hash of the normalised body) is claimed first, in its own transaction;
then `Engine.open_work_order` opens the order, whose primary key makes a second order impossible. Whoever comes
second with the same body gets the existing order; with a different body, a conflict.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.domain.errors import DuplicateWorkOrder, InvalidInput, InvalidTransition, UnknownUnit
from engine.domain.model import Instruction
from engine.domain.work_order import WorkOrder
from engine.intake import export
from engine.intake.fields import FieldError
from engine.intake.orders import EventInput, IntakeOrder
from engine.persistence.api_store import ApiRecords
from engine.services import Engine

SCOPES = ("intake", "events", "export", "personal_data")
DEFAULT_RATE_PER_MINUTE = 600


@dataclass
class IntakeResult:
    outcome: str  # created | existing | conflict | invalid
    number: str
    errors: list[FieldError] = field(default_factory=list)
    detail: str = ""

    @property
    def status(self) -> int:
        return {"created": 201, "existing": 200, "conflict": 409, "invalid": 422}[self.outcome]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_client(engine: Engine, name: str, scopes: list[str], rate_per_minute: int = DEFAULT_RATE_PER_MINUTE
                  ) -> str:
    """Create an API client; returns its token (shown once; only its hash is stored)."""
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("client name: 1 to 64 letters, digits, '-', '_' or '.'")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}")
    if not 1 <= rate_per_minute <= 100_000:
        raise InvalidInput("rate per minute must be from 1 to 100000")
    token = "dbn_" + secrets.token_urlsafe(32)
    with engine.store.transaction() as tx:
        ApiRecords(tx).create_client(name, hash_token(token), token[:12], sorted(set(scopes)), rate_per_minute,
                                     engine.clock.now())
    return token


def revoke_client(engine: Engine, name: str) -> bool:
    with engine.store.transaction() as tx:
        return ApiRecords(tx).revoke_client(name, engine.clock.now())


def authenticate(engine: Engine, token: str) -> dict[str, Any] | None:
    """The client holding `token`, or None (unknown or revoked)."""
    with engine.store.reading() as tx:
        client = ApiRecords(tx).client_by_token_hash(hash_token(token))
    if client is None or client["revoked_at"] is not None:
        return None
    return client


def _matches(order: WorkOrder, intake: IntakeOrder) -> bool:
    return (order.unit_code, order.category, order.urgency, order.source, order.dispatched_at, order.title) == (
        intake.unit_code, intake.category, intake.urgency, intake.source, intake.dispatched_at, intake.title)


def submit(engine: Engine, intake: IntakeOrder, client: str, *, actor: str | None = None) -> IntakeResult:
    """Open `intake` once, whatever the number of identical requests and however they interleave."""
    for _ in range(3):
        with engine.store.transaction() as tx:
            claimed = ApiRecords(tx).claim_intake(intake, client, engine.clock.now())
        if not claimed:
            with engine.store.reading() as tx:
                record = ApiRecords(tx).get_intake(intake.number)
                existing = tx.get_order(intake.number)
            if record is None:
                continue  # the other request failed and dropped its claim a moment ago: try again
            if record["body_hash"] != intake.body_hash:
                return IntakeResult("conflict", intake.number, detail=(
                    f"work order {intake.number} was received before with a different body"))
            if existing is not None:
                return IntakeResult("existing", intake.number)
        try:
            engine.open_work_order(number=intake.number, unit_code=intake.unit_code, category=intake.category,
                                   urgency=intake.urgency, source=intake.source, at=intake.dispatched_at,
                                   title=intake.title, actor=actor or f"api:{client}")
            return IntakeResult("created", intake.number)
        except DuplicateWorkOrder:
            with engine.store.reading() as tx:
                existing = tx.get_order(intake.number)
            if existing is not None and _matches(existing, intake):
                return IntakeResult("existing", intake.number)
            if claimed:
                with engine.store.transaction() as tx:
                    ApiRecords(tx).drop_intake(intake.number, intake.body_hash)
            return IntakeResult("conflict", intake.number,
                                detail=f"work order {intake.number} exists with different facts")
        except UnknownUnit as exc:
            _drop(engine, intake, claimed)
            return IntakeResult("invalid", intake.number, [FieldError("unit_code", str(exc))])
        except InvalidInput as exc:
            _drop(engine, intake, claimed)
            return IntakeResult("invalid", intake.number, [FieldError("(body)", str(exc))])
    return IntakeResult("conflict", intake.number, detail="the same work order is being changed by another request")


def _drop(engine: Engine, intake: IntakeOrder, claimed: bool) -> None:
    if claimed:
        with engine.store.transaction() as tx:
            ApiRecords(tx).drop_intake(intake.number, intake.body_hash)


def record_event(engine: Engine, number: str, event: EventInput, client: str) -> WorkOrder:
    """:raises UnknownWorkOrder, InvalidTransition, InvalidInput: from the engine."""
    return engine.record_event(number, event.type, at=event.at, actor=event.actor or f"api:{client}",
                               working_days=event.working_days, note=event.note, details=event.details)


def add_instruction(engine: Engine, number: str, values: dict[str, Any], client: str) -> Instruction:
    return engine.add_instruction(number, leader=values["leader"], text=values["text"], at=values["at"],
                                  actor=f"api:{client}")


def order_view(engine: Engine, number: str, *, personal_data: bool) -> dict[str, Any] | None:
    with engine.store.reading() as tx:
        row = ApiRecords(tx).order_view(number)
    if row is None:
        return None
    record = export.order_record(row, personal_data=personal_data)
    record.pop("record_type")
    return record


def export_page(engine: Engine, cursor: tuple[int, int], limit: int, *, personal_data: bool,
                settle: timedelta = timedelta(0)) -> tuple[list[dict[str, Any]], str]:
    """Records since `cursor`: the current state of every order an exported event touched, then the events,
    then the actions, each in the order they were recorded; and the cursor to ask from next time."""
    event_id, action_id = cursor
    settled_before: datetime = engine.clock.now() - settle
    with engine.store.reading() as tx:
        records = ApiRecords(tx)
        events = records.events_after(event_id, limit, settled_before)
        acts = records.actions_after(action_id, limit, settled_before)
        numbers = sorted({e["order_number"] for e in events})
        orders = records.orders_by_number(numbers)
    out = [export.order_record(o, personal_data=personal_data) for o in orders]
    out += [export.event_record(e, personal_data=personal_data) for e in events]
    out += [export.action_record(a) for a in acts]
    next_cursor = export.encode_cursor(events[-1]["id"] if events else event_id, acts[-1]["id"] if acts else action_id)
    return out, next_cursor
