"""Where a workflow instance has been and where it waits, read from its stored JSON.

The detail page highlights the steps a work order has taken on its BPMN diagram. Deserializing the
workflow would need the SpiffWorkflow spec and costs a few milliseconds; the stored JSON already
holds every task with its spec name and state, so this module reads it directly (stdlib only).

Shape of `runner.dumps(wf)` (SpiffWorkflow 3.2 serializer, spec stored by reference):
`{"tasks": {uuid: {"task_spec": name, "state": int, "parent": uuid | None, ...}}, "spec_ref": key,
"subprocesses": {uuid: {"tasks": {...}, "spec": name, ...}}}`. A BPMN element's task spec is named
by its element id; SpiffWorkflow's own specs (`Start`, `End`, `<process>.EndJoin`,
`<element>.BoundaryEventSplit` / `.BoundaryEventJoin`) have no BPMN id. When a full spec is embedded
(the stock serializer), its `bpmn_id` fields are used instead of the naming rule.
Replay mode stores "{}": nothing has been recorded, so everything is empty.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# SpiffWorkflow.util.task.TaskState values (kept here so this module stays stdlib-only;
# tests/unit/test_diagram.py checks they still match the library).
COMPLETED = 64
WAITING = 8
READY = 16
STARTED = 32
_CURRENT = WAITING | READY | STARTED
_REACHED = COMPLETED | _CURRENT

_INTERNAL_NAMES = frozenset({"Start", "End", "Root"})
_INTERNAL_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin")

Task = Mapping[str, Any]


@dataclass(frozen=True)
class StepProgress:
    """BPMN element ids by how far the instance got.

    `completed`: elements with a COMPLETED task. `current`: elements with a WAITING, READY or STARTED
    task (a timer, an event-based gateway, a boundary event, the running subprocess). An element run
    again (a loop) can be in both. `flows`: (source id, target id) of the sequence flows the instance
    actually went along, for diagrams that should not guess from the two sets.
    """

    completed: frozenset[str] = frozenset()
    current: frozenset[str] = frozenset()
    flows: frozenset[tuple[str, str]] = frozenset()


EMPTY = StepProgress()


def progress_of(state: str) -> StepProgress:
    """Read a serialized workflow (as stored in workflow_instances.state) into a StepProgress.

    :raises ValueError: `state` is not JSON or not a serialized workflow.
    """
    document = json.loads(state)
    if not isinstance(document, dict):
        raise ValueError("workflow state must be a JSON object")
    if not document.get("tasks"):
        return EMPTY
    names = _bpmn_ids(document)
    completed: set[str] = set()
    current: set[str] = set()
    flows: set[tuple[str, str]] = set()
    for tasks in _task_tables(document):
        for task in tasks.values():
            element = names(task["task_spec"])
            if element is None:
                continue
            state_value = int(task["state"])
            if state_value == COMPLETED:
                completed.add(element)
            elif state_value & _CURRENT:
                current.add(element)
            if state_value & _REACHED:
                source = _reached_from(task, tasks, names)
                if source is not None:
                    flows.add((source, element))
    return StepProgress(frozenset(completed), frozenset(current), frozenset(flows))


def _task_tables(workflow: Mapping[str, Any]) -> Iterator[Mapping[str, Task]]:
    """The task table of the workflow and of every subprocess in it (nested ones too)."""
    yield workflow["tasks"]
    for sub in (workflow.get("subprocesses") or {}).values():
        yield from _task_tables(sub)


def _reached_from(task: Task, tasks: Mapping[str, Task], names: _Names) -> str | None:
    """The BPMN element the token came from: the nearest completed ancestor with a BPMN id."""
    parent_id = task.get("parent")
    while parent_id is not None and (parent := tasks.get(parent_id)) is not None:
        if parent["state"] != COMPLETED:
            return None
        element = names(parent["task_spec"])
        if element is not None:
            return element
        parent_id = parent.get("parent")
    return None


class _Names:
    """Maps a task spec name to its BPMN element id, or None for SpiffWorkflow's own specs."""

    def __init__(self, embedded: Mapping[str, str | None]) -> None:
        self._embedded = embedded

    def __call__(self, spec_name: str) -> str | None:
        if spec_name in self._embedded:
            return self._embedded[spec_name]
        if spec_name in _INTERNAL_NAMES or spec_name.endswith(_INTERNAL_SUFFIXES):
            return None
        return spec_name


def _bpmn_ids(document: Mapping[str, Any]) -> _Names:
    """bpmn_id of every task spec embedded in the document (none when the spec is a reference)."""
    specs = [document.get("spec")] + list((document.get("subprocess_specs") or {}).values())
    embedded: dict[str, str | None] = {}
    for spec in specs:
        if isinstance(spec, dict):
            for name, task_spec in (spec.get("task_specs") or {}).items():
                embedded[name] = task_spec.get("bpmn_id") if isinstance(task_spec, dict) else None
    return _Names(embedded)
