"""Serialize workflows with a reference to their cached spec instead of a copy of it."""
from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.runtime.definitions import ProcessDefinition

# key -> definition. Keys are content hashes, so one process-wide cache is safe.
_SPECS: dict[str, ProcessDefinition] = {}


def register(definition: ProcessDefinition) -> None:
    definition.spec.duban_key = definition.key
    _SPECS[definition.key] = definition


def is_registered(key: str) -> bool:
    return key in _SPECS


def definition(key: str) -> ProcessDefinition:
    return _SPECS[key]


class _SpecRefConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec_ref"] = workflow.spec.duban_key
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        found = _SPECS[dct.pop("spec_ref")]
        workflow = self.target_class(found.spec, found.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _SpecRefConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))

