"""Driving SpiffWorkflow: start, deliver a message, wake timers, find the next due time.

Every call runs under `spiff_time` so the library's timers read the engine's clock, and under a
service handler so the operations a step reaches are answered by the engine (which turns them into
outbox rows and records in the same transaction). Timers that fell due while nothing ran are
stepped through in due order, each at its own time, so a late wake produces the same record as an
on-time one.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
import time
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.domain.errors import DubanError, RuleExecutionError
from engine.runtime import serializer, spiff_speed
from engine.runtime.definitions import ProcessDefinition
from engine.runtime.script_engine import SCRIPT_ENGINE, engine_step
from engine.runtime.spiff_clock import spiff_time

spiff_speed.install()
serializer.install_string_ids()

# (operation, params, bpmn element id, the time of the step) -> result for the task data
Operation = Callable[[str, dict[str, Any], str, datetime], Mapping[str, Any]]
_TICK = timedelta(microseconds=1)  # Spiff fires a timer when due < now, strictly
# What one step (a start, a message, a timer) may do before it is stopped as runaway: the rules take a few dozen
# tasks and milliseconds; a file that cycles without end fails its instance with this error, and the worker goes on.
STEP_TASK_LIMIT = 200
STEP_SECONDS_LIMIT = 10.0


def run_engine_steps(wf: Any, *, task_limit: int = STEP_TASK_LIMIT, seconds_limit: float = STEP_SECONDS_LIMIT) -> None:
    """`do_engine_steps`, stopped with RuleExecutionError past `task_limit` tasks or `seconds_limit` seconds."""
    started, done = time.monotonic(), 0

    def budget(task: Any) -> None:
        nonlocal done
        done += 1
        if done > task_limit:
            raise RuleExecutionError(f"BPMN step stopped: more than {task_limit} tasks in one step "
                                     f"(at {task.task_spec.bpmn_id or task.task_spec.name}); does the process cycle?")
        if time.monotonic() - started > seconds_limit:
            raise RuleExecutionError(f"BPMN step stopped: longer than {seconds_limit:g} s "
                                     f"(at {task.task_spec.bpmn_id or task.task_spec.name})")

    wf.do_engine_steps(will_complete_task=budget)


def _run(at: datetime, operation: Operation, facts: Mapping[str, Any] | None, step: Callable[[], None]) -> None:
    def handler(name: str, params: dict[str, Any], task: Any) -> Mapping[str, Any]:
        return operation(name, params, task.task_spec.bpmn_id or task.task_spec.name, at)

    try:
        with engine_step(handler, facts or {}), spiff_time(at + _TICK):
            step()
    except SpiffWorkflowException as exc:
        cause = getattr(exc, "exception", None) or exc.__cause__
        if isinstance(cause, DubanError):
            raise cause from exc
        raise RuleExecutionError(f"BPMN step failed: {exc}") from exc


def start(definition: ProcessDefinition, data: Mapping[str, Any], *, at: datetime, operation: Operation,
          facts: Mapping[str, Any] | None = None) -> Any:
    wf = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=SCRIPT_ENGINE)
    wf.task_tree.data.update(data)
    _run(at, operation, facts, lambda: run_engine_steps(wf))
    return wf


def waiting_messages(wf: Any) -> set[str]:
    names = set()
    for task in wf.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        for sub in definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]:
            if isinstance(sub, MessageEventDefinition):
                names.add(sub.name)
    return names


def deliver(wf: Any, message: str, data: Mapping[str, Any], *, at: datetime, operation: Operation,
            facts: Mapping[str, Any] | None = None) -> bool:
    """Deliver a message if the workflow waits for it; False (and nothing changes) if it does not.

    `data` is laid on the tasks the message made ready, so the path it opens carries it (SpiffWorkflow's
    own message payloads only reach task data through a modeller-set message variable).
    """
    if message not in waiting_messages(wf):
        return False

    def step() -> None:
        wf.send_event(BpmnEvent(MessageEventDefinition(message), payload={}))
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(data)
        run_engine_steps(wf)

    _run(at, operation, facts, step)
    return True


def wake(wf: Any, *, until: datetime, operation: Operation, facts: Mapping[str, Any] | None = None) -> list[datetime]:
    """Fire every timer due at or before `until`, in due order. Returns the due times that fired."""
    fired: list[datetime] = []
    while (due := next_due(wf)) is not None and due <= until:
        def step() -> None:
            wf.refresh_timers()
            run_engine_steps(wf)

        _run(due, operation, facts, step)
        fired.append(due)
        if len(fired) > 1000:
            raise RuntimeError("a workflow fired more than 1000 timer steps in one wake")
    return fired


def next_due(wf: Any) -> datetime | None:
    dues = []
    for task in wf.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        value = task._get_internal_data("event_value")
        if value is None:
            continue
        for sub in definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]:
            if not isinstance(sub, TimerEventDefinition):
                continue
            if isinstance(sub, CycleTimerEventDefinition):
                if value["cycles"] != 0:
                    dues.append(datetime.fromisoformat(value["next"]))
            elif isinstance(sub, DurationTimerEventDefinition):
                dues.append(TimerEventDefinition.get_datetime(value))
            else:
                dues.append(TimerEventDefinition.parse_time_or_duration(value))
    return min(dues) if dues else None


def is_completed(wf: Any) -> bool:
    return bool(wf.is_completed())


def dumps(wf: Any) -> str:
    return serializer.SERIALIZER.serialize_json(wf)


def loads(state: str) -> Any:
    wf = serializer.SERIALIZER.deserialize_json(state)
    wf.script_engine = SCRIPT_ENGINE
    return wf


def cancel(wf: Any) -> None:
    wf.cancel()
