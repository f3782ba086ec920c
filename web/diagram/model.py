"""The BPMN vocabulary the drawing knows, the elements read from a diagram plane, and the parts drawn."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from web.diagram.geometry import Box

MODEL = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"

EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
                      "complexGateway"})
SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
POOLS = frozenset({"participant", "lane"})
FLOWS = frozenset({"sequenceFlow", "messageFlow"})


@dataclass(frozen=True)
class Node:
    """A bpmndi:BPMNShape of an element the file defines: its kind, name, bounds and optional label box."""

    id: str
    kind: str
    name: str
    box: Box
    label: Box | None
    element: ET.Element
    expanded: bool
    horizontal: bool


@dataclass(frozen=True)
class Edge:
    """A bpmndi:BPMNEdge: its waypoints, and the source and target of the flow it draws (if defined)."""

    id: str
    kind: str
    name: str
    points: tuple[tuple[float, float], ...]
    label: Box | None
    source: str | None
    target: str | None
    marker: str  # "default", "conditional" or ""


@dataclass(frozen=True)
class Part:
    """One drawn element: `head` + the request's highlight classes + `body`."""

    element_id: str
    head: str
    body: str
    source: str | None = None
    target: str | None = None


def local_name(tag: str) -> str:
    """An ElementTree tag without its namespace: `{...MODEL}userTask` → `userTask`."""
    return tag.rsplit("}", 1)[-1]
