"""How the engine runs one workflow step: load an instance, let the BPMN call its operations, save it, and write
what the operations produced (actions, outbox rows, supervisors' tasks, cards) in the same transaction."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.clock import Clock, format_local
from engine.domain.calendar import WorkingCalendar
from engine.domain.errors import InvalidInput
from engine.domain.model import DOCUMENT_KINDS, Action, HandlingUnit, Instance, Instruction
from engine.domain.rules import RuleTable
from engine.domain.work_order import Status, WorkOrder
from engine.persistence.store import SqlStore, SqlTransaction
from engine.ports import ActionContext, Operation
from engine.runtime import runner, serializer
from engine.runtime.definitions import ProcessDefinition, parse_definition

log = logging.getLogger("duban.engine")

CARD_COLORS = {"yellow_card": "yellow", "red_card": "red"}
SUPERVISOR_TASK_KINDS = ("phone_urge", "objection_overdue")  # actions that put a task on a supervisor's list


def local_iso(at: datetime | None) -> str | None:
    return format_local(at) if at is not None else None


class _Busy(Exception):
    """Another transaction holds the order; leave the timer for the next tick."""


@dataclass
class _Step:
    """The context one engine step runs in: what the operations may see, and what they produced."""

    tx: SqlTransaction
    instance: Instance
    order: WorkOrder | None = None
    unit: HandlingUnit | None = None
    instruction: Instruction | None = None
    actions: list[tuple[str, Action]] = field(default_factory=list)
    # A process being started is stored once it has run to its first wait (one INSERT with its state, not an INSERT
    # of "{}" and an UPDATE): until then its actions' keys lack the instance id, added when it has one.
    unsaved: bool = False


class WorkflowSteps:
    """The step machinery the engine's use cases and timer firing share (mixed into `Engine`)."""

    store: SqlStore
    clock: Clock
    rules: RuleTable
    calendar: WorkingCalendar
    definitions: dict[str, ProcessDefinition]
    operations: Mapping[str, Operation]
    _held: dict[int, Any] | None

    def hold_workflows_in_memory(self) -> None:
        """Replay mode: keep workflow objects in this process (see __init__)."""
        self._held = {}

    def _load(self, instance: Instance, state: str) -> Any:
        """Deserialize an instance, first loading the process version it started on if it is an old one."""
        if self._held is not None and instance.id in self._held:
            return self._held[instance.id]
        if not serializer.is_registered(instance.process_key):
            if load_definition_from_store(self.store, instance.process_key, frozenset(self.operations)) is None:
                raise InvalidInput(f"process version {instance.process_key} is not in the database")
        return runner.loads(state)

    def _facts(self, step: _Step) -> dict[str, Any]:
        """The live case facts BPMN conditions may read (they override task data of the same name)."""
        order = step.order
        if order is None:
            return {}
        since = step.instruction.instructed_at if step.instruction else order.dispatched_at
        return {"order_closed": order.status == Status.CLOSED,
                "progress_reported": order.progress_reported_at is not None and order.progress_reported_at >= since,
                "progress_waives_letter": self.rules.progress_report_waives_letter}

    def _start(self, step: _Step, process_id: str, data: Mapping[str, Any], at: datetime) -> None:
        definition = self.definitions[process_id]
        step.instance.process_key = definition.key
        if step.instance.quarter is not None:  # a quarter's one report is claimed first (two workers may try)
            step.instance.id = step.tx.insert_instance(step.instance, "{}", self.clock.now())
        else:
            step.unsaved = True
        wf = runner.start(definition, data, at=at, operation=self._operation_for(step), facts=self._facts(step))
        self._save(step, wf, at)

    def _save(self, step: _Step, wf: Any, at: datetime) -> None:
        instance = step.instance
        instance.next_due_at = runner.next_due(wf)
        instance.status = "completed" if runner.is_completed(wf) else "waiting"
        if step.unsaved:
            held = self._held is not None
            instance.id = step.tx.insert_instance(instance, "{}" if held else runner.dumps(wf), self.clock.now())
            if held:
                self._state_to_store(instance, wf)  # holds the live workflow under its new id
            step.unsaved = False
            step.actions = [(f"{instance.id}:{key}", action) for key, action in step.actions]
        else:
            step.tx.update_instance(instance, self._state_to_store(instance, wf), self.clock.now())
        written = list(step.actions)
        self._write_actions(step)
        self._after_actions(step, written, at)

    def _after_actions(self, step: _Step, written: list[tuple[str, Action]], at: datetime) -> None:
        """What the step's actions start in turn (a 督办函 starts its reply watch: engine/escalation.py)."""

    def _state_to_store(self, instance: Instance, wf: Any) -> str:
        """The serialized workflow; in replay mode the live object is held instead (only while it waits)."""
        if self._held is None:
            return runner.dumps(wf)
        if instance.status == "waiting":
            self._held[instance.id] = wf
        else:
            self._held.pop(instance.id, None)
        return "{}"

    def _operation_for(self, step: _Step) -> runner.Operation:
        def operate(name: str, params: dict[str, Any], element_id: str, at: datetime) -> dict[str, Any]:
            operation = self.operations.get(name)
            if operation is None:
                raise InvalidInput(f"BPMN asked for unknown operation {name!r}")
            ctx = ActionContext(at=at, rules=self.rules, calendar=self.calendar, order=step.order, unit=step.unit,
                                instruction=step.instruction, quarter=step.instance.quarter)
            produced = operation(ctx, params)
            for action in produced:
                key = f"{element_id}:{at.isoformat()}:{action.to or ''}"
                step.actions.append((key if step.unsaved else f"{step.instance.id}:{key}", action))
            if step.order is not None and params.get("step") and params["step"] not in step.order.fired_steps:
                step.order.fired_steps = [*step.order.fired_steps, params["step"]]
            return {"count": len(produced)}

        return operate

    def _write_actions(self, step: _Step) -> None:
        """Store what the step produced: the actions (the append-only record of everything the rules did, with
        the instance and the time), their outbox rows and the supervisors' tasks."""
        if not step.actions:
            return
        now = self.clock.now()
        records, messages, tasks, cards = [], [], [], []
        for key, action in step.actions:
            details = dict(action.details)
            if action.kind == "sms":
                details.update(to=action.to, template=action.template, send_at=local_iso(action.send_at))
                messages.append({"key": key, "channel": "sms", "order_number": action.order_number,
                                 "recipient": action.to, "template": action.template,
                                 "params": action.details.get("params", {}),
                                 "send_at": action.send_at, "created_at": now})
            elif action.kind in DOCUMENT_KINDS:
                messages.append({"key": key, "channel": "document", "order_number": action.order_number,
                                 "recipient": None, "template": action.kind, "params": details,
                                 "send_at": action.at, "created_at": now})
            elif action.kind in SUPERVISOR_TASK_KINDS:
                tasks.append({"kind": action.kind, "action_key": key, "order_number": action.order_number,
                              "unit_code": action.unit_code, "created_at": action.at, "step": action.step})
            elif action.kind in CARD_COLORS and action.order_number and action.unit_code:
                cards.append({"order_number": action.order_number, "unit_code": action.unit_code,
                              "color": CARD_COLORS[action.kind], "source": "rule", "action_key": key,
                              "reason": action.step or "", "issued_at": action.at, "issued_by": "rules"})
            records.append({"key": key, "kind": action.kind, "at": action.at, "order_number": action.order_number,
                            "unit_code": action.unit_code, "step": action.step, "details": details,
                            "instance_id": step.instance.id, "recorded_at": now})
            log.info("rule action", extra={"order": action.order_number, "action": action.kind, "step": action.step})
        step.tx.add_actions(records)
        step.tx.add_outbox(messages)
        step.tx.add_supervisor_tasks(tasks)
        step.tx.add_cards(cards)
        step.actions.clear()


def load_definition_from_store(store: SqlStore, key: str, operations: frozenset[str]) -> ProcessDefinition | None:
    """Re-parse an older process version kept in the database (instances stay on their version)."""
    with store.reading() as tx:
        found = tx.get_process_xml(key)
    if found is None:
        return None
    process_id, xml = found
    definition = parse_definition(xml, process_id=process_id, known_operations=operations, source=key)
    serializer.register(definition)
    return definition
