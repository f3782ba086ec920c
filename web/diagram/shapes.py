"""Drawing the shapes: events, gateways, activities, expanded subprocesses, pools and lanes, data and
annotations, with their BPMN markers; names go inside activities and beside events, gateways and data."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from html import escape

from web.diagram.geometry import Bounds, Box, px
from web.diagram.model import EVENTS, GATEWAYS, MODEL, POOLS, SUBPROCESSES, Node, Part, local_name
from web.diagram.placement import Placer, around
from web.diagram.style import css_class
from web.diagram.text import LINE, UNIT, svg_text, text_box, wrap

EXTERNAL_LABEL_WIDTH = 120  # events, gateways and data without a BPMNLabel


def draw_node(node: Node, placer: Placer, bounds: Bounds) -> Part:
    """The shape with its markers and name; its box and external label are added to `bounds`."""
    bounds.add(node.box)
    if node.kind in EVENTS:
        shape, classes = _event(node)
    elif node.kind in GATEWAYS:
        shape, classes = _gateway(node), "gateway"
    elif node.kind in POOLS:
        shape, classes = _pool(node), f"pool {css_class(node.kind)}"
    elif node.kind in SUBPROCESSES and node.expanded:
        shape, classes = _container(node), "container"
    else:
        shape, classes = _other(node)
    label = _label(node, placer, bounds)
    head = f'<g data-id="{escape(node.id)}" class="el {classes} {css_class(node.kind)}'
    return Part(node.id, head, f'">{shape}{label}</g>')


def _label(node: Node, placer: Placer, bounds: Bounds) -> str:
    if not node.name or node.kind in POOLS or (node.kind in SUBPROCESSES and node.expanded):
        return ""
    box = node.box
    if node.kind not in EVENTS | GATEWAYS | {"dataObjectReference", "dataStoreReference"}:
        return ""  # activities and annotations write their name inside the shape
    if node.label is not None:
        lines = wrap(node.name, max(node.label.w, 4 * UNIT) + 2 * UNIT, 4)
        top = node.label.cy - len(lines) * LINE / 2
        x, anchor = node.label.cx, "middle"
        placer.boxes.append(text_box(lines, x, top, anchor))
    else:
        lines = wrap(node.name, EXTERNAL_LABEL_WIDTH, 3)
        x, anchor, top = placer.place(lines, around(box, len(lines) * LINE), own=box)
    bounds.add(text_box(lines, x, top, anchor))
    return svg_text(lines, x, top, anchor)


def _event(node: Node) -> tuple[str, str]:
    box = node.box
    r = min(box.w, box.h) / 2
    cx, cy = box.cx, box.cy
    classes = ["event"]
    shape = f'<circle class="shape" cx="{px(cx)}" cy="{px(cy)}" r="{px(r)}"/>'
    if node.kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
        shape += f'<circle class="shape inner" cx="{px(cx)}" cy="{px(cy)}" r="{px(max(r - 3, 1))}"/>'
    if node.element.get("cancelActivity") == "false" or node.element.get("isInterrupting") == "false":
        classes.append("non-interrupting")
    throw = node.kind in ("endEvent", "intermediateThrowEvent")
    if throw:
        classes.append("throw")
    kind = _event_kind(node.element)
    if kind:
        classes.append(f"ev-{kind}")
        shape += (f'<g class="marker" transform="translate({px(cx)} {px(cy)}) scale({r / 18:.3f})">'
                  f"{_event_marker(kind, throw)}</g>")
    return shape, " ".join(classes)


def _event_kind(element: ET.Element) -> str:
    kinds = [local_name(child.tag)[: -len("EventDefinition")] for child in element
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


def _gateway(node: Node) -> str:
    box = node.box
    diamond = (f"M{px(box.cx)},{px(box.y)} L{px(box.right)},{px(box.cy)} "
               f"L{px(box.cx)},{px(box.bottom)} L{px(box.x)},{px(box.cy)} Z")
    scale = min(box.w, box.h) / 50
    marker = _GATEWAY_MARKERS.get(node.kind, "")
    return (f'<path class="shape" d="{diamond}"/>'
            f'<g class="marker" transform="translate({px(box.cx)} {px(box.cy)}) scale({scale:.3f})">{marker}</g>')


def _container(node: Node) -> str:
    box = node.box
    dashed = ' style="stroke-dasharray:8 4"' if node.element.get("triggeredByEvent") == "true" else ""
    shape = _rect(box, rx=10, extra=dashed)
    if node.kind == "transaction":
        shape += _rect(Box(box.x + 3, box.y + 3, box.w - 6, box.h - 6), "shape inner", rx=8)
    lines = wrap(node.name, box.w - 16, 2)
    return shape + (svg_text(lines, box.x + 10, box.y + 6, "start", "bpmn-label bpmn-title") if lines else "")


def _pool(node: Node) -> str:
    box = node.box
    shape = _rect(box)
    if not node.name:
        return shape
    if node.horizontal:
        band = f'<path class="shape" d="M{px(box.x + 30)},{px(box.y)} v{px(box.h)}"/>'
        lines = wrap(node.name, box.h - 10, 2)
        cx, cy = box.x + 15, box.cy
        text = svg_text(lines, cx, cy - len(lines) * LINE / 2, "middle", "bpmn-label bpmn-title")
        return f'{shape}{band}<g transform="rotate(-90 {px(cx)} {px(cy)})">{text}</g>'
    band = f'<path class="shape" d="M{px(box.x)},{px(box.y + 30)} h{px(box.w)}"/>'
    lines = wrap(node.name, box.w - 10, 1)
    return shape + band + svg_text(lines, box.cx, box.y + 15 - LINE / 2, "middle", "bpmn-label bpmn-title")


def _other(node: Node) -> tuple[str, str]:
    """Activities (tasks, collapsed subprocesses, call activities) and artifacts."""
    box = node.box
    if node.kind == "dataObjectReference":
        fold = min(10.0, box.w / 3)
        path = (f"M{px(box.x)},{px(box.y)} h{px(box.w - fold)} l{px(fold)},{px(fold)} v{px(box.h - fold)} "
                f"h{px(-box.w)} Z M{px(box.right - fold)},{px(box.y)} v{px(fold)} h{px(fold)}")
        return f'<path class="shape" d="{path}"/>', "artifact"
    if node.kind == "dataStoreReference":
        ry = min(8.0, box.h / 5)
        path = (f"M{px(box.x)},{px(box.y + ry)} a{px(box.w / 2)},{px(ry)} 0 0 0 {px(box.w)},0 "
                f"a{px(box.w / 2)},{px(ry)} 0 0 0 {px(-box.w)},0 v{px(box.h - 2 * ry)} "
                f"a{px(box.w / 2)},{px(ry)} 0 0 0 {px(box.w)},0 v{px(-(box.h - 2 * ry))}")
        return f'<path class="shape" d="{path}"/>', "artifact"
    if node.kind == "textAnnotation":
        path = f"M{px(box.x + 10)},{px(box.y)} h-10 v{px(box.h)} h10"
        lines = wrap(node.name, box.w - 10, max(1, int(box.h // LINE)))
        top = box.cy - len(lines) * LINE / 2
        return f'<path class="shape bracket" d="{path}"/>' + svg_text(lines, box.x + 6, top, "start"), "artifact"
    if node.kind == "group":
        name = svg_text(wrap(node.name, box.w - 10, 1), box.cx, box.y + 4)
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


def _activity(node: Node) -> str:
    box = node.box
    thick = ' style="stroke-width:3.5"' if node.kind == "callActivity" else ""
    shape = _rect(box, rx=10, extra=thick)
    icon = _TASK_ICONS.get(node.kind)
    if icon:
        shape += f'<g class="marker icon" transform="translate({px(box.x + 6)} {px(box.y + 6)})">{icon}</g>'
    markers = []
    if node.kind in SUBPROCESSES or node.kind == "callActivity" and node.element.get("calledElement"):
        markers.append('<rect x="-7" y="-14" width="14" height="14"/><path d="M0,-11v8M-4,-7h8"/>')
    loop = _loop_marker(node.element)
    if loop:
        markers.append(loop)
    if markers:
        left = box.cx - 9 * (len(markers) - 1)
        shape += "".join(f'<g class="marker" transform="translate({px(left + 18 * i)} {px(box.bottom - 3)})">{m}</g>'
                         for i, m in enumerate(markers))
    room = box.h - (20 if markers else 6)
    lines = wrap(node.name, box.w - 12, max(1, int(room // LINE)))
    top = box.y + (room + (3 if markers else 6)) / 2 - len(lines) * LINE / 2
    return shape + (svg_text(lines, box.cx, top) if lines else "")


def _loop_marker(element: ET.Element) -> str:
    multi = element.find(MODEL + "multiInstanceLoopCharacteristics")
    if multi is not None:
        if multi.get("isSequential") == "true":
            return '<path d="M-6,-12h12M-6,-8h12M-6,-4h12"/>'
        return '<path d="M-4,-13v10M0,-13v10M4,-13v10"/>'
    if element.find(MODEL + "standardLoopCharacteristics") is not None:
        return '<path d="M-3,-3 a6,6 0 1 1 5,0 M2,-3 l0,-4 M2,-3 l4,0"/>'
    return ""


def _rect(box: Box, cls: str = "shape", *, rx: float = 0, extra: str = "") -> str:
    rounded = f' rx="{px(rx)}"' if rx else ""
    return (f'<rect class="{cls}"{extra} x="{px(box.x)}" y="{px(box.y)}" width="{px(box.w)}" '
            f'height="{px(box.h)}"{rounded}/>')
