"""BPMN diagrams drawn on the server: every element of the shipped files, escaped names, the progress
highlight read from a real stored workflow, and clear refusals of files that cannot be drawn."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from SpiffWorkflow.util.task import TaskState

from engine.clock import VirtualClock
from engine.domain.errors import InvalidInput
from engine.persistence.tables import workflow_instances
from engine.runtime import progress
from engine.runtime.progress import StepProgress, progress_of
from engine.services import Engine
from tests.conftest import ROOT
from web import diagram
from web.diagram import legend_svg, render_svg, wrap

BPMN_DIR = ROOT / "bpmn"
SHIPPED = sorted(BPMN_DIR.glob("*.bpmn"))
MODEL = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SVG = "{http://www.w3.org/2000/svg}"
FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
              "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "task",
              "serviceTask", "userTask", "subProcess", "callActivity", "sendTask", "receiveTask"}
WAITS = {"intermediateCatchEvent", "eventBasedGateway", "boundaryEvent", "subProcess"}


def ids_of_kind(path: Path, kinds: set[str]) -> set[str]:
    root = ET.parse(path).getroot()
    return {el.get("id", "") for el in root.iter() if el.tag.startswith(MODEL) and el.tag[len(MODEL):] in kinds}


def drawn(svg: str) -> dict[str, set[str]]:
    """data-id -> the classes of its group, from the SVG parsed as XML."""
    root = ET.fromstring(svg)
    return {g.get("data-id", ""): set(g.get("class", "").split()) for g in root.iter(SVG + "g") if g.get("data-id")}


def synthetic(name: str = "Task", process: str = "p", *, di: bool = True, doctype: str = "") -> bytes:
    shapes = ("""<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="pl" bpmnElement="PROC">
      <bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="10" y="10" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="t_di" bpmnElement="t"><dc:Bounds x="100" y="0" width="110" height="64"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f_di" bpmnElement="f"><di:waypoint x="46" y="28"/>
        <di:waypoint x="100" y="28"/></bpmndi:BPMNEdge>
      </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>""" if di else "").replace("PROC", process)
    return f"""<?xml version="1.0" encoding="UTF-8"?>{doctype}
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs" targetNamespace="x">
  <bpmn:process id="{process}" name="{name}">
    <bpmn:startEvent id="s" name="{name}"/>
    <bpmn:task id="t" name="{name}"/>
    <bpmn:sequenceFlow id="f" name="{name}" sourceRef="s" targetRef="t"/>
  </bpmn:process>{shapes}
