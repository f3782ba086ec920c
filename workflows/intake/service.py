"""Intake, events and instructions for API clients, built on the engine's own use cases.

Idempotency: the intake record (number + hash of the normalised body) is claimed inside the transaction that
opens the order (`Engine.open_work_order(along=…)`), so a crash leaves either both or neither. The record's
primary key decides between racing requests: whoever comes second with the same body gets the existing order;
with a different body, a conflict.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from engine.domain.errors import DuplicateWorkOrder, InvalidInput, InvalidTransition, UnknownUnit
from engine.domain.model import Instruction
from engine.domain.work_order import WorkOrder
from engine.intake import export
from engine.intake.fields import FieldError
from engine.intake.orders import EventInput, IntakeOrder
from engine.persistence import rate_limit
from engine.persistence.api_store import ApiRecords
from engine.persistence.store import SqlTransaction
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


def spend_request(engine: Engine, client: dict[str, Any]) -> float:
    """Count one request against the client's rate (shared by every web process): 0, or the seconds to wait."""
    with engine.store.transaction() as tx:
        return rate_limit.take(tx, client["name"], client["rate_per_minute"], engine.clock.now())


def _matches(order: WorkOrder, intake: IntakeOrder) -> bool:
    return (order.unit_code, order.category, order.urgency, order.source, order.dispatched_at, order.title) == (
        intake.unit_code, intake.category, intake.urgency, intake.source, intake.dispatched_at, intake.title)


class _ReceivedBefore(Exception):
    """The intake record exists already: the order's transaction is rolled back, nothing written."""


def resolve_unit(engine: Engine, intake: IntakeOrder) -> IntakeOrder | FieldError:
    """An order sent without its unit gets the dispatch catalogue's (派单目录) unit; the body hash stays that of what
    was sent, so the same body sent again is still recognised."""
    if intake.unit_code:
        return intake
    entry = engine.catalogue.suggest(title=intake.title, content=intake.content, category=intake.category)
    if entry is None:
        return FieldError("unit_code", "required: the dispatch catalogue (config/dispatch_catalogue.toml) has no "
                                       "entry for this order's title, content and category")
    return replace(intake, unit_code=entry.unit)


def submit(engine: Engine, intake: IntakeOrder, client: str, *, actor: str | None = None) -> IntakeResult:
    """Open `intake` once, whatever the number of identical requests and however they interleave."""
    resolved = resolve_unit(engine, intake)
    if isinstance(resolved, FieldError):
        return IntakeResult("invalid", intake.number, [resolved])
    intake = resolved

    def claim(tx: SqlTransaction) -> None:
        if not ApiRecords(tx).claim_intake(intake, client, engine.clock.now()):
            raise _ReceivedBefore

    try:
        engine.open_work_order(number=intake.number, unit_code=intake.unit_code, category=intake.category,
                               urgency=intake.urgency, source=intake.source, at=intake.dispatched_at,
                               title=intake.title, actor=actor or f"api:{client}", along=claim,
                               co_units=list(intake.co_units), location=intake.location())
        return IntakeResult("created", intake.number)
    except _ReceivedBefore:
        with engine.store.reading() as tx:
            record = ApiRecords(tx).get_intake(intake.number)
        if record is not None and record["body_hash"] != intake.body_hash:
            return IntakeResult("conflict", intake.number, detail=(
                f"work order {intake.number} was received before with a different body"))
        return IntakeResult("existing", intake.number)  # the claim and its order were committed together
    except DuplicateWorkOrder:  # opened before by another way in (the hotline's own screens, a replay)
        with engine.store.reading() as tx:
            existing = tx.get_order(intake.number)
        if existing is not None and _matches(existing, intake):
            return IntakeResult("existing", intake.number)
        return IntakeResult("conflict", intake.number, detail=f"work order {intake.number} exists with different facts")
    except UnknownUnit as exc:
        return IntakeResult("invalid", intake.number, [FieldError("unit_code", str(exc))])
    except InvalidInput as exc:
        return IntakeResult("invalid", intake.number, [FieldError("(body)", str(exc))])


