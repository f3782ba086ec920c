"""Hostile BPMN files: refused when loaded, or failing safely when run, never touching the file system.

Every attack writes (or would write) a marker file under the test's tmp directory; each test proves
the marker does not exist afterwards.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.clock import VirtualClock
from engine.domain.errors import ProcessDefinitionError, RuleExecutionError
from engine.persistence.tables import actions, outbox, workflow_instances
from engine.runtime import runner, serializer
from engine.runtime.definitions import load_directory, parse_definition
from engine.runtime.script_engine import SCRIPT_ENGINE
from tests.conftest import ROOT, local
from workflows.operations import OPERATIONS

BPMN = ROOT / "bpmn"
KNOWN = frozenset(OPERATIONS)
_SCRIPT = Path(sys.executable).with_name("duban")
DUBAN = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "web.cli"]  # the console script if installed


def original(stem: str) -> str:
    return (BPMN / f"{stem}.bpmn").read_text(encoding="utf-8")


def swap(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the fixture expects exactly one {old!r} in the original file"
    return text.replace(old, new)


QUARTERLY_TIMER = ">report_at</bpmn:timeDate>"
QUARTERLY_PARAM = 'value="quarter"'
REOPEN_CONDITION = '">is_reopen</bpmn:conditionExpression>'
QUARTERLY_TASK_OPEN = '<bpmn:serviceTask id="task_quarterly_report" name="生成季度专报">'
QUARTERLY_TASK_EXT = """<bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="report.quarterly">"""
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>'
QUARTERLY_TIMER_DEF = """<bpmn:timerEventDefinition id="timer_report_day_def">
        <bpmn:timeDate xsi:type="bpmn:tFormalExpression">report_at</bpmn:timeDate>
      </bpmn:timerEventDefinition>"""
QUARTERLY_INCOMING = "<bpmn:incoming>flow_timer_report_day__task_quarterly_report</bpmn:incoming>"


def in_quarterly_task(element: str) -> Callable[[str, Path], str]:
    """The quarterly report task carrying `element` (a loop, or an extension holding an expression)."""
    return lambda t, m: swap(t, QUARTERLY_INCOMING, QUARTERLY_INCOMING + element)


def conditional_event(condition: str) -> Callable[[str, Path], str]:
    return lambda t, m: swap(t, QUARTERLY_TIMER_DEF, '<bpmn:conditionalEventDefinition id="cond"><bpmn:condition '
                             f'xsi:type="bpmn:tFormalExpression">{condition}</bpmn:condition>'
                             "</bpmn:conditionalEventDefinition>")


def escape_subclasses(marker: Path) -> str:
    return ("[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
            f".__init__.__globals__['system']('touch {marker}')")


def replace_service_with_script(text: str, marker: Path) -> str:
    start = text.index(QUARTERLY_TASK_OPEN)
    end = text.index("</bpmn:serviceTask>", start) + len("</bpmn:serviceTask>")
    script = f"""<bpmn:scriptTask id="task_quarterly_report" name="生成季度专报">
      <bpmn:incoming>flow_timer_report_day__task_quarterly_report</bpmn:incoming>
      <bpmn:outgoing>flow_task_quarterly_report__end_quarter</bpmn:outgoing>
      <bpmn:script>import os
