"""engine/runtime/serializer.py writes and reads SpiffWorkflow's own JSON without the library's general machinery
(string task ids, tasks converted directly). At every wait state of a full ladder (a message, then every timer to
the end) the JSON must be byte for byte what the library's converters write for the same workflow; a state the
library wrote (UUID ids, as every state stored before this change) must load and save back to the same bytes, and
the loaded workflow must go on exactly like one loaded by the library."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.runtime import progress, runner, serializer
from engine.runtime.script_engine import SCRIPT_ENGINE
from tests.integration.test_bpmn_runtime import Recorder, definitions, routine_data  # noqa: F401 (fixture)
from tests.timeline import DISPATCH


class _LibraryConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """The spec by reference, everything else the library's own converters (the engine's serializer until now)."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec_ref"] = workflow.spec.duban_key
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        found = serializer.definition(dct.pop("spec_ref"))
        workflow = self.target_class(found.spec, found.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


LIBRARY = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _LibraryConverter}))


def library_loads(state: str) -> Any:
    wf = LIBRARY.deserialize_json(state)
    wf.script_engine = SCRIPT_ENGINE
    return wf


def shape(wf: Any) -> list[tuple[str, int, int]]:
    """Every task (subprocesses too) in walk order, without ids: spec, state, number of children."""
    return [(t.task_spec.name, t.state, len(t._children)) for t in wf.get_tasks_iterator()]


def check(wf: Any) -> None:
    ours = runner.dumps(wf)
    assert ours == LIBRARY.serialize_json(wf), "the JSON differs from the library's"
    assert runner.dumps(runner.loads(ours)) == ours
    old = library_loads(ours)  # UUID ids, as a workflow stored before string ids
    assert isinstance(old.task_tree.id, UUID)
    written_by_library = LIBRARY.serialize_json(old)
    assert written_by_library == ours
    restored = runner.loads(written_by_library)
    assert isinstance(restored.task_tree.id, str)
    assert runner.dumps(restored) == ours
    assert shape(restored) == shape(old) == shape(wf)
    assert progress.progress_of(ours) == progress.progress_of(written_by_library)


def test_same_json_as_the_library_at_every_wait_state(definitions):  # noqa: F811
    calls = Recorder()
    wf = runner.start(definitions["work_order"], routine_data(), at=DISPATCH, operation=calls)
    assert isinstance(wf.task_tree.id, str)
    check(wf)
    assert runner.deliver(wf, "signed", {}, at=DISPATCH + timedelta(hours=1), operation=calls)
    check(wf)
    steps = 0
    while (due := runner.next_due(wf)) is not None and steps < 10:
        # the same timer fired on a workflow loaded by the library and on one loaded by this serializer
        state = runner.dumps(wf)
        old, new = library_loads(state), runner.loads(state)
        old_calls, new_calls = Recorder(), Recorder()
        assert runner.wake(old, until=due, operation=old_calls) == runner.wake(new, until=due, operation=new_calls)
        assert old_calls.calls == new_calls.calls and shape(old) == shape(new)
        assert runner.next_due(old) == runner.next_due(new)
        runner.wake(wf, until=due, operation=calls)
        check(wf)
        steps += 1
    assert steps >= 4 and len(calls.calls) >= 6
