"""Two hot paths of SpiffWorkflow 3.2, made cheaper without changing what they do.

A profile of a replay spent about half its time in SpiffWorkflow, most of it walking the task tree: every task
that completes makes the workflow look for WAITING tasks from the root, every engine step looks for READY ones,
and each walk is `TaskIterator`, which keeps its to-do list as a Python list it pops from the front and rebuilds
on every branch (`children + task_list`), and asks a general filter object about every task. Here the same walk
runs over a stack: the tasks come out in the same order (children read when their parent is reached, a
subprocess's tree before the task's own children, the same depth bookkeeping and `max_depth`/`end_at_spec`
stops), and a filter that only asks for a state is checked with one bit test. Breadth-first walks (unused by
the engine) keep the library's code.

Second, `Task._set_state` formats a log message and builds a dict of extras for every state change, also when
nothing listens at INFO. Here it does that only when the `spiff.task` logger would emit the record.

`install()` patches the library's classes once (idempotent); `engine.runtime.runner` calls it on import.
`tests/integration/test_spiff_speed.py` compares both iterators task for task on real workflows.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from SpiffWorkflow import task as _task_module
from SpiffWorkflow.bpmn.util.task import BpmnTaskFilter, BpmnTaskIterator
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskFilter, TaskIterator, TaskState

_ORIGINAL_NEXT = TaskIterator.__next__
_ORIGINAL_SET_STATE = Task._set_state
_FINISHED = TaskState.FINISHED_MASK
_PLAIN_FILTERS = (TaskFilter, BpmnTaskFilter)


def _state_only(task_filter: Any) -> int | None:
    """The state mask when the filter asks nothing else (the engine's walks), else None."""
    if type(task_filter) not in _PLAIN_FILTERS or task_filter.manual is not None \
            or task_filter.spec_name is not None or task_filter.spec_class is not None:
        return None
    if type(task_filter) is BpmnTaskFilter and (task_filter.catches_event is not None or task_filter.lane is not None):
        return None
    return int(task_filter.state)


def _walk(it: TaskIterator) -> Iterator[Task]:
    """`TaskIterator._next` + `__next__` (and `BpmnTaskIterator._next`), depth first, over a reversed stack."""
    stack = list(reversed(it.task_list))
    depth = it.depth
    min_state, max_depth, end_at = it.min_state, it.max_depth, it.end_at_spec
    bpmn = isinstance(it, BpmnTaskIterator)
    skip_subprocesses = bpmn and it.skip_subprocesses
    task_filter = it.task_filter
    mask = _state_only(task_filter)
    updated_ts = task_filter.updated_ts
    filter_state = task_filter.state
    while stack:
        task = stack.pop()
        subprocess = task.workflow.top_workflow.subprocesses.get(task.id) if bpmn else None
        if (task._children or subprocess is not None) and (task._state >= min_state or subprocess is not None) \
                and depth < max_depth and task.task_spec.name != end_at:
            tasks = task.workflow.tasks
            stack.extend([tasks.get(child) for child in reversed(task._children)])
            if subprocess is not None and not skip_subprocesses \
                    and not (task._state >= _FINISHED and filter_state <= _FINISHED):
                stack.append(subprocess.task_tree)  # the subprocess's tree comes before the task's children
            depth += 1
        elif stack:
            ancestor = stack[-1].parent
            current = task.parent
            while current is not None and current != ancestor:
                current = current.parent
                depth -= 1
        if mask is not None:
            if task._state & mask and task.last_state_change >= updated_ts:
                yield task
        elif task_filter.matches(task):
            yield task


def _next(self: TaskIterator) -> Task:
    walk = self.__dict__.get("_duban_walk")
    if walk is None:
        if not self.depth_first:
            return _ORIGINAL_NEXT(self)
        walk = self._duban_walk = _walk(self)
    return next(walk)


def _set_state(self: Task, value: int) -> None:
    logger = _task_module.logger
    if value != self._state:
        elapsed = time.time() - self.last_state_change
        self.last_state_change = time.time()
        self._state = value
        if logger.isEnabledFor(logging.INFO):
            logger.info(f"State changed to {TaskState.get_name(value)}",
                        extra=self.collect_log_extras({"elapsed": elapsed}))
    elif logger.isEnabledFor(logging.DEBUG):
        logger.debug(f"State set to {TaskState.get_name(value)}", extra=self.collect_log_extras())


def install() -> None:
    TaskIterator.__next__ = _next  # BpmnTaskIterator inherits it
    Task._set_state = _set_state


def uninstall() -> None:
    """Back to the library's own code (for the tests that compare the two)."""
    TaskIterator.__next__ = _ORIGINAL_NEXT
    Task._set_state = _ORIGINAL_SET_STATE
