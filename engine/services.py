"""The engine's use cases. Each public method is one database transaction.

BPMN decides *when* (the processes in `bpmn/`), the operations bound by `workflows/` decide *what*,
and this module keeps them honest: every workflow step, the actions it produced, their outbox rows,
the audit entries and the instance's next timer are written together or not at all.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from engine.clock import Clock
from engine.domain import deadlines
from engine.domain.calendar import WorkingCalendar
from engine.domain.catalogue import DispatchCatalogue
from engine.domain.errors import InvalidInput, InvalidTransition, UnknownUnit, UnknownWorkOrder
from engine.domain.location import OrderLocation
from engine.domain.model import HandlingUnit, Instance, Instruction
from engine.domain.phones import normalise_mobile
from engine.domain.rules import ROUTINE, RuleTable
from engine.domain.work_order import EXTENSION_STATE_EVENTS, WorkOrder, apply_event, check_event, validate_new_order
from engine.persistence.casework_store import end_calls_after
from engine.persistence.store import SqlStore, SqlTransaction
from engine.ports import Operation
from engine.runtime import runner, serializer
from engine.runtime.definitions import ProcessDefinition
from engine.domain.objections import handed_at
from engine.objection_cases import ObjectionCases, moved_deadline
from engine.persistence.objection_store import objection_open
from engine.escalation import LETTER_REPLY, Escalation
from engine.manual_cards import ManualCards
from engine.merging import CHILD_MESSAGES, Merging
from engine.timer_firing import QUARTERLY, TimerFiring
from engine.workflow_steps import _Step
from engine.workflow_steps import local_iso as _iso

log = logging.getLogger("duban.engine")

WORK_ORDER, INSTRUCTION = "work_order", "leadership_instruction"
_MESSAGE_OF_EVENT = {"signed": "signed", "replied": "replied", "closed": "closed"}
DEADLINE_CHANGED = "deadline_changed"  # the BPMN message that re-arms the ladder from a new deadline


def _require_aware(at: object) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InvalidInput(f"a time with its UTC offset is required, got {at!r}")


class Engine(ObjectionCases, ManualCards, Escalation, TimerFiring, Merging):
    def __init__(self, *, store: SqlStore, clock: Clock, rules: RuleTable, calendar: WorkingCalendar,
                 definitions: Mapping[str, ProcessDefinition], operations: Mapping[str, Operation],
                 worker_id: str = "engine", catalogue: DispatchCatalogue | None = None) -> None:
        missing = {WORK_ORDER, INSTRUCTION, QUARTERLY} - set(definitions)
        if missing:
            raise InvalidInput(f"BPMN processes missing: {', '.join(sorted(missing))}")
        self.store, self.clock, self.rules, self.calendar = store, clock, rules, calendar
        self.definitions = dict(definitions)
        self.operations = operations
        self.worker_id = worker_id
        self.catalogue = catalogue or DispatchCatalogue()  # 派单目录: suggestions at intake and re-dispatch
        # Replay (one process, a throw-away database) holds the live workflow objects in memory instead of
        # serializing them after every step, and forgets completed ones. Never for a worker: there the
        # serialized state in the database is the truth that other workers and a restart rely on.
        self._held: dict[int, Any] | None = None
        now = clock.now()
        with store.transaction() as tx:
            for definition in self.definitions.values():
                serializer.register(definition)
                tx.ensure_process_version(definition.key, definition.process_id, definition.sha256,
                                          definition.xml, now)

    # ------------------------------------------------------------------ handling units
    def register_unit(self, code: str, name: str, phones: list[str] | tuple[str, ...],
                      actor: str = "system", contacts: list[str] | tuple[str, ...] = (),
                      details: dict[str, Any] | None = None) -> HandlingUnit:
        """`contacts`: the name of the person at each number, in the same order (supervisors call them); `details`:
        the unit register's short_name, tier, disabled_at (workflows/units.py checks them)."""
        if isinstance(phones, str) or not isinstance(phones, (list, tuple)):
            raise InvalidInput(f"unit {code}: phones must be a list of mobile numbers")
        if len(contacts) > len(phones) or any(not isinstance(n, str) or len(n) > 50 for n in contacts):
            raise InvalidInput(f"unit {code}: contacts must be names (at most 50 characters), one per phone")
        unit = HandlingUnit(code, name, tuple(normalise_mobile(code, p) for p in phones))  # InvalidInput / InvalidPhone
        with self.store.transaction() as tx:
            tx.put_unit(unit, self.clock.now(), names=[n.strip() for n in contacts], details=details)
            tx.audit(self.clock.now(), actor, "unit.registered", None, {"code": code, "name": name, "phones": len(phones)})
        return unit

    # ------------------------------------------------------------------ work orders
    def open_work_order(self, *, number: str, unit_code: str, category: str, urgency: str, source: str,
                        at: datetime, title: str = "", actor: str = "system",
                        along: Callable[[SqlTransaction], None] | None = None,
                        co_units: list[str] | None = None, location: OrderLocation | None = None,
                        find_duplicates: bool = True) -> WorkOrder:
        """Dispatch a new order to its unit (the lead, 主办) and start its escalation process; each co-handling
        unit (协办) in `co_units` gets its own sign-for process; `location` is the request's content, address,
        district, coordinates and caller (checked by engine/domain/location.order_location); with it, duplicate
        candidates are looked for unless `find_duplicates` is False (replay). `along` runs first inside the same transaction (the
        API's idempotency record): whatever it writes is committed with the order or not at all."""
        validate_new_order(number, category, urgency, source)
        _require_aware(at)
        with self.store.transaction() as tx:
            unit = tx.get_unit(unit_code)
            if unit is None:
                raise UnknownUnit(unit_code)
            if not unit.active:
                raise InvalidInput(f"unit {unit_code} is disabled: it takes no new work orders")
            if along is not None:
                along(tx)
            order = WorkOrder(number=number, unit_code=unit_code, category=category, urgency=urgency, source=source,
                              dispatched_at=at, last_event_at=at, title=title,
                              deadline_basis=[{"rule": "handling", "start_at": at.isoformat()}])
            self._set_deadline(order, self._deadline_from_basis(order))
            tx.insert_order(order, location.columns() if location else None)
            self._start_co_units(tx, order, co_units or [], at)
            tx.add_event(number, "dispatched", at, actor, {"unit": unit_code, **(
                {"co_units": [c["unit"] for c in order.co_units]} if order.co_units else {})}, self.clock.now())
            if location is not None and find_duplicates:  # 重复诉求: candidates among open and recent orders
                self._look_for_duplicates(tx, order, location)
            self._start_work_order_process(tx, order, unit, at, reopen=False)
            tx.update_order(order)
        log.info("work order opened", extra={"order": number, "unit": unit_code, "deadline": _iso(order.deadline_at)})
        return order

    def record_event(self, number: str, event: str, *, at: datetime, actor: str = "system",
                     working_days: int | None = None, note: str = "",
                     details: Mapping[str, Any] | None = None, unit_code: str | None = None) -> WorkOrder:
        """Record a lifecycle event (signed, progress_reported, replied, closed, reopened, extension_approved,
        and returned / extension_requested / extension_rejected / callback with their `details`: reason,
        satisfaction, solved).

        `unit_code`: the event comes from that unit, which must still hold the order (checked under the order's
        lock, so a re-dispatch in between wins). `details["request"]`: an answer to that extension request, which
        must still be the order's open request (a second click, or an answer after a reply, is refused)."""
        _require_aware(at)
        with self.store.transaction() as tx:
            order = self._order(tx, number)
            if unit_code is not None and order.unit_code != unit_code:
                raise UnknownWorkOrder(number)
            check_event(order, event, at, working_days=working_days, details=details)
            if details and "request" in details:
                self._check_open_request(tx, number, details["request"])
            unit = tx.get_unit(order.unit_code)
            apply_event(order, event, at)
            stored: dict[str, Any] = {**(details or {}), **({"note": note} if note else {})}
            if event == "extension_requested":
                stored["working_days"] = working_days
            if event == "extension_approved":
                assert working_days is not None
                stored["working_days"] = working_days
                self._extend(tx, order, unit, at, working_days)
            elif event == "reopened":
                self._reopen(tx, order, unit, at)
                self._check_hard_case(tx, order, unit, at)
            elif event == "returned":  # nothing escalates against a unit that handed the order back
                self._cancel_ladder(tx, order)
            elif event in _MESSAGE_OF_EVENT:
                self._deliver(tx, order, unit, _MESSAGE_OF_EVENT[event], {}, at)
            if event in CHILD_MESSAGES:  # 并单: recorded on the merged orders too (engine/merging.py)
                self._pass_to_children(tx, order, event, at, actor, stored)
            event_id = tx.add_event(number, event, at, actor, stored, self.clock.now())
            end_calls_after(tx.c, number, event, event_id, self.clock.now())
            tx.audit(self.clock.now(), actor, f"order.{event}", number, {**stored, "at": at.isoformat()})
            tx.update_order(order)
        log.info("work order event", extra={"order": number, "event": event})
        return order

    @staticmethod
    def _check_open_request(tx: SqlTransaction, number: str, request: object) -> None:
        found = tx.last_event_of(number, EXTENSION_STATE_EVENTS)
        if found is None or found != (request, "extension_requested"):
            raise InvalidTransition(f"该延期申请已处理或已失效 (extension request {request!r} of {number} is not open)")

    def add_instruction(self, number: str, *, leader: str, text: str, at: datetime,
                        actor: str = "system") -> Instruction:
        if not leader or not text:
            raise InvalidInput("an instruction needs the leader and the text")
        _require_aware(at)
        with self.store.transaction() as tx:
            order = self._order(tx, number)
            check_event(order, "instruction", at)
            order.last_event_at = at
            letter_due_at, report_due_at = deadlines.instruction_times(self.rules, at)
            instruction = Instruction(None, number, leader, text, at, letter_due_at, report_due_at)
            instruction = replace(instruction, id=tx.add_instruction(instruction))
            tx.add_event(number, "instruction", at, actor, {"leader": leader, "text": text}, self.clock.now())
            tx.audit(self.clock.now(), actor, "order.instruction", number, {"leader": leader, "at": at.isoformat()})
            unit = tx.get_unit(order.unit_code)
            data = {"letter_due_at": _iso(letter_due_at), "report_due_at": _iso(report_due_at)}
            step = _Step(tx, Instance(0, "instruction", "", "waiting", None, order_number=number,
                                      instruction_id=instruction.id), order, unit, instruction)
            self._start(step, INSTRUCTION, data, at)
            tx.update_order(order)
        log.info("leadership instruction", extra={"order": number, "leader": leader})
        return instruction

    def redispatch(self, number: str, *, unit_code: str, at: datetime, actor: str, note: str = "") -> WorkOrder:
        """Send a returned order (退单) to a unit again — the same one or another: its ladder starts afresh from
        `at` with a new handling deadline; the old ladder is cancelled."""
        _require_aware(at)
        with self.store.transaction() as tx:
            order = self._order(tx, number)
            if objection_open(tx.c, number):
                raise InvalidTransition(f"该退单待审核，请在审核时改派 ({number} has an open dispatch objection: "
                                        "decide it to re-dispatch)")
            unit = tx.get_unit(unit_code)
            if unit is None:
                raise UnknownUnit(unit_code)
            self._hand_over(tx, order, unit, at, actor, note)
            tx.update_order(order)
        log.info("work order re-dispatched", extra={"order": number, "unit": unit_code})
        return order

    def _hand_over(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit, at: datetime, actor: str,
                   note: str, *, returned: bool = True) -> None:
        """Re-dispatch a returned order to `unit` (or, `returned=False`, an open one a coordination meeting gave to
        another lead unit): the old ladder is cancelled, a new one starts from `at`."""
        check_event(order, "redispatched" if returned else "instruction", at)
        previous = order.unit_code
        self._cancel_ladder(tx, order)
        order.unit_code = unit.code
        apply_event(order, "redispatched", at)
        self._set_deadline(order, self._deadline_from_basis(order))
        tx.set_order_unit(order.number, unit.code)
        self._start_work_order_process(tx, order, unit, at, reopen=False)
        details = {"from": previous, "unit": unit.code, **({"note": note} if note else {})}
        tx.add_event(order.number, "redispatched", at, actor, details, self.clock.now())
        tx.audit(self.clock.now(), actor, "order.redispatched", order.number, {**details, "at": at.isoformat()})
        self._check_hard_case(tx, order, unit, at)






    # ------------------------------------------------------------------ internals
    def _order(self, tx: SqlTransaction, number: str) -> WorkOrder:
        order = tx.get_order(number, lock=True)
        if order is None:
            raise UnknownWorkOrder(number)
        return order

    def _set_deadline(self, order: WorkOrder, deadline: deadlines.Deadline) -> None:
        order.deadline_at = deadline.at
        order.deadline_provisional = deadline.provisional
        order.deadline_explanation = deadline.explanation

    def _ladder_data(self, order: WorkOrder, armed_at: datetime) -> dict[str, Any]:
        assert order.deadline_at is not None
        times = deadlines.ladder_times(self.rules, self.calendar, urgency=order.urgency,
                                       deadline_at=order.deadline_at, armed_at=armed_at)
        data = {f"{step}_at": None if step in order.fired_steps else _iso(when) for step, when in times.items()}
        watch_sign = (order.urgency == ROUTINE and order.signed_at is None and order.cycle == 1
                      and "sign_overdue" not in order.fired_steps)
        data["sign_overdue_at"] = (_iso(deadlines.sign_overdue_at(self.rules, self.calendar, handed_at(order)))
                                   if watch_sign else None)
        return data

    def _start_work_order_process(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit | None,
                                  at: datetime, *, reopen: bool) -> None:
        data = {"is_reopen": reopen, "urgency": order.urgency, "category": order.category,
                **self._ladder_data(order, at)}
        step = _Step(tx, Instance(0, "work_order", "", "waiting", None, order_number=order.number), order, unit)
        self._start(step, WORK_ORDER, data, at)

    def _extend(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit | None, at: datetime,
                working_days: int) -> None:
        order.deadline_basis = [*order.deadline_basis, {"rule": "extension", "working_days": working_days}]
        self._set_deadline(order, self._deadline_from_basis(order))
        self._rearm_ladder(tx, order, unit, at)

    def _rearm_ladder(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit | None, at: datetime) -> None:
        """The deadline moved: re-arm the steps not yet taken from it. The 临期提醒 is about a deadline, so the
        unit is reminded again before the new one (if that moment is still ahead); the overdue notice, cards and
        letter already taken in this round are not repeated."""
        order.fired_steps = [step for step in order.fired_steps if step != "due_soon"]
        self._rearm(tx, order, unit, at)

    def _rearm(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit | None, at: datetime) -> None:
        """Re-arm the ladder from the order's deadline and the steps already taken (`deadline_changed`)."""
        self._deliver(tx, order, unit, DEADLINE_CHANGED, self._ladder_data(order, at), at)

    def _deadline_from_basis(self, order: WorkOrder) -> deadlines.Deadline:
        """Recompute the deadline from how it was reached (handling rule, then each extension)."""
        deadline: deadlines.Deadline | None = None
        provisional = False
        for step in order.deadline_basis:
            if step["rule"] == "handling":
                deadline = deadlines.handling_deadline(
                    self.rules, self.calendar, category=order.category, urgency=order.urgency, source=order.source,
                    start_at=datetime.fromisoformat(str(step["start_at"])))
            elif step["rule"] == "extension":
                assert deadline is not None
                deadline = deadlines.extended_deadline(self.calendar, deadline.at, int(str(step["working_days"])))
            else:  # paused for an objection, or set by a hard case's coordination meeting
                assert deadline is not None
                deadline = moved_deadline(deadline, step)
            provisional = provisional or deadline.provisional
        if deadline is None:
            raise InvalidInput(f"work order {order.number} has no deadline basis")
        return replace(deadline, provisional=provisional)

    def recompute_provisional_deadlines(self) -> list[str]:
        """After a year was added to the calendar: recompute every open provisional deadline and re-arm the
        steps not yet taken. Returns the orders whose deadline moved or became final."""
        changed = []
        with self.store.reading() as tx:
            numbers = tx.provisional_open_orders()
        for number in numbers:
            with self.store.transaction() as tx:
                order = self._order(tx, number)
                before = (order.deadline_at, order.deadline_provisional)
                self._set_deadline(order, self._deadline_from_basis(order))
                if (order.deadline_at, order.deadline_provisional) == before:
                    continue
                now = self.clock.now()
                self._rearm_ladder(tx, order, tx.get_unit(order.unit_code), now)
                tx.add_event(number, "deadline_recomputed", now, "calendar",
                             {"from": _iso(before[0]), "to": _iso(order.deadline_at),
                              "provisional": order.deadline_provisional}, now)
                tx.update_order(order)
                changed.append(number)
                log.info("deadline recomputed", extra={"order": number, "deadline": _iso(order.deadline_at),
                                                       "provisional": order.deadline_provisional})
        return changed

    def _cancel_ladder(self, tx: SqlTransaction, order: WorkOrder) -> None:
        self._cancel_instances(tx, order.number, ("work_order", LETTER_REPLY))

    def _reopen(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit | None, at: datetime) -> None:
        self._cancel_ladder(tx, order)
        self._set_deadline(order, self._deadline_from_basis(order))  # apply_event reset the basis to `at`
        self._start_work_order_process(tx, order, unit, at, reopen=True)

    def _deliver(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit | None, message: str,
                 data: Mapping[str, Any], at: datetime) -> None:
        for instance, state in tx.open_instances_of_order(order.number):
            instruction = tx.get_instruction(instance.instruction_id) if instance.instruction_id else None
            served = tx.get_unit(instance.unit_code) if instance.unit_code else unit  # a co-unit's own process
            step = _Step(tx, instance, order, served, instruction)
            wf = self._load(instance, state)
            if runner.deliver(wf, message, data, at=at, operation=self._operation_for(step),
                              facts=self._facts(step)):
                self._save(step, wf, at)