os.system('touch {marker}')</bpmn:script>
    </bpmn:scriptTask>"""
    return text[:start] + script + text[end:]


@dataclass(frozen=True)
class Hostile:
    name: str
    stem: str  # the file it is a copy of (and the process id it must declare)
    make: Callable[[str, Path], str | bytes]  # (original text, marker) -> hostile file content
    reason: str  # a fragment the refusal must contain
    element: str | None = None  # the BPMN element the refusal should name, where there is one


HOSTILE = [
    Hostile("condition-import", "work_order",
            lambda t, m: swap(t, REOPEN_CONDITION,
                              f'">__import__(\'os\').system(\'touch {m}\')</bpmn:conditionExpression>'),
            "__import__", "flow_gw_cycle_kind__task_sms_reopened"),
    Hostile("condition-underscore-name", "work_order",
            lambda t, m: swap(t, REOPEN_CONDITION, '">_getattr_ is not None</bpmn:conditionExpression>'),
            "starts with", "flow_gw_cycle_kind__task_sms_reopened"),
    Hostile("timer-subclass-escape", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TIMER, f">{escape_subclasses(m)}</bpmn:timeDate>"),
            "__class__", "timer_report_day"),
    Hostile("param-subclass-escape", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_PARAM, f'value="{escape_subclasses(m)}"'),
            "__subclasses__", "quarter"),
    Hostile("timer-import-in-lambda", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TIMER,
                              f">(lambda: __import__('os').system('touch {m}'))()</bpmn:timeDate>"),
            "__import__", "timer_report_day"),
    # found by the adversarial run (issue 15): expressions SpiffWorkflow evaluates that the loader did not check,
    # loops, and expressions that run without limit
    Hostile("conditional-event-import", "quarterly_report", conditional_event("__import__('os').system('true')"),
            "__import__", "timer_report_day"),
    Hostile("loop-cardinality", "quarterly_report", in_quarterly_task(
        '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">10**7'
        "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>"),
            "multiInstanceLoopCharacteristics", "task_quarterly_report"),
    Hostile("loop-condition-true", "quarterly_report", in_quarterly_task(
        '<bpmn:standardLoopCharacteristics><bpmn:loopCondition xsi:type="bpmn:tFormalExpression">True'
        "</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"),
            "standardLoopCharacteristics", "task_quarterly_report"),
    Hostile("completion-condition-import", "quarterly_report", in_quarterly_task(
        '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">__import__("os")</bpmn:completionCondition>'),
            "__import__", "task_quarterly_report"),
    Hostile("message-payload-import", "quarterly_report", in_quarterly_task(
        "<bpmn:extensionElements><spiffworkflow:messagePayload>__import__('os').getcwd()"
        "</spiffworkflow:messagePayload></bpmn:extensionElements>"),
            "__import__", "task_quarterly_report"),
    Hostile("huge-power", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_PARAM, 'value="str(10**10**8)[:5]"'), "Pow is not allowed", "quarter"),
    Hostile("string-repetition", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_PARAM, "value=\"'x' * 999999999\""), "Mult is not allowed", "quarter"),
    Hostile("comprehension-over-range", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_PARAM, 'value="[x for x in range(999999999)]"'),
            "ListComp is not allowed", "quarter"),
    Hostile("method-call-blowup", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_PARAM, "value=\"quarter.ljust(999999999)\""), "may be called", "quarter"),
    Hostile("huge-number", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_PARAM, 'value="str(99999999999999999999)"'), "out of range", "quarter"),
    # refused at load now; they used to load and fail only when run
    Hostile("timer-open-read", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TIMER, ">open('/etc/passwd').read()</bpmn:timeDate>"), "may be called"),
    Hostile("timer-format-escape", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TIMER,
                              ">'{0.__class__.__base__.__subclasses__}'.format(report_at)</bpmn:timeDate>"),
            "may be called"),
    Hostile("timer-globals-subscript", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TIMER, f">globals()['__builtins__']['open']('{m}', 'w')</bpmn:timeDate>"),
            "may be called"),
    Hostile("timer-getattr-string", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TIMER, ">getattr(report_at, '__class__')</bpmn:timeDate>"), "may be called"),
    Hostile("script-task", "quarterly_report", lambda t, m: replace_service_with_script(t, m),
            "scriptTask", "task_quarterly_report"),
    Hostile("pre-script", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TASK_EXT, QUARTERLY_TASK_EXT.replace(
                "<bpmn:extensionElements>",
                f"<bpmn:extensionElements>\n<spiffworkflow:preScript>import os; os.system('touch {m}')"
                "</spiffworkflow:preScript>")),
            "preScript", "task_quarterly_report"),
    Hostile("post-script", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TASK_EXT, QUARTERLY_TASK_EXT.replace(
                "<bpmn:extensionElements>",
                f"<bpmn:extensionElements>\n<spiffworkflow:postScript>open('{m}', 'w')</spiffworkflow:postScript>")),
            "postScript", "task_quarterly_report"),
    Hostile("unknown-operation", "quarterly_report",
            lambda t, m: swap(t, 'serviceTaskOperator id="report.quarterly"', 'serviceTaskOperator id="os.system"'),
            "unknown operation 'os.system'", "task_quarterly_report"),
    Hostile("call-activity", "quarterly_report",
            lambda t, m: swap(t, QUARTERLY_TASK_OPEN, QUARTERLY_TASK_OPEN.replace("serviceTask", "callActivity"))
            .replace("</bpmn:serviceTask>", "</bpmn:callActivity>"),
            "callActivity", "task_quarterly_report"),
    Hostile("doctype-external-entity", "quarterly_report",
            lambda t, m: swap(swap(t, XML_DECL, XML_DECL + '\n<!DOCTYPE bpmn:definitions '
                                   '[<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
                              'name="季度典型案例专报"', 'name="&xxe;"'),
            "DTDs and entities are not allowed"),
    Hostile("doctype-billion-laughs", "quarterly_report",
            lambda t, m: swap(swap(t, XML_DECL, XML_DECL + '\n<!DOCTYPE bpmn:definitions [<!ENTITY a "lol">'
                                   + "".join(f'<!ENTITY {chr(98 + i)} "' + f"&{chr(97 + i)};" * 10 + '">'
                                             for i in range(8)) + "]>"),
                              'name="季度典型案例专报"', 'name="&i;"'),
            "DTDs and entities are not allowed"),
    Hostile("malformed-xml", "quarterly_report",
            lambda t, m: swap(t, "</bpmn:serviceTask>", "</bpmn:serviceTsk>"), "not well-formed XML"),
    Hostile("truncated-xml", "quarterly_report", lambda t, m: t[: len(t) // 2], "not well-formed XML"),
    Hostile("process-id-not-file-stem", "quarterly_report",
            lambda t, m: swap(t, '<bpmn:process id="quarterly_report"', '<bpmn:process id="quarterly_report_v2"'),
            "must equal the file name", "quarterly_report_v2"),
    Hostile("two-processes", "quarterly_report",
            lambda t, m: swap(t, "</bpmn:definitions>",
                              '<bpmn:process id="other" isExecutable="true" /></bpmn:definitions>'),
            "exactly one bpmn:process"),
]


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    path = tmp_path / "pwned_X"
    assert not path.exists()
    return path


def write_dir(tmp_path: Path, stem: str, content: str | bytes) -> Path:
    """A BPMN directory: the three real files, one of them replaced by the hostile copy."""
    directory = tmp_path / "bpmn"
    directory.mkdir(exist_ok=True)
    for file in BPMN.glob("*.bpmn"):
        shutil.copy(file, directory / file.name)
    target = directory / f"{stem}.bpmn"
    target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return directory


def refusal(content: str | bytes, stem: str, directory: Path) -> str:
    xml = content.encode("utf-8") if isinstance(content, str) else content
    with pytest.raises(ProcessDefinitionError) as parsed:
        parse_definition(xml, process_id=stem, known_operations=KNOWN, source=f"{stem}.bpmn")
    with pytest.raises(ProcessDefinitionError) as loaded:
        load_directory(directory, KNOWN)
    assert f"{stem}.bpmn" in str(loaded.value)
    return str(parsed.value)


@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_hostile_file_is_refused_when_loaded(case: Hostile, tmp_path: Path, marker: Path) -> None:
    content = case.make(original(case.stem), marker)
    directory = write_dir(tmp_path, case.stem, content)
    message = refusal(content, case.stem, directory)
    assert case.reason in message
    assert "\n" not in message and "Traceback" not in message
    assert not marker.exists()


@pytest.mark.parametrize("case", [c for c in HOSTILE if c.element], ids=[c.name for c in HOSTILE if c.element])
def test_refusal_names_the_element(case: Hostile, tmp_path: Path, marker: Path) -> None:
    content = case.make(original(case.stem), marker)
    message = refusal(content, case.stem, write_dir(tmp_path, case.stem, content))
    assert repr(case.element) in message or f"'{case.element}" in message


# ----------------------------------------------------------------- DTD refusals that can be bypassed
def test_doctype_after_4kib_is_refused(tmp_path: Path) -> None:
    xml = swap(original("quarterly_report"), XML_DECL,
               XML_DECL + "\n<!--" + "x" * 5000 + '-->\n<!DOCTYPE bpmn:definitions SYSTEM "file:///etc/passwd">')
    with pytest.raises(ProcessDefinitionError, match="DTD"):
        parse_definition(xml.encode(), process_id="quarterly_report", known_operations=KNOWN)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_doctype_in_utf16_file_is_refused(encoding: str) -> None:
    text = swap(original("quarterly_report"), XML_DECL,
                f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n<!DOCTYPE bpmn:definitions '
                '[<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    with pytest.raises(ProcessDefinitionError, match="DTD"):
        parse_definition(text.encode(encoding), process_id="quarterly_report", known_operations=KNOWN)


def test_an_entity_in_a_utf16_file_is_never_expanded() -> None:
    """Even where the DTD check is bypassed, the XML parser expands no entity (no XXE, no billion laughs)."""
    text = swap(original("quarterly_report"), XML_DECL,
                '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE bpmn:definitions '
                '[<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY t "report_at">]>')
    text = swap(text, QUARTERLY_TIMER, ">&t;</bpmn:timeDate>")
    with pytest.raises(ProcessDefinitionError) as refused:
        parse_definition(text.encode("utf-16"), process_id="quarterly_report", known_operations=KNOWN)
    message = str(refused.value)
    # refused for the DTD (once that check is fixed) or because &t; stayed an unexpanded, empty reference
    assert "DTDs and entities are not allowed" in message or "expression '' in 'timer_report_day" in message


# -------------------------------------------------------------- past the loader: fails safely at run time
RUNTIME = [  # (name, original text, hostile text, the error that stops it): allowed shapes that fail when run
    ("timer-unknown-name", QUARTERLY_TIMER, ">no_such_value</bpmn:timeDate>", NameError),
    ("timer-bad-number", QUARTERLY_TIMER, ">int('{marker}')</bpmn:timeDate>", ValueError),
    ("timer-dunder-key", QUARTERLY_TIMER, ">report_at['__class__']</bpmn:timeDate>", TypeError),
]


def causes(exc: BaseException | None) -> list[type[BaseException]]:
    found = []
    while exc is not None:
        found.append(type(exc))
        exc = exc.__cause__ or exc.__context__
    return found


@pytest.mark.parametrize("name,old,new,stopped_by", RUNTIME, ids=[r[0] for r in RUNTIME])
def test_expression_that_compiles_fails_at_run_time(name: str, old: str, new: str,
                                                    stopped_by: type[BaseException], marker: Path) -> None:
    xml = swap(original("quarterly_report"), old, new.replace("{marker}", str(marker)))
    definition = parse_definition(xml.encode(), process_id="quarterly_report", known_operations=KNOWN)
    serializer.register(definition)
    calls: list[str] = []
    with pytest.raises(RuleExecutionError) as raised:  # the engine's own error, wrapping SpiffWorkflow's
        runner.start(definition, {"report_at": local(2026, 7, 1, 9, 0).isoformat(), "quarter": "2026Q2"},
                     at=local(2026, 6, 1, 9, 0), operation=lambda op, params, el, at: calls.append(op) or {})
    assert stopped_by in causes(raised.value)
    assert calls == []
    assert not marker.exists()


def test_task_data_cannot_shadow_builtins_or_guards(marker: Path) -> None:
    """Names starting with `_` in task data never reach an expression's scope."""
    xml = swap(original("quarterly_report"), QUARTERLY_PARAM, 'value="str(quarter[0:6])"')  # a builtin, a subscript
    definition = parse_definition(xml.encode(), process_id="quarterly_report", known_operations=KNOWN)
    serializer.register(definition)

    def touch(*args: Any, **kwargs: Any) -> Any:
        marker.touch()
        return getattr(*args) if len(args) == 2 else None

    poisoned = {"report_at": local(2026, 7, 1, 9, 0).isoformat(), "quarter": "2026q2",
                "__builtins__": {"open": open, "__import__": __import__, "str": touch},
                "_getattr_": touch, "_getitem_": touch, "_getiter_": touch, "_write_": touch}
    seen: list[tuple[str, dict[str, Any]]] = []
    wf = runner.start(definition, poisoned, at=local(2026, 6, 1, 9, 0),
                      operation=lambda op, params, el, at: seen.append((op, params)) or {})
    runner.wake(wf, until=local(2026, 7, 1, 9, 0), operation=lambda op, params, el, at: seen.append((op, params)) or {})
    assert seen == [("report.quarterly", {"quarter": "2026q2"})]
    assert not marker.exists()


