"""engine/runtime/spiff_speed.py walks SpiffWorkflow's task tree over a stack instead of the library's list: at
every wait state of real workflows (the ladder fired step by step to its end, a message half way) each kind of
walk the library and the engine make must return the same tasks in the same order as the library's own code;
and the quieter `_set_state` still logs state changes when someone listens."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.runtime import runner, spiff_speed
from tests.integration.test_bpmn_runtime import Recorder, definitions, routine_data  # noqa: F401 (fixture)
from tests.timeline import DISPATCH


def walks(wf: Any) -> dict[str, list[str]]:
    """Every kind of walk: states and masks, spec names, end_at_spec, shallow max_depth, from a mid-tree task,
    skipping subprocesses, and the plain `for task in tree`."""
    def ids(tasks: Iterator[Any]) -> list[str]:
        return [f"{t.task_spec.name}:{t.state}:{t.id}" for t in tasks]

    middle = next(t for t in TaskIterator(wf.task_tree) if len(t._children) > 0 and t.parent is not None)
    found = {"all": ids(iter(wf.task_tree)), "bpmn_all": ids(wf.get_tasks_iterator())}
    for name, state in (("waiting", TaskState.WAITING), ("ready", TaskState.READY),
                        ("not_finished", TaskState.NOT_FINISHED_MASK), ("finished", TaskState.FINISHED_MASK),
                        ("predicted", TaskState.PREDICTED_MASK), ("completed", TaskState.COMPLETED)):
        found[name] = ids(TaskIterator(wf.task_tree, state=state))
        found[f"bpmn_{name}"] = ids(wf.get_tasks_iterator(state=state))
        found[f"bpmn_skip_{name}"] = ids(BpmnTaskIterator(wf.task_tree, state=state, skip_subprocesses=True))
    for depth in (1, 2, 3, 5, 8):
        found[f"depth_{depth}"] = ids(BpmnTaskIterator(wf.task_tree, max_depth=depth))
    found["middle"] = ids(BpmnTaskIterator(middle, state=TaskState.NOT_FINISHED_MASK))
    found["end_at"] = ids(BpmnTaskIterator(wf.task_tree, end_at_spec=middle.task_spec.name))
    found["spec_name"] = ids(wf.get_tasks_iterator(spec_name=middle.task_spec.name))
    found["manual"] = ids(wf.get_tasks_iterator(manual=False, state=TaskState.READY))
    found["breadth_first"] = ids(BpmnTaskIterator(wf.task_tree, depth_first=False))
    return found


def compare(wf: Any) -> int:
    spiff_speed.uninstall()
    try:
        library = walks(wf)
    finally:
        spiff_speed.install()
    fast = walks(wf)
    for kind in library:
        assert fast[kind] == library[kind], kind
    return len(library["bpmn_all"])


def test_fast_walks_return_what_the_library_returns(definitions):  # noqa: F811
    calls = Recorder()
    wf = runner.start(definitions["work_order"], routine_data(), at=DISPATCH, operation=calls)
    sizes = [compare(wf)]
    assert runner.deliver(wf, "signed", {}, at=DISPATCH + timedelta(hours=1), operation=calls)  # a branch ends
    sizes.append(compare(wf))
    for _ in range(8):
        due = runner.next_due(wf)
        if due is None:
            break
        runner.wake(wf, until=due, operation=calls)
        sizes.append(compare(wf))
    assert len(sizes) >= 6 and len(set(sizes)) >= 4, sizes  # the tree (subprocess included) changed at each step
    assert len(calls.calls) >= 6


def test_state_changes_are_still_logged_when_someone_listens(definitions, caplog):  # noqa: F811
    with caplog.at_level(logging.INFO, logger="spiff.task"):
        runner.start(definitions["work_order"], routine_data(), at=DISPATCH, operation=Recorder())
    changes = [r for r in caplog.records if r.name == "spiff.task" and r.getMessage().startswith("State changed to")]
    assert changes and all(hasattr(r, "task_spec") and hasattr(r, "elapsed") for r in changes)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="spiff.task"):
        runner.start(definitions["work_order"], routine_data(), at=DISPATCH, operation=Recorder())
    assert not [r for r in caplog.records if r.name == "spiff.task"]


@pytest.fixture(autouse=True)
def _installed() -> Iterator[None]:
    spiff_speed.install()
    yield
    spiff_speed.install()