def record_event(engine: Engine, number: str, event: EventInput, *, default_actor: str) -> WorkOrder:
    """Record one event of the API's layout (`parse_event`) on the engine: the API and `duban import` alike. The
    event's own `actor`, else `default_actor` (api:<client>, import:<file>).

    :raises UnknownWorkOrder, InvalidTransition, InvalidInput: from the engine (`refusal` words them)."""
    actor, d = event.actor or default_actor, event.details
    if event.type == "objected":
        return engine.object_to_dispatch(number, reason=d["reason"], note=event.note, at=event.at, actor=actor)
    if event.type == "objection_decided":
        return engine.decide_objection(number, decision=d["decision"], unit_code=d.get("unit"), note=event.note,
                                       at=event.at, actor=actor)
    if event.type == "co_signed":
        return engine.co_sign(number, unit_code=d["unit"], at=event.at, actor=actor)
    if event.type == "contributed":
        return engine.contribute(number, unit_code=d["unit"], text=d["text"], at=event.at, actor=actor)
    if event.type == "consultation":
        assert event.working_days is not None
        return engine.record_consultation(number, held_on=event.at, present=d["present"], decision=d["decision"],
                                          lead_unit=d["unit"], co_units=d.get("co_units", []),
                                          working_days=event.working_days, actor=actor)
    return engine.record_event(number, event.type, at=event.at, actor=actor, working_days=event.working_days,
                               note=event.note, details=event.details)


def refusal(exc: InvalidInput) -> FieldError:
    """An event the engine refused, as the API (409 / 422) and `duban import` (the row's error) report it: a
    transition that cannot happen now on `type`, anything else on the body."""
    return FieldError("type" if isinstance(exc, InvalidTransition) else "(body)", str(exc))


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


def possible_duplicates(engine: Engine, number: str) -> list[dict[str, Any]]:
    """The order's duplicate candidates (重复诉求, issue 19) as the intake answer lists them, best first."""
    return [{"order": p["other"], "score": p["score"], "reasons": p["reasons"], "status": p["status"]}
            for p in engine.possible_duplicates(number)]


def export_page(engine: Engine, cursor: export.Cursor, limit: int, *, personal_data: bool
                ) -> tuple[list[dict[str, Any]], str]:
    """Records committed since `cursor`: the current state of every order an exported event touched, then the
    events, then the actions, each in commit order; and the cursor to ask from next time."""
    with engine.store.reading() as tx:
        records = ApiRecords(tx)
        events, acts, last = records.changes_after(records.resolve(cursor), limit)
        orders = records.orders_by_number(sorted({e["order_number"] for e in events}))
    return export.page_records(orders, events, acts, personal_data=personal_data), export.encode_cursor(last)


def full_export(engine: Engine, *, personal_data: bool) -> tuple[Iterator[list[dict[str, Any]]], str]:
    """Every order (current state), then every event and action committed so far, page by page; and the cursor
    an incremental export continues from."""
    numbers, upto = everything_now(engine)

    def pages() -> Iterator[list[dict[str, Any]]]:
        for rows in order_pages(engine, numbers):
            yield [export.order_record(r, personal_data=personal_data) for r in rows]
        for events, acts in change_pages(engine, upto):
            yield export.page_records([], events, acts, personal_data=personal_data)

    return pages(), export.encode_cursor(upto)


def everything_now(engine: Engine) -> tuple[list[str], int]:
    """Every order number, and the last change-log position committed now."""
    with engine.store.reading() as tx:
        return ApiRecords(tx).all_order_numbers(), ApiRecords(tx).last_position()


def order_pages(engine: Engine, numbers: list[str]) -> Iterator[list[dict[str, Any]]]:
    """The orders' current rows, 500 a page, each page read on its own."""
    for start in range(0, len(numbers), 500):
        with engine.store.reading() as tx:
            yield ApiRecords(tx).orders_by_number(numbers[start:start + 500])


def change_pages(engine: Engine, upto: int) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(events, actions) up to change-log position `upto`, 1000 log entries a page, in commit order."""
    position = 0
    while position < upto:
        with engine.store.reading() as tx:
            events, acts, read_to = ApiRecords(tx).changes_after(position, 1000, upto)
        if read_to == position:
            return
        position = read_to
        yield events, acts