def test_engine_parks_an_instance_whose_operation_parameter_misbehaves(
        make_engine: Any, tmp_path: Path, marker: Path) -> None:
    """A hostile parameter reached after a timer: each attempt fails without effect, the instance is retried a
    few times and then parked as failed; the worker and the other instances carry on, nothing is recorded
    for it and nothing is written to disk."""
    directory = write_dir(tmp_path, "quarterly_report",
                          swap(original("quarterly_report"), QUARTERLY_PARAM,
                               f'value="int(&apos;{marker}&apos;)"'))
    clock = VirtualClock(local(2026, 6, 1, 10, 0))
    engine = make_engine(clock=clock, bpmn_dir=directory)
    engine.register_unit("U01", "市住建局", ["+8613800138000"])
    engine.open_work_order(number="GD-1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=clock.now())
    assert engine.ensure_quarterly_report() == "2026Q2"  # its report is due 2026-07-01 09:00

    def quarterly() -> Any:
        with engine.store.engine.connect() as c:
            return c.execute(sa.select(workflow_instances.c.status, workflow_instances.c.next_due_at,
                                       workflow_instances.c.last_error)
                             .where(workflow_instances.c.kind == "quarterly")).one()

    def recorded(*where: Any) -> int:
        with engine.store.engine.connect() as c:
            return int(c.execute(sa.select(sa.func.count()).select_from(actions).where(*where)).scalar())

    clock.set(local(2026, 7, 2, 10, 0))
    assert engine.fire_due_timers() == 6  # the work order's due_soon, sign-overdue, overdue, yellow, red, letter
    assert engine.fire_due_timers() == 1  # the letter's reply watch (started by the letter): 提级督办
    assert engine.fire_due_timers() == 0  # the failed one is not retried in a tight loop
    attempts = 1
    while quarterly().status == "waiting":  # retried later (virtual time), then parked
        assert "int(" in quarterly().last_error and quarterly().next_due_at > clock.now()
        assert attempts < 10, "a failing instance must be parked after a few attempts"
        clock.set(quarterly().next_due_at)
        assert engine.fire_due_timers() == 0
        attempts += 1
    assert quarterly().status == "failed" and "int(" in quarterly().last_error
    clock.advance(days=30)
    assert engine.fire_due_timers() == 0
    assert engine.backlog()["failed_instances"] == 1
    assert recorded(actions.c.kind == "quarterly_report") == 0
    assert recorded() == recorded(actions.c.order_number == "GD-1")
    with engine.store.engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(outbox)
                         .where(outbox.c.template == "quarterly_report")).scalar() == 0
        assert c.execute(sa.select(workflow_instances.c.status)
                         .where(workflow_instances.c.kind == "work_order")).scalar() == "waiting"
    assert not marker.exists()


