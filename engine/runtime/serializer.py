"""Serialize workflows with a reference to their cached spec instead of a copy of it — and quickly.

The JSON is SpiffWorkflow 3.2's own (same keys, same order, same values: `engine/runtime/progress.py` reads it and
states written before this module load as they are), but it is made and read without the library's general
machinery where the engine's workflows never need it:

- Task ids are strings (the UUID's canonical text), not `uuid.UUID` objects. SpiffWorkflow uses ids only as
  dict keys and to name parents and children, and a UUID hashes and compares in Python code: a profile of timer
  firing spent 11 % of its time in `UUID.__init__`/`__hash__`/`__eq__`/`__str__`, and every walk of the task tree
  hashes each id again. A `str` hashes once (cached) and compares in C, and loading a state parses no UUIDs.
  `install_string_ids()` makes new tasks get string ids (`SpiffWorkflow.task.uuid4`); the runner calls it.
- Tasks are converted directly (`_task_to_dict`, `_task_from_dict`), not through the registry's dispatch, copy
  and clean of every dict; internal data and data deltas still go through the registry when they are not empty,
  so a non-JSON value (a datetime, a timedelta) is handled as before.

tests/integration/test_fast_serializer.py checks the JSON against the library's converters byte for byte.
"""
from __future__ import annotations

from typing import Any
from uuid import uuid4

from SpiffWorkflow import task as _task_module
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.runtime.definitions import ProcessDefinition

# key -> definition. Keys are content hashes, so one process-wide cache is safe.
_SPECS: dict[str, ProcessDefinition] = {}
_WAITING = TaskState.WAITING


def register(definition: ProcessDefinition) -> None:
    definition.spec.duban_key = definition.key
    _SPECS[definition.key] = definition


def is_registered(key: str) -> bool:
    return key in _SPECS


def definition(key: str) -> ProcessDefinition:
    return _SPECS[key]


def new_task_id() -> str:
    """A new task's id: a random UUID's canonical text (what the library's serializer writes for its UUIDs)."""
    return str(uuid4())


def install_string_ids() -> None:
    """New SpiffWorkflow tasks get string ids (idempotent)."""
    _task_module.uuid4 = new_task_id


class _TaskConverter(TaskConverter):  # type: ignore[misc]
    """The library's BPMN task converter (data stored as a delta from the parent's), with string ids."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        dct = _task_to_dict(self.registry, task)
        del dct["typename"]  # the registry adds it
        return dct

    def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
        return _task_from_dict(self.registry, dct, workflow)


def _task_to_dict(registry: Any, task: Any) -> dict[str, Any]:
    parent = task.workflow.tasks.get(task._parent)
    data = task.data
    if parent is None:
        delta: dict[str, Any] = {}
    else:
        before = parent.data
        delta = {"updates": DeepMerge.get_updated_keys(before, data),
                 "deletions": DeepMerge.get_deleted_keys(before, data)}
        data = {}
    internal = task.internal_data
    return {"id": str(task.id), "parent": str(task._parent) if parent is not None else None,
            "children": [str(child) for child in task._children], "last_state_change": task.last_state_change,
            "state": task._state, "task_spec": task.task_spec.name, "triggered": task.triggered,
            "internal_data": registry.convert(internal) if internal else {}, "data": data, "delta": delta,
            "typename": "Task"}


def _task_from_dict(registry: Any, dct: dict[str, Any], workflow: Any) -> Any:
    spec = workflow.spec.task_specs.get(dct["task_spec"])
    state = dct["state"]
    task = Task(workflow, spec, state=state, id=dct["id"])
    task._parent = dct["parent"]
    task._children = list(dct["children"])
    task.last_state_change = dct["last_state_change"]
    task.triggered = dct["triggered"]
    internal = dct["internal_data"]
    task.internal_data = registry.restore(internal) if internal else {}
    if state & _WAITING and isinstance(spec, CatchingEvent):
        workflow.top_workflow.event_manager.add_task(task)
    delta = dct.get("delta")
    parent = workflow.tasks.get(task._parent)
    if delta and parent is not None:
        data = DeepMerge.merge({}, parent.data)
        updates = delta.get("updates")
        if updates:
            data.update(registry.restore(updates))
        for key in delta.get("deletions", ()):
            data.pop(key, None)
    else:
        data = registry.restore(dct["data"])
    task.data = data
    return task


def _tasks_to_dict(registry: Any, tasks: dict[Any, Any]) -> dict[str, Any]:
    return {str(key): _task_to_dict(registry, task) if type(task) is Task else registry.convert(task)
            for key, task in tasks.items()}


def _tasks_from_dict(registry: Any, tasks: dict[str, Any], workflow: Any) -> dict[str, Any]:
    restored = {}
    for key, dct in tasks.items():
        if dct.get("typename") == "Task":
            restored[key] = _task_from_dict(registry, dct, workflow)
        else:
            restored[key] = registry.restore(dct, workflow=workflow)
    return restored


def _workflow_to_dict(converter: Any, workflow: Any) -> dict[str, Any]:
    """`WorkflowConverter.to_dict` with the tasks converted directly."""
    registry = converter.registry
    return {"data": registry.convert(registry.clean(workflow.data)), "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success, "completed": workflow.completed,
            "tasks": _tasks_to_dict(registry, workflow.tasks), "root": str(workflow.task_tree.id)}


def _set_default_attributes(converter: Any, workflow: Any, dct: dict[str, Any]) -> None:
    """`WorkflowConverter.set_default_attributes` with string ids."""
    workflow.success = dct["success"]
    workflow.completed = dct.get("completed", False)
    workflow.correlations = dct.pop("correlations", {})
    if isinstance(dct["last_task"], str):
        workflow.last_task = workflow.tasks.get(dct["last_task"])
    workflow.data = converter.registry.restore(dct.pop("data", {}))


class _SubWorkflowConverter(BpmnSubWorkflowConverter):  # type: ignore[misc]
    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = _workflow_to_dict(self, workflow)
        dct["parent_task_id"] = str(workflow.parent_task_id)
        dct["spec"] = workflow.spec.name
        return dct

    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: Any) -> Any:
        spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
        subprocess = self.target_class(spec, task.id, top_workflow, deserializing=True)
        subprocess.tasks = _tasks_from_dict(self.registry, dct["tasks"], subprocess)
        subprocess.task_tree = subprocess.tasks.get(dct["root"])
        _set_default_attributes(self, subprocess, dct)
        return subprocess


class _SpecRefConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = _workflow_to_dict(self, workflow)
        dct["spec_ref"] = workflow.spec.duban_key
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        found = _SPECS[dct.pop("spec_ref")]
        workflow = self.target_class(found.spec, found.subprocess_specs, deserializing=True)
        workflow.tasks = _tasks_from_dict(self.registry, dct["tasks"], workflow)
        workflow.task_tree = workflow.tasks.get(dct["root"])
        _set_default_attributes(self, workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _SpecRefConverter
_config[BpmnSubWorkflow] = _SubWorkflowConverter
_config[Task] = _TaskConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
