"""Server-side SVG drawings of the BPMN processes, with a work order's progress highlighted.

The layout comes from the file's diagram interchange (BPMNDI): every `bpmndi:BPMNShape` gives a
bounds box and every `bpmndi:BPMNEdge` its waypoints, so nothing is laid out here. Parsing and
drawing the static parts is done once per (sha256 of the file, process id) and cached; a request
only adds the highlight classes:

- every drawn element is a `<g data-id="<bpmn id>">` with class `done` when the instance completed
  it and `current` when it waits there (both when a loop passed it and waits there again);
- a flow is `done` when the instance went along it: given `taken` (pairs of element ids, see
  `engine.runtime.progress.StepProgress.flows`) exactly those; otherwise when its source is
  completed and its target is completed or current.

Arrowheads are drawn as polygons, not `<marker>`s, so several diagrams can sit in one HTML page
without id clashes and the highlight CSS colours them. The `<style>` is scoped to `.bpmn-diagram`.
Text has no font metrics here, so names are wrapped by character count, a CJK character counting
as two narrow ones.
"""
from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from html import escape

from engine.domain.errors import InvalidInput

MODEL = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"

FONT = 12          # px, the label font size
LINE = 15          # px between baselines
UNIT = FONT * 0.55  # width of a narrow character; a wide (CJK) one counts two
MARGIN = 20
EXTERNAL_LABEL_WIDTH = 120  # events, gateways and data without a BPMNLabel
LEGEND_HEIGHT = 34

EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
                      "complexGateway"})
SUBPROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
POOLS = frozenset({"participant", "lane"})
FLOWS = frozenset({"sequenceFlow", "messageFlow"})
_CLOSING = frozenset("，。、：；？！）》」』】〉,.;:?!)]}%")

Ids = Collection[str]


# ---------------------------------------------------------------------------------------------- public


def render_svg(bpmn_xml: bytes, *, process_id: str | None = None, completed: Ids = (), current: Ids = (),
               taken: Collection[tuple[str, str]] | None = None, legend: bool | None = None) -> str:
    """A standalone `<svg>` of one diagram plane of `bpmn_xml`, progress highlighted.

    `process_id` picks the plane showing that process (directly or as a pool); default the first.
    `legend` adds 完成 / 当前 / 未到达 under the drawing; by default only when something is highlighted.

    :raises InvalidInput: the XML is malformed, has a DTD, or lacks the diagram interchange.
    """
    drawing = _drawing(_Source(hashlib.sha256(bpmn_xml).hexdigest(), process_id, bpmn_xml))
    done, now = frozenset(completed), frozenset(current)
    flows = None if taken is None else frozenset(taken)
    with_legend = bool(done or now or flows) if legend is None else legend
    box = drawing.view_box
    height = box.h + LEGEND_HEIGHT if with_legend else box.h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" role="img" width="100%" '
           f'viewBox="{_n(box.x)} {_n(box.y)} {_n(box.w)} {_n(height)}" aria-label="{escape(drawing.title)}">'
           f"<title>{escape(drawing.title)}</title>{STYLE}"]
    for part in drawing.parts:
        out.append(part.head)
        out.append(_state_class(part, done, now, flows))
        out.append(part.body)
    if with_legend:
        out.append(_legend(box.x + MARGIN / 2, box.bottom + 4))
    out.append("</svg>")
    return "".join(out)


def legend_svg() -> str:
    """A small standalone legend: 完成 / 当前 / 未到达."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" role="img" width="260" height="28" '
            f'viewBox="0 0 260 28" aria-label="图例：完成、当前、未到达"><title>图例</title>{STYLE}'
            f"{_legend(0, 0)}</svg>")


# ---------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


@dataclass(frozen=True)
class _Part:
    """One drawn element: `head` + the request's highlight classes + `body`."""

    element_id: str
    head: str
    body: str
    source: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class _Drawing:
    title: str
    view_box: _Box
    parts: tuple[_Part, ...]


@dataclass(frozen=True)
class _Source:
    """Cache key of a parsed file: its digest and the plane, not the bytes themselves."""

    digest: str
    process_id: str | None
    xml: bytes = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class _Node:
    id: str
    kind: str
    name: str
    box: _Box
    label: _Box | None
    element: ET.Element
    expanded: bool
    horizontal: bool


@dataclass(frozen=True)
class _Edge:
    id: str
    kind: str
    name: str
    points: tuple[tuple[float, float], ...]
    label: _Box | None
    source: str | None
    target: str | None
    marker: str  # "default", "conditional" or ""


