"""Reading a BPMN file's diagram interchange: the plane to draw, its shapes as nodes and its edges.

Refused with `InvalidInput`: DTDs and entities, malformed XML, a root that is not bpmn:definitions, no
BPMNPlane (or none for the process asked for), a plane without shapes, missing or non-numeric geometry.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass

from engine.domain.errors import InvalidInput
from web.diagram.geometry import Box
from web.diagram.model import BPMNDI, DC, DI, GATEWAYS, MODEL, SUBPROCESSES, Edge, Node, local_name


@dataclass(frozen=True)
class Plane:
    """What one diagram plane shows, in file order: shapes of elements the file defines, and all edges."""

    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def read_plane(xml: bytes, process_id: str | None) -> Plane:
    """The plane of `xml` showing `process_id` (directly or as a pool); the first plane when it is None.

    :raises InvalidInput: the file cannot be drawn (see the module docstring).
    """
    root = _parse_xml(xml)
    elements = {el.get("id", ""): el for el in root.iter() if el.tag.startswith(MODEL) and el.get("id")}
    plane = _choose_plane(root, elements, process_id)
    edges = [_edge(di, elements) for di in plane.iter(BPMNDI + "BPMNEdge")]
    shapes = list(plane.iter(BPMNDI + "BPMNShape"))
    shown = frozenset(di.get("bpmnElement", "") for di in shapes)
    nodes = [_node(di, elements, shown) for di in shapes]
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise InvalidInput(f"BPMN diagram plane {plane.get('id')!r} has no bpmndi:BPMNShape to draw")
    return Plane(_title(plane, elements, process_id), tuple(nodes), tuple(edges))


def _parse_xml(xml: bytes) -> ET.Element:
    head = xml[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in xml.upper():
        raise InvalidInput("BPMN file declares a DTD or entities, which are not allowed")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise InvalidInput(f"BPMN file is not well-formed XML: {exc}") from None
    if root.tag != MODEL + "definitions":
        raise InvalidInput(f"not a BPMN 2.0 document: the root element is {root.tag!r}, not bpmn:definitions")
    return root


def _choose_plane(root: ET.Element, elements: Mapping[str, ET.Element], process_id: str | None) -> ET.Element:
    planes = list(root.iter(BPMNDI + "BPMNPlane"))
    if not planes:
        raise InvalidInput("BPMN file has no diagram interchange (no bpmndi:BPMNDiagram/bpmndi:BPMNPlane): "
                           "save it from a BPMN modeler so it carries a layout")
    if process_id is None:
        return planes[0]
    for plane in planes:
        if plane.get("bpmnElement") == process_id:
            return plane
    for plane in planes:
        shown = elements.get(plane.get("bpmnElement", ""))
        if shown is not None and any(p.get("processRef") == process_id for p in shown.iter(MODEL + "participant")):
            return plane
    shown_ids = ", ".join(repr(p.get("bpmnElement")) for p in planes)
    raise InvalidInput(f"BPMN file has no diagram plane for process {process_id!r} (planes show {shown_ids})")


def _title(plane: ET.Element, elements: Mapping[str, ET.Element], process_id: str | None) -> str:
    shown = elements.get(plane.get("bpmnElement", ""))
    if shown is None:
        return "BPMN 流程图"
    if process_id is not None and shown.get("id") != process_id:
        for participant in shown.iter(MODEL + "participant"):
            if participant.get("processRef") == process_id:
                return f"流程图：{participant.get('name') or process_id}"
    return f"流程图：{shown.get('name') or shown.get('id')}"


def _number(value: str | None, what: str) -> float:
    try:
        number = float(value if value is not None else "")
    except ValueError:
        raise InvalidInput(f"{what} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise InvalidInput(f"{what} is not a finite number: {value!r}")
    return number


def _bounds_of(di: ET.Element, what: str) -> Box:
    bounds = di.find(DC + "Bounds")
    if bounds is None:
        raise InvalidInput(f"{what} has no dc:Bounds")
    x, y, w, h = (_number(bounds.get(a), f"{what} dc:Bounds {a}") for a in ("x", "y", "width", "height"))
    if w < 0 or h < 0:
        raise InvalidInput(f"{what} has a negative dc:Bounds size")
    return Box(x, y, w, h)


def _label_of(di: ET.Element, what: str) -> Box | None:
    label = di.find(BPMNDI + "BPMNLabel")
    if label is None or label.find(DC + "Bounds") is None:
        return None
    return _bounds_of(label, f"the label of {what}")


def _node(di: ET.Element, elements: Mapping[str, ET.Element], shown: frozenset[str]) -> Node | None:
    ref = di.get("bpmnElement", "")
    element = elements.get(ref)
    if element is None:
        return None  # a shape for an element the file does not define: nothing to name or highlight
    what = f"bpmndi:BPMNShape for {ref!r}"
    kind = local_name(element.tag)
    name = element.get("name") or ""
    if kind == "textAnnotation":
        name = "".join(element.findtext(MODEL + "text") or "")
    return Node(ref, kind, name.strip(), _bounds_of(di, what), _label_of(di, what), element,
                expanded=_is_expanded(di, element, shown), horizontal=di.get("isHorizontal", "true") != "false")


def _is_expanded(di: ET.Element, element: ET.Element, shown: frozenset[str]) -> bool:
    """As the DI says; when it does not say, expanded if its contents are drawn on this plane."""
    flag = di.get("isExpanded")
    if flag is not None:
        return flag == "true"
    return local_name(element.tag) in SUBPROCESSES and any(child.get("id") in shown for child in element)


def _edge(di: ET.Element, elements: Mapping[str, ET.Element]) -> Edge:
    ref = di.get("bpmnElement", "")
    what = f"bpmndi:BPMNEdge for {ref!r}"
    points = tuple((_number(w.get("x"), f"{what} waypoint x"), _number(w.get("y"), f"{what} waypoint y"))
                   for w in di.findall(DI + "waypoint"))
    if len(points) < 2:
        raise InvalidInput(f"{what} has fewer than two di:waypoint")
    element = elements.get(ref)
    kind = local_name(element.tag) if element is not None else "association"
    source = element.get("sourceRef") if element is not None else None
    target = element.get("targetRef") if element is not None else None
    return Edge(ref, kind, (element.get("name") or "").strip() if element is not None else "", points,
                _label_of(di, what), source, target, _flow_marker(element, elements))


def _flow_marker(element: ET.Element | None, elements: Mapping[str, ET.Element]) -> str:
    if element is None or local_name(element.tag) != "sequenceFlow":
        return ""
    source = elements.get(element.get("sourceRef", ""))
    if source is not None and source.get("default") == element.get("id"):
        return "default"
    conditional = element.find(MODEL + "conditionExpression") is not None
    if conditional and source is not None and local_name(source.tag) not in GATEWAYS:
        return "conditional"
    return ""
