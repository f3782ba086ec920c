"""Loading, checking and versioning the BPMN process definitions in `bpmn/`.

One process per file, process id = file stem. Each definition is versioned by the sha256 of its
bytes; a running instance stays on the version it started with (its key is `process@hash12`).
A file is refused before anything runs when it is malformed, declares a DTD/entities, contains a
script task, pre/post script or loop, names an operation Duban does not have, or holds an expression
(in any element SpiffWorkflow evaluates) outside the allowed shape or that RestrictedPython will not compile.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from lxml import etree
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.domain.errors import ProcessDefinitionError
from engine.runtime.script_engine import compile_expression

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
}
# Every element whose text SpiffWorkflow evaluates as Python: each is checked when the file is loaded.
_EXPRESSION_ELEMENTS = ("bpmn:conditionExpression", "bpmn:condition", "bpmn:timeDate", "bpmn:timeDuration",
                        "bpmn:timeCycle", "bpmn:loopCardinality", "bpmn:loopCondition", "bpmn:completionCondition",
                        "bpmn:formalExpression", "bpmn:messagePath", "spiffworkflow:messagePayload")
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class ProcessDefinition:
    process_id: str
    sha256: str
    xml: bytes
    spec: Any
    subprocess_specs: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.process_id}@{self.sha256[:12]}"


def parse_definition(xml: bytes, *, process_id: str, known_operations: frozenset[str],
                     source: str = "<bpmn>") -> ProcessDefinition:
    """Check and compile one BPMN document; ProcessDefinitionError names the file and the element."""
    def refuse(reason: str) -> ProcessDefinitionError:
        return ProcessDefinitionError(f"{source}: {reason}")

    if b"<!DOCTYPE" in xml[:4096].upper() or b"<!ENTITY" in xml.upper():
        raise refuse("DTDs and entities are not allowed in BPMN files")
    try:
        tree = etree.fromstring(xml, parser=_SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise refuse(f"not well-formed XML: {exc}") from None
    docinfo = tree.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise refuse("DTDs and entities are not allowed in BPMN files")
    processes = tree.xpath("//bpmn:process", namespaces=NS)
    if len(processes) != 1:
        raise refuse(f"must hold exactly one bpmn:process, found {len(processes)}")
    if processes[0].get("id") != process_id:
        raise refuse(f"process id {processes[0].get('id')!r} must equal the file name {process_id!r}")
    _check_contents(tree, known_operations, refuse)
    try:
        parser = SpiffBpmnParser()
        parser.add_bpmn_xml(tree, filename=source)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except (SpiffWorkflowException, ValueError, KeyError) as exc:
        raise refuse(f"SpiffWorkflow cannot use it: {exc}") from None
    return ProcessDefinition(process_id, hashlib.sha256(xml).hexdigest(), xml, spec, subprocess_specs)


def _owner(node: Any) -> str:
    """The id of the BPMN element a node belongs to (an event, a task, a flow), for error messages."""
    owner = node.getparent() if node.get("id") is None else node
    while owner is not None and (owner.get("id") is None or etree.QName(owner).localname.endswith(
            ("EventDefinition", "extensionElements", "serviceTaskOperator", "parameters"))):
        owner = owner.getparent()
    return owner.get("id") if owner is not None else "?"


def _syntax_reason(exc: SyntaxError) -> str:
    reason = exc.msg if isinstance(exc.msg, str) else "; ".join(map(str, exc.msg or ()))
    return reason or str(exc)


def _check_contents(tree: Any, known_operations: frozenset[str], refuse: Any) -> None:
    for tag in ("scriptTask", "callActivity"):
        found = tree.xpath(f"//bpmn:{tag}", namespaces=NS)
        if found:
            raise refuse(f"{tag} {found[0].get('id')!r} is not allowed (BPMN decides when, Duban's operations do what)")
    loops = tree.xpath("//bpmn:standardLoopCharacteristics|//bpmn:multiInstanceLoopCharacteristics", namespaces=NS)
    if loops:
        raise refuse(f"{etree.QName(loops[0]).localname} in {_owner(loops[0])!r} is not allowed (the rules need no "
                     "loops; repeat with timers and messages)")
    for tag in ("preScript", "postScript"):
        found = tree.xpath(f"//spiffworkflow:{tag}", namespaces=NS)
        if found:
            raise refuse(f"spiffworkflow:{tag} in {_owner(found[0])!r} is not allowed")
    for op in tree.xpath("//spiffworkflow:serviceTaskOperator", namespaces=NS):
        name = op.get("id")
        if name not in known_operations:
            raise refuse(f"{_owner(op)!r} names unknown operation {name!r}; known: {', '.join(sorted(known_operations))}")
    expressions: list[tuple[str, str]] = []
    for node in tree.xpath("|".join(f"//{tag}" for tag in _EXPRESSION_ELEMENTS), namespaces=NS):
        expressions.append((_owner(node), (node.text or "").strip()))
    for param in tree.xpath("//spiffworkflow:parameter", namespaces=NS):
        expressions.append((f"{_owner(param)}.{param.get('id', '?')}", param.get("value", "")))
    for element_id, text in expressions:
        try:
            compile_expression(text)
        except SyntaxError as exc:
            raise refuse(f"expression {text!r} in {element_id!r} is refused: {_syntax_reason(exc)}") from None


def load_directory(path: Path, known_operations: frozenset[str]) -> dict[str, ProcessDefinition]:
    if not path.is_dir():
        raise ProcessDefinitionError(f"BPMN directory {path} does not exist")
    definitions = {}
    for file in sorted(path.glob("*.bpmn")):
        definitions[file.stem] = parse_definition(file.read_bytes(), process_id=file.stem,
                                                  known_operations=known_operations, source=str(file))
    return definitions


def sms_templates_used(definitions: Mapping[str, ProcessDefinition]) -> set[str]:
    """The SMS template keys the rules name (`sms.send` tasks' literal `template` parameters): each must exist."""
    used: set[str] = set()
    for definition in definitions.values():
        tree = etree.fromstring(definition.xml, parser=_SAFE_PARSER)
        for op in tree.xpath("//spiffworkflow:serviceTaskOperator[@id='sms.send']", namespaces=NS):
            for param in op.xpath(".//spiffworkflow:parameter[@id='template']", namespaces=NS):
                value = param.get("value", "").strip()
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    used.add(value[1:-1])
    return used