class _Bounds:
    """The union of everything drawn, for the viewBox."""

    def __init__(self) -> None:
        self.x0 = self.y0 = math.inf
        self.x1 = self.y1 = -math.inf

    def add(self, box: _Box) -> None:
        self.x0, self.y0 = min(self.x0, box.x), min(self.y0, box.y)
        self.x1, self.y1 = max(self.x1, box.right), max(self.y1, box.bottom)

    def box(self) -> _Box:
        return _Box(self.x0 - MARGIN, self.y0 - MARGIN, self.x1 - self.x0 + 2 * MARGIN,
                    self.y1 - self.y0 + 2 * MARGIN)


# ---------------------------------------------------------------------------------------------- parsing


@functools.lru_cache(maxsize=32)
def _drawing(source: _Source) -> _Drawing:
    root = _parse_xml(source.xml)
    elements = {el.get("id", ""): el for el in root.iter() if el.tag.startswith(MODEL) and el.get("id")}
    plane = _choose_plane(root, elements, source.process_id)
    edges = [_edge(di, elements) for di in plane.iter(BPMNDI + "BPMNEdge")]
    shapes = list(plane.iter(BPMNDI + "BPMNShape"))
    shown = frozenset(di.get("bpmnElement", "") for di in shapes)
    nodes = [_node(di, elements, shown) for di in shapes]
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise InvalidInput(f"BPMN diagram plane {plane.get('id')!r} has no bpmndi:BPMNShape to draw")
    bounds = _Bounds()
    placer = _Placer(edges, [n.box for n in nodes if _layer(n) > 1])
    drawn = [(_layer(n), i, _draw_node(n, placer, bounds)) for i, n in enumerate(nodes)]
    flows = [(2, i, _draw_edge(e, placer, bounds)) for i, e in enumerate(edges)]
    parts = tuple(p for _, _, p in sorted(drawn + flows, key=lambda t: (t[0], t[1])))
    return _Drawing(_title(plane, elements, source.process_id), bounds.box(), parts)


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


def _bounds_of(di: ET.Element, what: str) -> _Box:
    bounds = di.find(DC + "Bounds")
    if bounds is None:
        raise InvalidInput(f"{what} has no dc:Bounds")
    x, y, w, h = (_number(bounds.get(a), f"{what} dc:Bounds {a}") for a in ("x", "y", "width", "height"))
    if w < 0 or h < 0:
        raise InvalidInput(f"{what} has a negative dc:Bounds size")
    return _Box(x, y, w, h)


def _label_of(di: ET.Element, what: str) -> _Box | None:
    label = di.find(BPMNDI + "BPMNLabel")
    if label is None or label.find(DC + "Bounds") is None:
        return None
    return _bounds_of(label, f"the label of {what}")


def _node(di: ET.Element, elements: Mapping[str, ET.Element], shown: frozenset[str]) -> _Node | None:
    ref = di.get("bpmnElement", "")
    element = elements.get(ref)
    if element is None:
        return None  # a shape for an element the file does not define: nothing to name or highlight
    what = f"bpmndi:BPMNShape for {ref!r}"
    kind = _local(element.tag)
    name = element.get("name") or ""
    if kind == "textAnnotation":
        name = "".join(element.findtext(MODEL + "text") or "")
    return _Node(ref, kind, name.strip(), _bounds_of(di, what), _label_of(di, what), element,
                 expanded=_is_expanded(di, element, shown), horizontal=di.get("isHorizontal", "true") != "false")


def _is_expanded(di: ET.Element, element: ET.Element, shown: frozenset[str]) -> bool:
    """As the DI says; when it does not say, expanded if its contents are drawn on this plane."""
    flag = di.get("isExpanded")
    if flag is not None:
        return flag == "true"
    return _local(element.tag) in SUBPROCESSES and any(child.get("id") in shown for child in element)


def _edge(di: ET.Element, elements: Mapping[str, ET.Element]) -> _Edge:
    ref = di.get("bpmnElement", "")
    what = f"bpmndi:BPMNEdge for {ref!r}"
    points = tuple((_number(w.get("x"), f"{what} waypoint x"), _number(w.get("y"), f"{what} waypoint y"))
                   for w in di.findall(DI + "waypoint"))
    if len(points) < 2:
        raise InvalidInput(f"{what} has fewer than two di:waypoint")
    element = elements.get(ref)
    kind = _local(element.tag) if element is not None else "association"
    source = element.get("sourceRef") if element is not None else None
    target = element.get("targetRef") if element is not None else None
    return _Edge(ref, kind, (element.get("name") or "").strip() if element is not None else "", points,
                 _label_of(di, what), source, target, _flow_marker(element, elements))