def test_engine_rolls_back_an_order_whose_process_fails_on_start(
        make_engine: Any, tmp_path: Path, marker: Path) -> None:
    directory = write_dir(tmp_path, "work_order", swap(
        original("work_order"), '">sign_overdue_at is not None</bpmn:conditionExpression>',
        f'">int(&apos;{marker}&apos;) is not None</bpmn:conditionExpression>'))
    clock = VirtualClock(local(2026, 6, 1, 10, 0))
    engine = make_engine(clock=clock, bpmn_dir=directory)
    engine.register_unit("U01", "市住建局", ["+8613800138000"])
    with pytest.raises(Exception) as raised:
        engine.open_work_order(number="GD-1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                               at=clock.now())
    assert "int(" in str(raised.value)
    with engine.store.engine.connect() as c:
        for table in ("work_orders", "workflow_instances", "actions", "outbox"):
            assert c.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0, table
    assert not marker.exists()


# --------------------------------------------------------------------------------- duban check-config
@pytest.mark.parametrize("case", [c for c in HOSTILE if c.name in (
    "condition-import", "timer-subclass-escape", "script-task", "doctype-external-entity", "malformed-xml",
    "process-id-not-file-stem")], ids=lambda c: c.name)
def test_check_config_refuses_a_hostile_directory(case: Hostile, tmp_path: Path, marker: Path) -> None:
    directory = write_dir(tmp_path, case.stem, case.make(original(case.stem), marker))
    env = {**os.environ, "DUBAN_BPMN_DIR": str(directory), "DUBAN_LOG_FORMAT": "text"}
    result = subprocess.run([*DUBAN, "check-config"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("duban check-config: error:")
    assert f"{case.stem}.bpmn" in lines[0] and case.reason in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not marker.exists()


def test_check_config_accepts_the_real_files(tmp_path: Path) -> None:
    env = {**os.environ, "DUBAN_BPMN_DIR": str(BPMN)}
    result = subprocess.run([*DUBAN, "check-config"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "work_order@" in result.stdout


# ------------------------------------------------------------------------ a step that would never end
CYCLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://duban.test">
  <bpmn:process id="cycle" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>to_gw</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw" default="out">
      <bpmn:incoming>to_gw</bpmn:incoming><bpmn:incoming>again</bpmn:incoming>
      <bpmn:outgoing>again</bpmn:outgoing><bpmn:outgoing>out</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>out</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_gw" sourceRef="start" targetRef="gw" />
    <bpmn:sequenceFlow id="again" sourceRef="gw" targetRef="gw">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">True</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="out" sourceRef="gw" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_process_that_cycles_without_end_is_stopped_with_a_visible_error() -> None:
    """No loop element, but a gateway that always flows back to itself: the step is stopped after its task
    budget, with an error that names the element, instead of holding the worker forever."""
    definition = parse_definition(CYCLE.encode(), process_id="cycle", known_operations=KNOWN)
    serializer.register(definition)
    started = time.monotonic()
    with pytest.raises(RuleExecutionError, match="more than 200 tasks in one step.*gw"):
        runner.start(definition, {}, at=local(2026, 6, 1, 9, 0), operation=lambda *args: {})
    assert time.monotonic() - started < runner.STEP_SECONDS_LIMIT


def test_a_step_past_its_time_budget_is_stopped() -> None:
    definition = parse_definition(CYCLE.encode(), process_id="cycle", known_operations=KNOWN)
    serializer.register(definition)
    wf = BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=SCRIPT_ENGINE)
    with pytest.raises(RuleExecutionError, match="longer than 0.05 s"):
        runner.run_engine_steps(wf, task_limit=10 ** 9, seconds_limit=0.05)
