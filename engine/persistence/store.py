"""Reading and writing Duban's records. One `SqlTransaction` = one database transaction.

Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite every transaction starts with
`BEGIN IMMEDIATE` (see database.py), which serializes writers.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.domain.errors import AlreadyScheduled, DuplicateWorkOrder, StoreUnavailable
from engine.domain.model import HandlingUnit, Instance, Instruction
from engine.domain.work_order import WorkOrder
from engine.persistence.sms_store import SmsRecords
from engine.persistence.account_tables import cards
from engine.persistence.casework_store import PHONE_TASK, supersede_phone_tasks
from engine.persistence.change_log import ACTION, EVENT, change_log, record_positions
from engine.persistence.database import READ_ONLY
from engine.persistence.tables import (
    actions,
    audit_log,
    handling_units,
    instructions,
    order_events,
    outbox,
    process_versions,
    supervisor_tasks,
    timer_firings,
    unit_contacts,
    work_orders,
    workflow_instances,
)

_ORDER_FIELDS = [f for f in WorkOrder.__dataclass_fields__ if f not in ("unit_code", "number")]

# Statements on the timer-firing path, built once (building and keying a statement per call cost as much
# as running it on SQLite).
_SELECT_ORDER = sa.select(work_orders).where(work_orders.c.number == sa.bindparam("number"))
_SELECT_ORDER_LOCKED = _SELECT_ORDER.with_for_update()
_SELECT_ORDER_UNIT = (sa.select(work_orders, handling_units.c.name.label("unit_name"), unit_contacts.c.phone)
                      .join(handling_units, handling_units.c.code == work_orders.c.unit_code)
                      .outerjoin(unit_contacts, unit_contacts.c.unit_code == work_orders.c.unit_code)
                      .where(work_orders.c.number == sa.bindparam("number")).order_by(unit_contacts.c.position))
_SELECT_ORDER_UNIT_SKIP_LOCKED = _SELECT_ORDER_UNIT.with_for_update(of=work_orders, skip_locked=True)
_UPDATE_ORDER = work_orders.update().where(work_orders.c.number == sa.bindparam("b_number"))
_SELECT_UNIT = (sa.select(handling_units.c.name, handling_units.c.disabled_at, unit_contacts.c.phone)
                .outerjoin(unit_contacts, unit_contacts.c.unit_code == handling_units.c.code)
                .where(handling_units.c.code == sa.bindparam("code")).order_by(unit_contacts.c.position))
_UPDATE_INSTANCE = workflow_instances.update().where(workflow_instances.c.id == sa.bindparam("b_id"))
_INSERT_FIRING = timer_firings.insert()
_INSERT_ACTION = actions.insert().returning(actions.c.id, actions.c.order_number, sort_by_parameter_order=True)
# SQLite: asked for the parameters' order, SQLAlchemy sends one INSERT per row; one multi-row INSERT numbers the rows
# in the order of its VALUES (writers are serialized), so sorting what it returns by id gives the same order.
_INSERT_ACTIONS_SQLITE = actions.insert().returning(actions.c.id, actions.c.order_number)
_INSERT_OUTBOX = outbox.insert()
_INSERT_TASK = supervisor_tasks.insert()
_INSERT_EVENT = order_events.insert()
_INSERT_ORDER = work_orders.insert()
_INSERT_INSTANCE = workflow_instances.insert()
_INSERT_AUDIT = audit_log.insert()
_INSERT_CARD = cards.insert()
_SELECT_INSTRUCTION = sa.select(instructions).where(instructions.c.id == sa.bindparam("id"))
_INSTANCE_COLUMNS = (workflow_instances.c.id, workflow_instances.c.kind, workflow_instances.c.process_key,
                     workflow_instances.c.status, workflow_instances.c.next_due_at,
                     workflow_instances.c.order_number, workflow_instances.c.instruction_id,
                     workflow_instances.c.quarter, workflow_instances.c.unit_code, workflow_instances.c.state)
_SELECT_INSTANCE = sa.select(*_INSTANCE_COLUMNS).where(workflow_instances.c.id == sa.bindparam("id"))
_OPEN_INSTANCES_OF_ORDER = (sa.select(*_INSTANCE_COLUMNS)
                            .where(workflow_instances.c.order_number == sa.bindparam("number"),
                                   workflow_instances.c.status == "waiting")
                            .order_by(workflow_instances.c.id))
_CLAIM_DUE = (sa.select(*_INSTANCE_COLUMNS)
              .where(workflow_instances.c.status == "waiting", workflow_instances.c.next_due_at <= sa.bindparam("now"))
              .order_by(workflow_instances.c.next_due_at).limit(sa.bindparam("limit")))
_LOCKED = {"select_instance": _SELECT_INSTANCE.with_for_update(),
           "open_instances_of_order": _OPEN_INSTANCES_OF_ORDER.with_for_update(),
           "claim_due": _CLAIM_DUE.with_for_update(skip_locked=True)}
_NEXT_DUE = sa.select(sa.func.min(workflow_instances.c.next_due_at)).where(workflow_instances.c.status == "waiting")


def _order_from(row: Any) -> WorkOrder:
    return WorkOrder(number=row["number"], unit_code=row["unit_code"], **{f: row[f] for f in _ORDER_FIELDS})


class SqlStore:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.is_postgres = engine.dialect.name == "postgresql"
        # False for a replay's throw-away in-memory database, which nobody reads a change log from (two statements
        # less per transaction); a store that serves readers keeps it.
        self.keeps_change_log = True

    @contextmanager
    def transaction(self) -> Iterator[SqlTransaction]:
        with self.engine.begin() as connection:
            tx = SqlTransaction(connection, self.is_postgres)
            yield tx
            if self.keeps_change_log:
                tx.log_changes()  # last: the change-log counter stays locked only until the commit just below

    @contextmanager
    def reading(self) -> Iterator[SqlTransaction]:
        """A read-only view (rolled back at the end); on SQLite it takes no lock, so pages never queue."""
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
            yield SqlTransaction(connection, self.is_postgres)


class SqlTransaction(SmsRecords):
    def __init__(self, connection: sa.Connection, is_postgres: bool) -> None:
        self.c = connection
        self.is_postgres = is_postgres
        self._changes: list[tuple[str, int, str | None]] = []  # events and actions written, for the change log

    def log_changes(self) -> None:
        """Give the events and actions this transaction wrote their change-log positions (see change_log.py)."""
        record_positions(self.c, self._changes)
        self._changes = []

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        written = len(self._changes)
        try:
            with self.c.begin_nested():
                yield
        except sa.exc.OperationalError as exc:  # lock timeout, deadlock, lost connection: not the data's fault
            del self._changes[written:]
            raise StoreUnavailable(str(exc.orig)) from exc
        except BaseException:
            del self._changes[written:]  # rolled back with the savepoint
            raise

    @contextmanager
    def step(self, *, isolated: bool) -> Iterator[None]:
        """One item of a batch. `isolated`: in a savepoint, so a failure rolls back this item only; otherwise bare
        (one round trip less each way), and a failure must roll back the whole transaction."""
        if isolated:
            with self.savepoint():
                yield
            return
        try:
            yield
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(str(exc.orig)) from exc

    # --- handling units -------------------------------------------------------------------
    def get_order_and_unit(self, number: str) -> tuple[WorkOrder, HandlingUnit] | None:
        """The order with its unit and contacts in one round trip, locked on PostgreSQL; None when it does not
        exist or (PostgreSQL) another transaction holds it: a timer step never waits for a request."""
        query = _SELECT_ORDER_UNIT_SKIP_LOCKED if self.is_postgres else _SELECT_ORDER_UNIT
        rows = self.c.execute(query, {"number": number}).mappings().all()
        if not rows:
            return None
        phones = tuple(r["phone"] for r in rows if r["phone"] is not None)
        return _order_from(rows[0]), HandlingUnit(rows[0]["unit_code"], rows[0]["unit_name"], phones)

    def get_unit(self, code: str) -> HandlingUnit | None:
        rows = self.c.execute(_SELECT_UNIT, {"code": code}).all()
        if not rows:
            return None
        return HandlingUnit(code, rows[0].name, tuple(r.phone for r in rows if r.phone is not None),
                            active=rows[0].disabled_at is None)

    def unit_names(self) -> list[tuple[str, str]]:
        """(code, name) of every unit in one query, for choosing a unit in a form or a filter."""
        return [(r.code, r.name) for r in self.c.execute(
            sa.select(handling_units.c.code, handling_units.c.name).order_by(handling_units.c.code))]

    def list_units(self) -> list[HandlingUnit]:
        return [u for code in self.c.execute(sa.select(handling_units.c.code).order_by(handling_units.c.code)).scalars()
                if (u := self.get_unit(code)) is not None]

    def put_unit(self, unit: HandlingUnit, at: datetime, *, names: list[str] | None = None,
                 details: dict[str, Any] | None = None) -> None:
        """`details`: short_name, tier, disabled_at (the unit register's), written only when given."""
        flags: dict[str, tuple[Any, Any]] = {}
        if self.c.execute(sa.select(handling_units.c.code).where(handling_units.c.code == unit.code)).first():
            self.c.execute(handling_units.update().where(handling_units.c.code == unit.code)
                           .values(name=unit.name, **(details or {})))
            # a number that stays keeps its failing mark; a corrected number starts clean
            flags = {r.phone: (r.failing_since, r.failing_reason) for r in self.c.execute(
                sa.select(unit_contacts.c.phone, unit_contacts.c.failing_since, unit_contacts.c.failing_reason)
                .where(unit_contacts.c.unit_code == unit.code))}
            self.c.execute(unit_contacts.delete().where(unit_contacts.c.unit_code == unit.code))
        else:
            self.c.execute(handling_units.insert().values(code=unit.code, name=unit.name, created_at=at, **(details or {})))
        if unit.phones:
            self.c.execute(unit_contacts.insert(), [
                {"unit_code": unit.code, "phone": p, "position": i, "failing_since": flags.get(p, (None, None))[0],
                 "failing_reason": flags.get(p, (None, None))[1],
                 "name": (names[i] or None) if names and i < len(names) else None} for i, p in enumerate(unit.phones)])

    # --- work orders ----------------------------------------------------------------------
    def get_order(self, number: str, *, lock: bool = False) -> WorkOrder | None:
        query = _SELECT_ORDER_LOCKED if lock and self.is_postgres else _SELECT_ORDER
        row = self.c.execute(query, {"number": number}).mappings().first()
        return _order_from(row) if row is not None else None

    def insert_order(self, order: WorkOrder, location: dict[str, Any] | None = None) -> None:
        """`location`: the request's columns (engine/domain/location.py), written once here and never by updates."""
        try:  # the primary key decides, also when two requests race to create the same order
            self.c.execute(_INSERT_ORDER, {**asdict(order), **(location or {})})
        except sa.exc.IntegrityError:
            raise DuplicateWorkOrder(order.number) from None  # the transaction is rolled back by the caller

    def update_order(self, order: WorkOrder) -> None:
        values = {f: getattr(order, f) for f in _ORDER_FIELDS}
        self.c.execute(_UPDATE_ORDER, {**values, "b_number": order.number})

    def set_order_unit(self, number: str, unit_code: str) -> None:
        self.c.execute(_UPDATE_ORDER, {"unit_code": unit_code, "b_number": number})

    def update_fired_steps(self, order: WorkOrder) -> None:
        self.c.execute(_UPDATE_ORDER, {"fired_steps": order.fired_steps, "b_number": order.number})

    def provisional_open_orders(self) -> list[str]:
        return list(self.c.execute(sa.select(work_orders.c.number).where(
            work_orders.c.deadline_provisional.is_(True), work_orders.c.status != "closed")
            .order_by(work_orders.c.number)).scalars())

    def add_event(self, number: str, kind: str, at: datetime, actor: str, details: dict[str, Any],
                  recorded_at: datetime) -> int:
        result = self.c.execute(_INSERT_EVENT, {"order_number": number, "type": kind, "at": at, "actor": actor,
                                                "details": details, "recorded_at": recorded_at})
        event_id = int(result.inserted_primary_key[0])
        self._changes.append((EVENT, event_id, number))
        return event_id

    def last_event_of(self, number: str, types: tuple[str, ...]) -> tuple[int, str] | None:
        """(id, type) of the order's latest event among `types`."""
        row = self.c.execute(sa.select(order_events.c.id, order_events.c.type).where(
            order_events.c.order_number == number, order_events.c.type.in_(types))
            .order_by(order_events.c.id.desc()).limit(1)).first()
        return (row.id, row.type) if row else None

    def add_instruction(self, instruction: Instruction) -> int:
        values = asdict(instruction)
        values.pop("id")
        return int(self.c.execute(instructions.insert().values(**values)).inserted_primary_key[0])

    def get_instruction(self, instruction_id: int) -> Instruction:
        row = self.c.execute(_SELECT_INSTRUCTION, {"id": instruction_id}).mappings().one()
        return Instruction(**dict(row))

    # --- process definitions --------------------------------------------------------------
    def ensure_process_version(self, key: str, process_id: str, sha256: str, xml: bytes, at: datetime) -> None:
        if not self.c.execute(sa.select(process_versions.c.key).where(process_versions.c.key == key)).first():
            self.c.execute(process_versions.insert().values(key=key, process_id=process_id, sha256=sha256,
                                                            bpmn_xml=xml, loaded_at=at))

    def get_process_xml(self, key: str) -> tuple[str, bytes] | None:
        row = self.c.execute(sa.select(process_versions.c.process_id, process_versions.c.bpmn_xml)
                             .where(process_versions.c.key == key)).first()
        return (row.process_id, bytes(row.bpmn_xml)) if row else None

    # --- workflow instances and their timers ------------------------------------------------
    def insert_instance(self, instance: Instance, state: str, at: datetime) -> int:
        values = {"process_key": instance.process_key, "kind": instance.kind, "order_number": instance.order_number,
                  "instruction_id": instance.instruction_id, "quarter": instance.quarter, "unit_code": instance.unit_code,
                  "status": instance.status, "next_due_at": instance.next_due_at, "state": state, "attempts": 0,
                  "created_at": at, "updated_at": at}
        if instance.quarter is None:
            return int(self.c.execute(_INSERT_INSTANCE, values).inserted_primary_key[0])
        try:  # a quarter has one report instance; two workers starting together may both try
            with self.c.begin_nested():
                return int(self.c.execute(_INSERT_INSTANCE, values).inserted_primary_key[0])
        except sa.exc.IntegrityError:
            raise AlreadyScheduled(instance.quarter) from None

    def _instance(self, row: Any) -> Instance:
        return Instance(id=row.id, kind=row.kind, process_key=row.process_key, status=row.status,
                        next_due_at=row.next_due_at, order_number=row.order_number,
                        instruction_id=row.instruction_id, quarter=row.quarter, unit_code=row.unit_code)

    def lock_instance(self, instance_id: int) -> tuple[Instance, str] | None:
        query = _LOCKED["select_instance"] if self.is_postgres else _SELECT_INSTANCE
        row = self.c.execute(query, {"id": instance_id}).first()
        return (self._instance(row), row.state) if row else None

    def open_instances_of_order(self, number: str) -> list[tuple[Instance, str]]:
        query = _LOCKED["open_instances_of_order"] if self.is_postgres else _OPEN_INSTANCES_OF_ORDER
        return [(self._instance(row), row.state) for row in self.c.execute(query, {"number": number})]

    def update_instance(self, instance: Instance, state: str, at: datetime, error: str | None = None) -> None:
        values: dict[str, Any] = {"status": instance.status, "next_due_at": instance.next_due_at, "state": state,
                                  "updated_at": at}
        if error is not None:
            values["last_error"] = error
            values["attempts"] = workflow_instances.c.attempts + 1
            self.c.execute(workflow_instances.update().where(workflow_instances.c.id == instance.id).values(**values))
        else:
            self.c.execute(_UPDATE_INSTANCE, {**values, "b_id": instance.id})

    def instance_attempts(self, instance_id: int) -> int:
        return int(self.c.execute(sa.select(workflow_instances.c.attempts)
                                  .where(workflow_instances.c.id == instance_id)).scalar() or 0)

    def claim_due(self, now: datetime, limit: int) -> list[tuple[Instance, str]]:
        """Lock up to `limit` due instances no other transaction holds, oldest first, with their state."""
        query = _LOCKED["claim_due"] if self.is_postgres else _CLAIM_DUE
        return [(self._instance(row), row.state) for row in self.c.execute(query, {"now": now, "limit": limit})]

    def next_due(self) -> datetime | None:
        return self.c.execute(_NEXT_DUE).scalar()

    def backlog(self, now: datetime) -> dict[str, Any]:
        due = (workflow_instances.c.status == "waiting") & (workflow_instances.c.next_due_at <= now)
        row = self.c.execute(sa.select(sa.func.count(), sa.func.min(workflow_instances.c.next_due_at)).where(due)).one()
        waiting = self.c.execute(sa.select(sa.func.count()).where(workflow_instances.c.status == "waiting")).scalar()
        failed = self.c.execute(sa.select(sa.func.count()).where(workflow_instances.c.status == "failed")).scalar()
        return {"due_now": row[0], "oldest_due_at": row[1], "waiting_instances": waiting, "failed_instances": failed}

    def record_firings(self, instance_id: int, dues: list[datetime], fired_at: datetime, worker: str) -> None:
        """One row per (instance, due time): the unique key makes a second firing of the same timer fail."""
        if dues:
            self.c.execute(_INSERT_FIRING, [{"instance_id": instance_id, "due_at": due, "fired_at": fired_at,
                                             "worker": worker} for due in dues])

    def quarter_exists(self, label: str) -> bool:
        return self.c.execute(sa.select(workflow_instances.c.id).where(workflow_instances.c.quarter == label)).first() is not None

    # --- what the rules did -----------------------------------------------------------------
    def add_actions(self, rows: list[dict[str, Any]]) -> None:
        """Insert action rows (one statement); a repeated key raises: nothing the rules do is recorded twice."""
        if not rows:
            return
        if self.is_postgres:
            inserted = list(self.c.execute(_INSERT_ACTION, rows))
        else:
            inserted = sorted(self.c.execute(_INSERT_ACTIONS_SQLITE, rows), key=lambda r: int(r.id))
        self._changes.extend((ACTION, int(r.id), r.order_number) for r in inserted)

    def add_outbox(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.c.execute(_INSERT_OUTBOX, [{"status": "pending", "attempts": 0, **row} for row in rows])

    def add_supervisor_tasks(self, rows: list[dict[str, Any]]) -> None:
        """Open the tasks; a new phone task replaces the open phone task of its order (one call per order)."""
        for row in rows:  # in order, so the last of several raised in one step is the one left open
            if row["kind"] == PHONE_TASK and row.get("order_number"):
                supersede_phone_tasks(self.c, row["order_number"], reason="replaced", by=row["action_key"],
                                      at=row["created_at"])
            self.c.execute(_INSERT_TASK, {"status": "open", "step": None, **row})

    def add_cards(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.c.execute(_INSERT_CARD, rows)

    def audit(self, at: datetime, actor: str, action: str, order_number: str | None, details: dict[str, Any]) -> None:
        self.c.execute(_INSERT_AUDIT, {"at": at, "actor": actor, "action": action, "order_number": order_number,
                                       "details": details})

    def take_actions_before(self, before: datetime) -> list[dict[str, Any]]:
        rows = [dict(r) for r in self.c.execute(
            sa.select(actions.c.id, actions.c.kind, actions.c.at, actions.c.order_number, actions.c.unit_code,
                      actions.c.details).where(actions.c.at < before).order_by(actions.c.at, actions.c.id)).mappings()]
        if rows:
            last = rows[-1]["id"]
            keys = sa.select(actions.c.key).where(actions.c.at < before, actions.c.id <= last)
            self.c.execute(outbox.delete().where(outbox.c.key.in_(keys)))
            self.c.execute(supervisor_tasks.delete().where(supervisor_tasks.c.action_key.in_(keys)))
            self.c.execute(cards.delete().where(cards.c.action_key.in_(keys)))
            self.c.execute(audit_log.delete().where(audit_log.c.at < before))
            self.c.execute(change_log.delete().where(change_log.c.kind == ACTION, change_log.c.row_id.in_(
                sa.select(actions.c.id).where(actions.c.at < before, actions.c.id <= last))))
            self.c.execute(actions.delete().where(actions.c.at < before, actions.c.id <= last))
        return rows

    # --- outbox delivery ---------------------------------------------------------------------
    def claim_outbox(self, channel: str, now: datetime, limit: int) -> list[dict[str, Any]]:
        query = (sa.select(outbox).where(outbox.c.channel == channel, outbox.c.status == "pending",
                                         outbox.c.send_at <= now).order_by(outbox.c.send_at, outbox.c.id).limit(limit))
        if self.is_postgres:
            query = query.with_for_update(skip_locked=True)
        return [dict(r) for r in self.c.execute(query).mappings()]

    def mark_outbox(self, outbox_id: int, status: str, at: datetime, provider_id: str | None = None,
                    error: str | None = None) -> None:
        self.c.execute(outbox.update().where(outbox.c.id == outbox_id).values(
            status=status, attempts=outbox.c.attempts + 1, provider_id=provider_id, last_error=error,
            sent_at=at if status == "sent" else None))