def _flow_marker(element: ET.Element | None, elements: Mapping[str, ET.Element]) -> str:
    if element is None or _local(element.tag) != "sequenceFlow":
        return ""
    source = elements.get(element.get("sourceRef", ""))
    if source is not None and source.get("default") == element.get("id"):
        return "default"
    conditional = element.find(MODEL + "conditionExpression") is not None
    if conditional and source is not None and _local(source.tag) not in GATEWAYS:
        return "conditional"
    return ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _layer(node: _Node) -> int:
    if node.kind in POOLS:
        return 0
    if node.kind in SUBPROCESSES and node.expanded or node.kind == "group":
        return 1
    return 4 if node.kind == "boundaryEvent" else 3


# ---------------------------------------------------------------------------------------------- text


def _char_units(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _units(text: str) -> int:
    return sum(_char_units(ch) for ch in text)


def _tokens(text: str) -> Iterator[str]:
    """Latin words stay whole; each wide character and each space is its own token."""
    word = ""
    for ch in text:
        if ch.isspace() or _char_units(ch) == 2:
            if word:
                yield word
                word = ""
            yield " " if ch.isspace() else ch
        else:
            word += ch
    if word:
        yield word


def wrap(text: str, width: float, max_lines: int) -> list[str]:
    """Break `text` into lines of at most `width` px (estimated), ellipsizing past `max_lines`."""
    limit = max(2, int(width / UNIT))
    lines = [line for paragraph in text.split("\n") for line in _wrap_paragraph(paragraph.strip(), limit)]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _units(last) + 1 > limit:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _wrap_paragraph(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    line, used = "", 0
    for token in _tokens(text):
        size = _units(token)
        if token == " ":
            if line and used + 1 <= limit:
                line, used = line + " ", used + 1
            continue
        if used + size <= limit or (line and token[0] in _CLOSING and size <= 2):
            line, used = line + token, used + size
            continue
        if line.strip():
            lines.append(line.rstrip())
        while size > limit:  # one word longer than a line: cut it
            cut = _cut(token, limit)
            lines.append(token[:cut])
            token = token[cut:]
            size = _units(token)
        line, used = token, size
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _cut(token: str, limit: int) -> int:
    used = 0
    for i, ch in enumerate(token):
        used += _char_units(ch)
        if used > limit:
            return max(i, 1)
    return len(token)


def _text(lines: list[str], x: float, top: float, anchor: str = "middle", cls: str = "bpmn-label") -> str:
    spans = "".join(f'<tspan x="{_n(x)}" y="{_n(top + FONT - 1 + i * LINE)}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text class="{cls}" text-anchor="{anchor}">{spans}</text>'


def _text_box(lines: list[str], x: float, top: float, anchor: str) -> _Box:
    width = max((_units(line) for line in lines), default=0) * UNIT
    left = {"middle": x - width / 2, "start": x, "end": x - width}[anchor]
    return _Box(left, top, width, len(lines) * LINE)


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


# ---------------------------------------------------------------------------------------------- nodes


def _draw_node(node: _Node, placer: _Placer, bounds: _Bounds) -> _Part:
    bounds.add(node.box)
    if node.kind in EVENTS:
        shape, classes = _event(node)
    elif node.kind in GATEWAYS:
        shape, classes = _gateway(node), "gateway"
    elif node.kind in POOLS:
        shape, classes = _pool(node), f"pool {_kebab(node.kind)}"
    elif node.kind in SUBPROCESSES and node.expanded:
        shape, classes = _container(node), "container"
    else:
        shape, classes = _other(node)
    label = _label(node, placer, bounds)
    head = f'<g data-id="{escape(node.id)}" class="el {classes} {_kebab(node.kind)}'
    return _Part(node.id, head, f'">{shape}{label}</g>')


def _label(node: _Node, placer: _Placer, bounds: _Bounds) -> str:
    if not node.name or node.kind in POOLS or (node.kind in SUBPROCESSES and node.expanded):
        return ""
    box = node.box
    if node.kind not in EVENTS | GATEWAYS | {"dataObjectReference", "dataStoreReference"}:
        return ""  # activities and annotations write their name inside the shape
    if node.label is not None:
        lines = wrap(node.name, max(node.label.w, 4 * UNIT) + 2 * UNIT, 4)
        top = node.label.cy - len(lines) * LINE / 2
        x, anchor = node.label.cx, "middle"
        placer.boxes.append(_text_box(lines, x, top, anchor))
    else:
        lines = wrap(node.name, EXTERNAL_LABEL_WIDTH, 3)
        x, anchor, top = placer.place(lines, _around(box, len(lines) * LINE), own=box)
    bounds.add(_text_box(lines, x, top, anchor))
    return _text(lines, x, top, anchor)


Spot = tuple[float, str, float]  # x, text-anchor, top


def _around(box: _Box, height: float) -> list[Spot]:
    """Where an external label may go, best first: below, above, right, the four diagonals, left."""
    qx, qy = box.w / 4, box.h / 4
    return [(box.cx, "middle", box.bottom + 4), (box.cx, "middle", box.y - 4 - height),
            (box.right + 5, "start", box.cy - height / 2),
            (box.right - qx + 3, "start", box.y + qy - height - 2),
            (box.right - qx + 3, "start", box.bottom - qy + 2),
            (box.x + qx - 3, "end", box.y + qy - height - 2),
            (box.x + qx - 3, "end", box.bottom - qy + 2),
            (box.x - 5, "end", box.cy - height / 2)]


class _Placer:
    """Puts labels where they cross no flow, no shape and no earlier label (or as few as can be)."""

    def __init__(self, edges: list[_Edge], boxes: list[_Box]) -> None:
        self.segments = [(a, b) for e in edges for a, b in zip(e.points, e.points[1:])]
        self.boxes = list(boxes)

    def place(self, lines: list[str], spots: list[Spot], own: _Box | None = None) -> Spot:
        best, fewest = spots[0], math.inf
        for spot in spots:
            x, anchor, top = spot
            hits = self._hits(_text_box(lines, x, top, anchor), own)
            if hits < fewest:
                best, fewest = spot, hits
            if not hits:
                break
        self.boxes.append(_text_box(lines, best[0], best[2], best[1]))
        return best

    def _hits(self, box: _Box, own: _Box | None) -> int:
        inner = _Box(box.x + 1, box.y + 1, max(box.w - 2, 0), max(box.h - 2, 0))
        return (sum(1 for a, b in self.segments if _crosses(a, b, inner))
                + sum(1 for other in self.boxes if other is not own and _overlap(other, inner)))


def _overlap(a: _Box, b: _Box) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


def _crosses(a: tuple[float, float], b: tuple[float, float], box: _Box) -> bool:
    """Whether segment a-b meets the box (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in ((-dx, a[0] - box.x), (dx, box.right - a[0]), (-dy, a[1] - box.y), (dy, box.bottom - a[1])):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _event(node: _Node) -> tuple[str, str]:
    box = node.box
    r = min(box.w, box.h) / 2
    cx, cy = box.cx, box.cy
    classes = ["event"]
    shape = f'<circle class="shape" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}"/>'
    if node.kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        shape += f'<circle class="shape inner" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(max(r - 3, 1))}"/>'
    if node.element.get("cancelActivity") == "false" or node.element.get("isInterrupting") == "false":
        classes.append("non-interrupting")
    throw = node.kind in ("endEvent", "intermediateThrowEvent")
    if throw:
        classes.append("throw")
    kind = _event_kind(node.element)
    if kind:
        classes.append(f"ev-{kind}")
        shape += (f'<g class="marker" transform="translate({_n(cx)} {_n(cy)}) scale({r / 18:.3f})">'
                  f"{_event_marker(kind, throw)}</g>")
    return shape, " ".join(classes)


def _event_kind(element: ET.Element) -> str:
    kinds = [_local(child.tag)[: -len("EventDefinition")] for child in element
             if child.tag.startswith(MODEL) and child.tag.endswith("EventDefinition")]
    refs = len(element.findall(MODEL + "eventDefinitionRef"))  # not resolved: they only count
    if len(kinds) + refs > 1:
        return "parallel-multiple" if element.get("parallelMultiple") == "true" else "multiple"
    return kinds[0] if kinds else ""


_PENTAGON = "M0,-10 L9.5,-3.1 L5.9,8.1 L-5.9,8.1 L-9.5,-3.1 Z"
_EVENT_MARKERS = {
    "timer": '<circle r="11"/><path d="M0,-11v3M11,0h-3M0,11v-3M-11,0h3M0,-7V0l5,3"/>',
    "signal": '<path d="M0,-10 L9,6 L-9,6 Z"/>',
    "error": '<path d="M-8,9 L-3,-8 L2,1 L8,-9 L3,8 L-2,-1 Z"/>',
    "escalation": '<path d="M0,-10 L7,9 L0,2 L-7,9 Z"/>',
    "conditional": '<path d="M-7,-10h14v20h-14z M-4,-5h8M-4,-1h8M-4,3h8M-4,7h8"/>',
    "terminate": '<circle class="fill" r="11"/>',
    "link": '<path d="M-9,-3h9v-5l8,8l-8,8v-5h-9z"/>',
    "compensation": '<path d="M-10,0 L-1,-6 L-1,6 Z M-1,0 L8,-6 L8,6 Z"/>',
    "cancel": '<path d="M-7,-7 L7,7 M7,-7 L-7,7" style="stroke-width:3"/>',
    "multiple": f'<path d="{_PENTAGON}"/>',
    "parallel-multiple": '<path d="M-3,-9h6v6h6v6h-6v6h-6v-6h-6v-6h6z"/>',
}


def _event_marker(kind: str, throw: bool) -> str:
    if kind == "message":  # an envelope, filled when sent
        fill, flap = (' class="fill"', ' class="knock"') if throw else ("", "")
        return f'<rect{fill} x="-9" y="-6" width="18" height="12"/><path{flap} d="M-9,-6 L0,1 L9,-6"/>'
    marker = _EVENT_MARKERS.get(kind, "")
    if throw and kind in ("signal", "error", "escalation", "link", "compensation", "multiple"):
        marker = marker.replace("<path ", '<path class="fill" ', 1)
    return marker


_GATEWAY_MARKERS = {
    "exclusiveGateway": '<path d="M-8,-8 L8,8 M8,-8 L-8,8"/>',
    "parallelGateway": '<path d="M0,-12 V12 M-12,0 H12"/>',
    "inclusiveGateway": '<circle r="11"/>',
    "complexGateway": '<path d="M0,-12V12M-12,0H12M-8,-8L8,8M8,-8L-8,8"/>',
    "eventBasedGateway": f'<circle r="13" style="stroke-width:1.5"/><circle r="10.5" style="stroke-width:1.5"/>'
                         f'<path d="{_PENTAGON}" transform="scale(0.6)" style="stroke-width:2.5"/>',
}


def _gateway(node: _Node) -> str:
    box = node.box
    diamond = (f"M{_n(box.cx)},{_n(box.y)} L{_n(box.right)},{_n(box.cy)} "
               f"L{_n(box.cx)},{_n(box.bottom)} L{_n(box.x)},{_n(box.cy)} Z")
    scale = min(box.w, box.h) / 50
    marker = _GATEWAY_MARKERS.get(node.kind, "")
    return (f'<path class="shape" d="{diamond}"/>'
            f'<g class="marker" transform="translate({_n(box.cx)} {_n(box.cy)}) scale({scale:.3f})">{marker}</g>')


def _container(node: _Node) -> str:
    box = node.box
    dashed = ' style="stroke-dasharray:8 4"' if node.element.get("triggeredByEvent") == "true" else ""
    shape = _rect(box, rx=10, extra=dashed)
    if node.kind == "transaction":
        shape += _rect(_Box(box.x + 3, box.y + 3, box.w - 6, box.h - 6), "shape inner", rx=8)
    lines = wrap(node.name, box.w - 16, 2)
    return shape + (_text(lines, box.x + 10, box.y + 6, "start", "bpmn-label bpmn-title") if lines else "")


def _pool(node: _Node) -> str:
    box = node.box
    shape = _rect(box)
    if not node.name:
        return shape
    if node.horizontal:
        band = f'<path class="shape" d="M{_n(box.x + 30)},{_n(box.y)} v{_n(box.h)}"/>'
        lines = wrap(node.name, box.h - 10, 2)
        cx, cy = box.x + 15, box.cy
        text = _text(lines, cx, cy - len(lines) * LINE / 2, "middle", "bpmn-label bpmn-title")
        return f'{shape}{band}<g transform="rotate(-90 {_n(cx)} {_n(cy)})">{text}</g>'
    band = f'<path class="shape" d="M{_n(box.x)},{_n(box.y + 30)} h{_n(box.w)}"/>'
    lines = wrap(node.name, box.w - 10, 1)
    return shape + band + _text(lines, box.cx, box.y + 15 - LINE / 2, "middle", "bpmn-label bpmn-title")


def _other(node: _Node) -> tuple[str, str]:
    """Activities (tasks, collapsed subprocesses, call activities) and artifacts."""
    box = node.box
    if node.kind == "dataObjectReference":
        fold = min(10.0, box.w / 3)
        path = (f"M{_n(box.x)},{_n(box.y)} h{_n(box.w - fold)} l{_n(fold)},{_n(fold)} v{_n(box.h - fold)} "
                f"h{_n(-box.w)} Z M{_n(box.right - fold)},{_n(box.y)} v{_n(fold)} h{_n(fold)}")
        return f'<path class="shape" d="{path}"/>', "artifact"
    if node.kind == "dataStoreReference":
        ry = min(8.0, box.h / 5)
        path = (f"M{_n(box.x)},{_n(box.y + ry)} a{_n(box.w / 2)},{_n(ry)} 0 0 0 {_n(box.w)},0 "
                f"a{_n(box.w / 2)},{_n(ry)} 0 0 0 {_n(-box.w)},0 v{_n(box.h - 2 * ry)} "
                f"a{_n(box.w / 2)},{_n(ry)} 0 0 0 {_n(box.w)},0 v{_n(-(box.h - 2 * ry))}")
        return f'<path class="shape" d="{path}"/>', "artifact"
    if node.kind == "textAnnotation":
        path = f"M{_n(box.x + 10)},{_n(box.y)} h-10 v{_n(box.h)} h10"
        lines = wrap(node.name, box.w - 10, max(1, int(box.h // LINE)))
        top = box.cy - len(lines) * LINE / 2
        return f'<path class="shape bracket" d="{path}"/>' + _text(lines, box.x + 6, top, "start"), "artifact"
    if node.kind == "group":
        name = _text(wrap(node.name, box.w - 10, 1), box.cx, box.y + 4)
        return _rect(box, "shape group-box", rx=10) + name, "artifact"
    return _activity(node), "activity"


_TASK_ICONS = {
    "serviceTask": '<circle cx="8" cy="8" r="5"/><circle cx="8" cy="8" r="2"/>'
                   '<path d="M8,1v2M8,13v2M1,8h2M13,8h2M3,3l1.5,1.5M11.5,11.5L13,13M13,3l-1.5,1.5M4.5,11.5L3,13"/>',
    "userTask": '<circle cx="8" cy="5" r="3.2"/><path d="M1.5,15 c0,-6 13,-6 13,0 Z"/>',
    "sendTask": '<rect class="fill" x="0" y="3" width="16" height="11"/><path class="knock" d="M0,3 L8,9 L16,3"/>',
    "receiveTask": '<rect x="0" y="3" width="16" height="11"/><path d="M0,3 L8,9 L16,3"/>',
    "scriptTask": '<path d="M4,1h10c-4,4 4,9 0,14h-10c4,-5 -4,-10 0,-14z M5,5h6M6,8h6M5,11h6"/>',
    "businessRuleTask": '<rect x="0" y="2" width="16" height="12"/><path d="M0,6h16M5,6v8"/>',
    "manualTask": '<path d="M1,7 h9 a1.5,1.5 0 0 1 0,3 h-2 h4 a1.5,1.5 0 0 1 0,3 h-9 a2,2 0 0 1 -2,-2 z"/>',
}


def _activity(node: _Node) -> str:
    box = node.box
    thick = ' style="stroke-width:3.5"' if node.kind == "callActivity" else ""
    shape = _rect(box, rx=10, extra=thick)
    icon = _TASK_ICONS.get(node.kind)
    if icon:
        shape += f'<g class="marker icon" transform="translate({_n(box.x + 6)} {_n(box.y + 6)})">{icon}</g>'
    markers = []
    if node.kind in SUBPROCESSES or node.kind == "callActivity" and node.element.get("calledElement"):
        markers.append('<rect x="-7" y="-14" width="14" height="14"/><path d="M0,-11v8M-4,-7h8"/>')
    loop = _loop_marker(node.element)
    if loop:
        markers.append(loop)
    if markers:
        left = box.cx - 9 * (len(markers) - 1)
        shape += "".join(f'<g class="marker" transform="translate({_n(left + 18 * i)} {_n(box.bottom - 3)})">{m}</g>'
                         for i, m in enumerate(markers))
    room = box.h - (20 if markers else 6)
    lines = wrap(node.name, box.w - 12, max(1, int(room // LINE)))
    top = box.y + (room + (3 if markers else 6)) / 2 - len(lines) * LINE / 2
    return shape + (_text(lines, box.cx, top) if lines else "")


def _loop_marker(element: ET.Element) -> str:
    multi = element.find(MODEL + "multiInstanceLoopCharacteristics")
    if multi is not None:
        if multi.get("isSequential") == "true":
            return '<path d="M-6,-12h12M-6,-8h12M-6,-4h12"/>'
        return '<path d="M-4,-13v10M0,-13v10M4,-13v10"/>'
    if element.find(MODEL + "standardLoopCharacteristics") is not None:
        return '<path d="M-3,-3 a6,6 0 1 1 5,0 M2,-3 l0,-4 M2,-3 l4,0"/>'
    return ""


def _rect(box: _Box, cls: str = "shape", *, rx: float = 0, extra: str = "") -> str:
    rounded = f' rx="{_n(rx)}"' if rx else ""
    return (f'<rect class="{cls}"{extra} x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" '
            f'height="{_n(box.h)}"{rounded}/>')


def _kebab(name: str) -> str:
    return "".join("-" + ch.lower() if ch.isupper() else ch for ch in name)


# ---------------------------------------------------------------------------------------------- edges


def _draw_edge(edge: _Edge, placer: _Placer, bounds: _Bounds) -> _Part:
    for x, y in edge.points:
        bounds.add(_Box(x, y, 0, 0))
    points = list(edge.points)
    parts = [f'<path class="line" d="{_polyline(_trimmed(points, edge.kind))}"/>']
    parts.extend(_edge_ends(edge))
    if edge.name:
        parts.append(_edge_label(edge, placer, bounds))
    head = f'<g data-id="{escape(edge.id)}" class="el flow-el {_kebab(edge.kind)}'
    highlightable = edge.kind in FLOWS
    return _Part(edge.id, head, f'">{"".join(parts)}</g>', edge.source if highlightable else None,
                 edge.target if highlightable else None)


def _polyline(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{_n(x)},{_n(y)}" for i, (x, y) in enumerate(points))


def _direction(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    length = math.hypot(b[0] - a[0], b[1] - a[1])
    return ((b[0] - a[0]) / length, (b[1] - a[1]) / length) if length else (1.0, 0.0)


def _last_segment(points: list[tuple[float, float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    tip = points[-1]
    for before in reversed(points[:-1]):
        if before != tip:
            return before, tip
    return points[0], tip


def _trimmed(points: list[tuple[float, float]], kind: str) -> list[tuple[float, float]]:
    """Stop the line inside the arrowhead so a thick stroke does not poke through its tip."""
    if kind not in FLOWS and not kind.startswith("data"):
        return points
    before, tip = _last_segment(points)
    ux, uy = _direction(before, tip)
    return points[:-1] + [(tip[0] - 6 * ux, tip[1] - 6 * uy)]


def _edge_ends(edge: _Edge) -> list[str]:
    points = list(edge.points)
    out = []
    if edge.kind in FLOWS or edge.kind.startswith("data"):
        before, tip = _last_segment(points)
        ux, uy = _direction(before, tip)
        bx, by = tip[0] - 11 * ux, tip[1] - 11 * uy
        corners = [tip, (bx - 4 * uy, by + 4 * ux), (bx + 4 * uy, by - 4 * ux)]
        out.append(f'<path class="head" d="{_polyline(corners)} Z"/>')
    start, after = points[0], points[1]
    ux, uy = _direction(start, after)
    if edge.kind == "messageFlow":
        out.append(f'<circle class="tail" cx="{_n(start[0] + 4 * ux)}" cy="{_n(start[1] + 4 * uy)}" r="4"/>')
    elif edge.marker == "default":
        qx, qy = start[0] + 10 * ux, start[1] + 10 * uy
        slash = [(qx - 3 * ux + 5 * uy, qy - 3 * uy - 5 * ux), (qx + 3 * ux - 5 * uy, qy + 3 * uy + 5 * ux)]
        out.append(f'<path class="line slash" d="{_polyline(slash)}"/>')
    elif edge.marker == "conditional":
        diamond = [start, (start[0] + 7 * ux - 4 * uy, start[1] + 7 * uy + 4 * ux),
                   (start[0] + 14 * ux, start[1] + 14 * uy), (start[0] + 7 * ux + 4 * uy, start[1] + 7 * uy - 4 * ux)]
        out.append(f'<path class="tail" d="{_polyline(diamond)} Z"/>')
    return out


def _edge_label(edge: _Edge, placer: _Placer, bounds: _Bounds) -> str:
    if edge.label is not None:
        lines = wrap(edge.name, max(edge.label.w, 4 * UNIT) + 2 * UNIT, 3)
        x, anchor, top = edge.label.cx, "middle", edge.label.cy - len(lines) * LINE / 2
        placer.boxes.append(_text_box(lines, x, top, anchor))
    else:
        lines = wrap(edge.name, 100, 3)
        x, anchor, top = placer.place(lines, _near_start(edge.points, len(lines) * LINE))
    bounds.add(_text_box(lines, x, top, anchor))
    return _text(lines, x, top, anchor, "bpmn-label bpmn-flow-label")


def _near_start(points: tuple[tuple[float, float], ...], height: float) -> list[Spot]:
    """Beside the first segment, just after it leaves its source (where 是/否 belong), either side."""
    (x0, y0), (x1, y1) = points[0], points[1]
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    if abs(x1 - x0) >= abs(y1 - y0):  # mostly horizontal: above, else below the line
        step, anchor = (14.0, "start") if x1 >= x0 else (-14.0, "end")
        return [(x0 + step, anchor, y0 - 3 - height), (x0 + step, anchor, y0 + 3),
                (mx, "middle", my - 3 - height), (mx, "middle", my + 3)]
    top = y0 + 12 if y1 >= y0 else y0 - 12 - height  # mostly vertical: right, else left of the line
    return [(x0 + 6, "start", top), (x0 - 6, "end", top),
            (mx + 6, "start", my - height / 2), (mx - 6, "end", my - height / 2)]


# ---------------------------------------------------------------------------------------------- highlight


def _state_class(part: _Part, done: frozenset[str], now: frozenset[str],
                 taken: frozenset[tuple[str, str]] | None) -> str:
    if part.source is not None and part.target is not None:
        if taken is not None:
            went = (part.source, part.target) in taken
        else:
            went = part.source in done and (part.target in done or part.target in now)
        return " done" if went else ""
    classes = ""
    if part.element_id in done:
        classes += " done"
    if part.element_id in now:
        classes += " current"
    return classes


def _legend(x: float, y: float) -> str:
    items = [("done", "完成"), ("current", "当前"), ("", "未到达")]
    out = ['<g class="legend">']
    for i, (state, text) in enumerate(items):
        left = x + i * 86
        out.append(f'<g class="el legend-item {state}"><rect class="shape" x="{_n(left + 2)}" y="{_n(y + 6)}" '
                   f'width="22" height="14" rx="3"/></g>'
                   f'<text class="bpmn-label" x="{_n(left + 32)}" y="{_n(y + 18)}">{text}</text>')
    out.append("</g>")
    return "".join(out)


STYLE = """<style>
.bpmn-diagram{background:#fff}
.bpmn-diagram text{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
 font-size:12px;fill:#2f3337}
.bpmn-diagram .bpmn-title{font-weight:600}
.bpmn-diagram .shape{fill:#fff;stroke:#8a9099;stroke-width:1.5}
.bpmn-diagram .container>.shape{fill:#fafbfc}
.bpmn-diagram .pool>.shape,.bpmn-diagram .group-box,.bpmn-diagram .bracket{fill:none}
.bpmn-diagram .group-box{stroke-dasharray:10 4 2 4}
.bpmn-diagram .end-event>.shape{stroke-width:4}
.bpmn-diagram .non-interrupting>.shape{stroke-dasharray:5 3}
.bpmn-diagram .marker{fill:none;stroke:#5f6670;stroke-width:1.5;stroke-linejoin:round;stroke-linecap:round}
.bpmn-diagram .marker .fill{fill:#5f6670}
.bpmn-diagram .marker .knock{stroke:#fff}
.bpmn-diagram .gateway .marker{stroke-width:3.5}
.bpmn-diagram .flow-el .line{fill:none;stroke:#9aa0a6;stroke-width:1.5;stroke-linejoin:round}
.bpmn-diagram .flow-el .head{fill:#9aa0a6;stroke:none}
.bpmn-diagram .flow-el .tail{fill:#fff;stroke:#9aa0a6;stroke-width:1.5}
.bpmn-diagram .message-flow .line{stroke-dasharray:8 5}
.bpmn-diagram .message-flow .head{fill:#fff;stroke:#9aa0a6;stroke-width:1.5}
.bpmn-diagram .association .line,.bpmn-diagram [class*="data-"] .line{stroke-dasharray:2 4}
.bpmn-diagram .bpmn-flow-label{fill:#5f6670}
.bpmn-diagram .done .shape{stroke:#2e7d32;fill:#e8f5e9}
.bpmn-diagram .done .marker{stroke:#2e7d32}
.bpmn-diagram .done .marker .fill{fill:#2e7d32}
.bpmn-diagram .done.container>.shape{fill:#f6fbf6}
.bpmn-diagram .flow-el.done .line{stroke:#2e7d32;stroke-width:2.5}
.bpmn-diagram .flow-el.done .head{fill:#2e7d32;stroke:#2e7d32}
.bpmn-diagram .flow-el.done .tail{stroke:#2e7d32}
.bpmn-diagram .flow-el.done .bpmn-flow-label{fill:#2e7d32;font-weight:600}
.bpmn-diagram .current .shape{stroke:#ef6c00;fill:#fff3e0;stroke-width:4}
.bpmn-diagram .current .marker{stroke:#e65100}
.bpmn-diagram .current .marker .fill{fill:#e65100}
.bpmn-diagram .current.container>.shape{fill:#fffaf3;stroke-width:3}
.bpmn-diagram .current.end-event>.shape{stroke-width:5}
.bpmn-diagram .current>text{font-weight:600;fill:#bf360c}
.bpmn-diagram .shape.inner{fill:none;stroke-width:1.5}
</style>"""


def readable_width(svg: str, scale: float = 0.75) -> int:
    """The width in CSS pixels under which a drawing's labels become too small to read (the page scrolls
    sideways instead of shrinking it further)."""
    found = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ', svg)
    return int(float(found.group(1)) * scale) if found else 0