</bpmn:definitions>""".encode()


# --- the shipped files ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_flow_node_and_sequence_flow_of_a_shipped_file_is_drawn_with_its_id(path: Path):
    svg = render_svg(path.read_bytes())
    expected = ids_of_kind(path, FLOW_NODES | {"sequenceFlow"})
    assert expected and expected <= set(drawn(svg))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_drawing_is_a_standalone_accessible_svg(path: Path):
    root = ET.fromstring(render_svg(path.read_bytes()))
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img" and root.get("width") == "100%"
    assert len(root.get("viewBox", "").split()) == 4
    title = root.find(SVG + "title")
    assert title is not None and title.text and title.text in (root.get("aria-label") or "")
    assert root.find(SVG + "style") is not None
    assert "<script" not in ET.tostring(root, encoding="unicode")


def test_the_process_name_titles_the_drawing():
    root = ET.fromstring(render_svg((BPMN_DIR / "work_order.bpmn").read_bytes()))
    assert root.get("aria-label") == "流程图：工单督办（催办阶梯）"


def test_names_are_escaped():
    hostile = 'a&lt;b &amp; &quot;c&quot; &lt;script&gt;'
    svg = render_svg(synthetic(hostile))
    root = ET.fromstring(svg)  # would fail on a raw < or &
    texts = {"".join(t.itertext()) for t in root.iter(SVG + "text")}
    assert any('a<b & "c"' in text for text in texts)
    assert root.get("aria-label") == '流程图：a<b & "c" <script>'
    assert "<script>" not in svg


# --- highlighting ---------------------------------------------------------------------------------

def test_done_and_current_land_on_the_right_ids():
    xml = (BPMN_DIR / "work_order.bpmn").read_bytes()
    classes = drawn(render_svg(xml, completed={"start_dispatched", "gw_cycle_kind"},
                               current={"task_sms_dispatched"}))
    assert "done" in classes["start_dispatched"] and "current" not in classes["start_dispatched"]
    assert "current" in classes["task_sms_dispatched"] and "done" not in classes["task_sms_dispatched"]
    assert "done" in classes["flow_start_dispatched__gw_cycle_kind"]       # both ends completed
    assert "done" in classes["flow_gw_cycle_kind__task_sms_dispatched"]    # source completed, target current
    assert "done" not in classes["flow_gw_cycle_kind__task_sms_reopened"]
    assert not {"done", "current"} & classes["task_sms_reopened"]
    assert not {"done", "current"} & classes["end_closed"]


def test_an_element_passed_and_waited_at_again_is_both_done_and_current():
    classes = drawn(render_svg(synthetic(), completed={"s", "t"}, current={"t"}))
    assert {"done", "current"} <= classes["t"]


def test_taken_flows_decide_which_flows_are_done_when_given():
    xml = (BPMN_DIR / "work_order.bpmn").read_bytes()
    classes = drawn(render_svg(xml, completed={"gw_due_soon_armed", "gw_overdue_armed"},
                               taken={("gw_due_soon_armed", "timer_due_soon")}))
    assert "done" not in classes["flow_gw_due_soon_armed__gw_overdue_armed"]  # both ends done, not taken
    assert "done" in classes["flow_gw_due_soon_armed__timer_due_soon"]


def test_a_legend_comes_with_highlighting_or_on_request():
    xml = synthetic()
    assert "未到达" not in render_svg(xml)
    assert "未到达" in render_svg(xml, current={"t"})
    assert "未到达" not in render_svg(xml, current={"t"}, legend=False)
    legend = ET.fromstring(legend_svg())
    assert {"完成", "当前", "未到达"} <= {"".join(t.itertext()) for t in legend.iter(SVG + "text")}


def test_the_parsed_geometry_is_cached_and_only_the_highlight_varies():
    xml = (BPMN_DIR / "quarterly_report.bpmn").read_bytes()
    render_svg(xml)
    before = diagram._drawing.cache_info().hits
    plain, lit = render_svg(xml), render_svg(xml, completed={"start_quarter"}, legend=False)
    assert diagram._drawing.cache_info().hits == before + 2
    assert plain != lit and plain.replace('class="el event start-event', "") != plain


# --- planes and refusals --------------------------------------------------------------------------

def test_process_id_chooses_the_plane():
    two = synthetic(process="p1").decode().replace("</bpmn:definitions>", "")
    second = synthetic(process="p2").decode()
    body = second[second.index("<bpmn:process"):].replace('id="s"', 'id="s2"').replace('id="t"', 'id="t2"')
    body = body.replace('"s"', '"s2"').replace('"t"', '"t2"').replace('id="f"', 'id="f2"').replace('"f"', '"f2"')
    body = body.replace('id="d"', 'id="d2"').replace('id="pl"', 'id="pl2"')
    xml = (two + body).encode()
    assert {"s", "t", "f"} <= set(drawn(render_svg(xml))) and "s2" not in drawn(render_svg(xml))
    assert {"s2", "t2", "f2"} <= set(drawn(render_svg(xml, process_id="p2")))
    with pytest.raises(InvalidInput, match="no diagram plane for process 'p3'"):
        render_svg(xml, process_id="p3")


COLLABORATION = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs" targetNamespace="x">
  <bpmn:collaboration id="collab">
    <bpmn:participant id="pool_citizen" name="citizens" processRef="citizen"/>
    <bpmn:participant id="pool_hotline" name="12345 hotline" processRef="hotline"/>
    <bpmn:messageFlow id="mf_call" sourceRef="send_call" targetRef="start_call"/>
  </bpmn:collaboration>
  <bpmn:process id="citizen"><bpmn:intermediateThrowEvent id="send_call"><bpmn:messageEventDefinition/>
    </bpmn:intermediateThrowEvent></bpmn:process>
  <bpmn:process id="hotline">
    <bpmn:laneSet><bpmn:lane id="lane_a" name="operators"/></bpmn:laneSet>
    <bpmn:startEvent id="start_call"><bpmn:messageEventDefinition/></bpmn:startEvent>
    <bpmn:userTask id="task_log" name="Record the call"/>
    <bpmn:boundaryEvent id="b_timer" attachedToRef="task_log" cancelActivity="false"><bpmn:timerEventDefinition/>
      </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="h1" sourceRef="start_call" targetRef="task_log"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="collab">
    <bpmndi:BPMNShape id="p1" bpmnElement="pool_citizen" isHorizontal="true">
      <dc:Bounds x="0" y="0" width="600" height="120"/>
      </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="e1" bpmnElement="send_call">
      <dc:Bounds x="160" y="42" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="p2" bpmnElement="pool_hotline" isHorizontal="true">
      <dc:Bounds x="0" y="160" width="600" height="150"/>
      </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="l1" bpmnElement="lane_a" isHorizontal="true">
      <dc:Bounds x="30" y="160" width="570" height="150"/>
      </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="e2" bpmnElement="start_call">
      <dc:Bounds x="160" y="212" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="t1" bpmnElement="task_log">
      <dc:Bounds x="240" y="190" width="110" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="b1" bpmnElement="b_timer">
      <dc:Bounds x="300" y="252" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="m1" bpmnElement="mf_call"><di:waypoint x="178" y="78"/>
      <di:waypoint x="178" y="212"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="s1" bpmnElement="h1"><di:waypoint x="196" y="230"/>
      <di:waypoint x="240" y="230"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def test_a_collaboration_draws_pools_lanes_and_message_flows_and_is_found_by_process_id():
    svg = render_svg(COLLABORATION, process_id="hotline", completed={"send_call", "start_call"}, current={"b_timer"})
    classes = drawn(svg)
    assert {"pool_citizen", "pool_hotline", "lane_a", "task_log", "h1"} <= set(classes)
    assert "done" in classes["mf_call"] and "current" in classes["b_timer"]
    assert {"non-interrupting", "ev-timer"} <= classes["b_timer"]
    assert ET.fromstring(svg).get("aria-label") == "流程图：12345 hotline"


@pytest.mark.parametrize("xml, message", [
    (b"<bpmn:definitions", "not well-formed XML"),
    (b"", "not well-formed XML"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a BPMN 2.0 document"),
    (synthetic(di=False), "no diagram interchange"),
    (synthetic(doctype='<!DOCTYPE x [<!ENTITY e "boom">]>'), "DTD"),
    (synthetic().replace(b'<dc:Bounds x="10" y="10" width="36" height="36"/>', b""), "'s' has no dc:Bounds"),
    (synthetic().replace(b'y="10" width="36"', b'y="ten" width="36"'), "not a number"),
    (synthetic().replace(b'<di:waypoint x="100" y="28"/>', b""), "fewer than two di:waypoint"),
])
def test_files_that_cannot_be_drawn_are_refused_with_a_reason(xml: bytes, message: str):
    with pytest.raises(InvalidInput, match=message):
        render_svg(xml)


# --- text -----------------------------------------------------------------------------------------

def test_wrapping_counts_cjk_characters_double():
    def units(n: int) -> float:
        return (n + 0.5) * diagram.UNIT

    assert wrap("短信：派单通知", units(14), 3) == ["短信：派单通知"]
    assert wrap("短信：派单通知", units(8), 3) == ["短信：派", "单通知"]
    assert wrap("短信：派单通知", units(4), 5) == ["短信：", "派单", "通知"]  # no line starts with ：
    assert wrap("send the reminder", units(9), 3) == ["send the", "reminder"]
    assert wrap("x" * 30, units(10), 2) == ["x" * 10, "x" * 9 + "…"]


# --- progress from the stored state ----------------------------------------------------------------

def test_progress_constants_match_spiffworkflow():
    assert (progress.COMPLETED, progress.WAITING, progress.READY, progress.STARTED) == (
        TaskState.COMPLETED, TaskState.WAITING, TaskState.READY, TaskState.STARTED)


def test_replay_state_has_no_progress():
    assert progress_of("{}") == StepProgress()


def test_an_embedded_spec_names_elements_by_bpmn_id():
    state = {"spec": {"task_specs": {"Start": {"bpmn_id": None}, "T1": {"bpmn_id": "task_one"}}},
             "tasks": {"a": {"task_spec": "Start", "state": 64, "parent": None},
                       "b": {"task_spec": "T1", "state": 16, "parent": "a"}}}
    assert progress_of(json.dumps(state)) == StepProgress(frozenset(), frozenset({"task_one"}), frozenset())


def stored_state(engine: Engine, number: str) -> str:
    with engine.store.reading() as tx:
        return str(tx.c.execute(sa.select(workflow_instances.c.state).where(
            workflow_instances.c.order_number == number, workflow_instances.c.kind == "work_order")).scalar_one())


def test_a_running_work_order_shows_its_steps_taken_and_where_it_waits(
        make_engine: Callable[..., Engine], clock: VirtualClock):
    engine = make_engine(clock=clock)
    engine.register_unit("U1", "揭阳市生态环境局", ["+8613800138000"])
    engine.open_work_order(number="WO-1", unit_code="U1", category="咨询", urgency="一般", source="12345",
                           at=clock.now())
    clock.advance(days=1, hours=3)  # past the due-soon reminder, before the sign-for deadline
    assert engine.fire_due_timers() >= 1

    step = progress_of(stored_state(engine, "WO-1"))
    path = BPMN_DIR / "work_order.bpmn"
    assert {"start_dispatched", "task_sms_dispatched", "timer_due_soon", "task_sms_due_soon"} <= step.completed
    assert step.current and step.current <= ids_of_kind(path, WAITS)
    assert step.current & ids_of_kind(path, {"intermediateCatchEvent"}) & {"timer_overdue"}
    assert {"Start", "End"}.isdisjoint(step.completed | step.current)
    assert not any("." in element for element in step.completed | step.current)
    assert ("timer_due_soon", "task_sms_due_soon") in step.flows

    classes = drawn(render_svg(path.read_bytes(), completed=step.completed, current=step.current, taken=step.flows))
    assert "done" in classes["start_dispatched"] and "done" in classes["task_sms_due_soon"]
    assert "current" in classes["timer_overdue"]
    assert "done" in classes["flow_timer_due_soon__task_sms_due_soon"]
    assert "done" not in classes["flow_gw_due_soon_armed__gw_overdue_armed"]
