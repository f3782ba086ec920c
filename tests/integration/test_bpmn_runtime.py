"""The real `bpmn/` processes through SpiffWorkflow, saved and restored at every wait state.

Every scenario runs two copies of one workflow side by side: a *live* one that is never serialized,
and a *saved* one that is dumped to JSON after every step and loaded back before the next (as the
engine does with the database). After every step both must have called the same operations with
the same parameters at the same times, wait for the same timers and messages, and hold the same
task tree; and a save of a restored workflow must reproduce the saved JSON exactly.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer_module
from SpiffWorkflow.util.task import TaskState

from engine.runtime import runner, serializer
from engine.runtime.definitions import ProcessDefinition, load_directory
from engine.runtime.script_engine import engine_step
from engine.runtime.spiff_clock import spiff_time
from tests.timeline import DISPATCH, DUE_SOON, LETTER, OVERDUE, RED, SIGN_OVERDUE, YELLOW
from tests.conftest import ROOT, local
from workflows.operations import OPERATIONS

Call = tuple[str, dict[str, Any], str, datetime]  # (operation, params, bpmn element id, time of the step)

ALL_WORK_ORDER_MESSAGES = {"signed", "replied", "deadline_changed", "closed"}


@pytest.fixture(scope="module")
def definitions() -> dict[str, ProcessDefinition]:
    found = load_directory(ROOT / "bpmn", frozenset(OPERATIONS))
    assert {"work_order", "leadership_instruction", "quarterly_report",
            "dispatch_objection", "co_unit_sign_for", "hard_case", "letter_reply"} <= set(found)
    for definition in found.values():
        serializer.register(definition)
    return found


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


class Recorder:
    """Stands in for the engine's operations: records what BPMN asked for."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def __call__(self, name: str, params: dict[str, Any], element_id: str, at: datetime) -> Mapping[str, Any]:
        self.calls.append((name, dict(params), element_id, at.astimezone(timezone.utc)))
        return {"count": 1}


def tree_signature(wf: Any) -> list[tuple[Any, ...]]:
    """The shape of a workflow independent of task UUIDs: spec, state, parent, and waiting tasks' data."""
    signature = []
    for task in wf.get_tasks():
        data = json.dumps(task.data, sort_keys=True, default=str) if task.state == TaskState.WAITING else None
        signature.append((task.task_spec.name, TaskState.get_name(task.state),
                          task.parent.task_spec.name if task.parent else None, data))
    return signature


@dataclass
class Observed:
    fired: list[datetime]
    calls: list[Call]
    next_due: datetime | None
    messages: set[str]
    completed: bool
    taken: bool | None = None  # deliver: whether the workflow waited for the message

    def ops(self) -> list[tuple[str, dict[str, Any]]]:
        return [(name, params) for name, params, _, _ in self.calls]

    def times(self) -> set[datetime]:
        return {at for *_, at in self.calls}


class Twins:
    """A never-serialized workflow and one saved/restored around every step, driven in lockstep."""

    def __init__(self, definition: ProcessDefinition, data: Mapping[str, Any], at: datetime,
                 facts: Mapping[str, Any] | None = None) -> None:
        self.live_ops, self.saved_ops = Recorder(), Recorder()
        self.current_facts = dict(facts or {})  # the case facts the engine would read from the database
        self.live = runner.start(definition, dict(data), at=at, operation=self.live_ops, facts=self.current_facts)
        saved = runner.start(definition, dict(data), at=at, operation=self.saved_ops, facts=self.current_facts)
        self.state = runner.dumps(saved)
        self.saves = 1
        self.started = self._compare([])

    # --- steps -------------------------------------------------------------------------------
    def wake(self, until: datetime) -> Observed:
        live_fired = runner.wake(self.live, until=until, operation=self.live_ops, facts=self.current_facts)
        wf = self._restore()
        saved_fired = runner.wake(wf, until=until, operation=self.saved_ops, facts=self.current_facts)
        self._save(wf)
        assert live_fired == saved_fired
        return self._compare(live_fired)

    def deliver(self, message: str, at: datetime, data: Mapping[str, Any] | None = None) -> Observed:
        live_taken = runner.deliver(self.live, message, dict(data or {}), at=at, operation=self.live_ops,
                                    facts=self.current_facts)
        wf = self._restore()
        saved_taken = runner.deliver(wf, message, dict(data or {}), at=at, operation=self.saved_ops,
                                     facts=self.current_facts)
        self._save(wf)
        assert live_taken == saved_taken
        observed = self._compare([])
        observed.taken = live_taken
        return observed

    def facts(self, facts: Mapping[str, Any]) -> None:
        """Change the case facts the next steps see (the engine reads them live for every step)."""
        self.current_facts.update(facts)

    # --- plumbing ------------------------------------------------------------------------------
    def _restore(self) -> Any:
        wf = runner.loads(self.state)
        assert runner.dumps(wf) == self.state, "a restored workflow must serialize back to the same JSON"
        return wf

    def _save(self, wf: Any) -> None:
        self.state = runner.dumps(wf)
        self.saves += 1

    def _compare(self, fired: list[datetime]) -> Observed:
        restored = self._restore()
        live_new, saved_new = self._take_new()
        assert saved_new == live_new, "the restored workflow called different operations than its twin"
        assert runner.next_due(restored) == runner.next_due(self.live)
        assert runner.waiting_messages(restored) == runner.waiting_messages(self.live)
        assert runner.is_completed(restored) == runner.is_completed(self.live)
        assert tree_signature(restored) == tree_signature(self.live)
        return Observed(fired, live_new, runner.next_due(self.live), runner.waiting_messages(self.live),
                        runner.is_completed(self.live))

    _seen = 0

    def _take_new(self) -> tuple[list[Call], list[Call]]:
        start = self._seen
        self._seen = len(self.live_ops.calls)
        assert len(self.saved_ops.calls) == len(self.live_ops.calls), (self.live_ops.calls, self.saved_ops.calls)
        return self.live_ops.calls[start:], self.saved_ops.calls[start:]


def sms(template: str, step: str | None = None) -> tuple[str, dict[str, Any]]:
    return ("sms.send", {"template": template, "step": step or template})




def routine_data(**overrides: Any) -> dict[str, Any]:
    data = {"is_reopen": False, "urgency": "一般", "category": "咨询",
            "sign_overdue_at": iso(SIGN_OVERDUE), "due_soon_at": iso(DUE_SOON), "overdue_at": iso(OVERDUE),
            "yellow_at": iso(YELLOW), "red_at": iso(RED), "letter_at": iso(LETTER)}
    data.update(overrides)
    return data


# ------------------------------------------------------------------------------------- work_order
def test_work_order_full_ladder_saved_at_every_wait_state(definitions: dict[str, ProcessDefinition]) -> None:
    twins = Twins(definitions["work_order"], routine_data(), DISPATCH)
    started = twins.started
    assert started.ops() == [sms("dispatched")]
    assert started.times() == {DISPATCH}
    assert started.next_due == DUE_SOON
    assert started.messages == ALL_WORK_ORDER_MESSAGES

    # a timer never fires early
    early = twins.wake(DUE_SOON - timedelta(seconds=1))
    assert early.fired == [] and early.calls == [] and early.next_due == DUE_SOON

    due_soon = twins.wake(DUE_SOON)
    assert due_soon.fired == [DUE_SOON]
    assert due_soon.ops() == [sms("due_soon")] and due_soon.times() == {DUE_SOON}
    assert due_soon.next_due == SIGN_OVERDUE

    sign = twins.wake(SIGN_OVERDUE)
    assert sign.fired == [SIGN_OVERDUE]
    assert sign.ops() == [sms("sign_overdue"), ("task.phone_urge", {"step": "sign_overdue"})]
    assert sign.times() == {SIGN_OVERDUE}
    assert sign.next_due == OVERDUE
    assert "signed" not in sign.messages  # the sign-for watch is over once chased

    overdue = twins.wake(OVERDUE)
    assert overdue.ops() == [sms("overdue"), ("task.phone_urge", {"step": "overdue"}),
                             ("document.urge_notice", {"step": "overdue"})]
    assert overdue.times() == {OVERDUE} and overdue.next_due == YELLOW

    yellow = twins.wake(YELLOW)
    assert yellow.ops() == [("card.yellow", {"step": "yellow"}), sms("yellow_card", "yellow")]
    assert yellow.times() == {YELLOW} and yellow.next_due == RED

    red = twins.wake(RED)
    assert red.ops() == [("card.red", {"step": "red"}), sms("red_card", "red")]
    assert red.times() == {RED} and red.next_due == LETTER

    letter = twins.wake(LETTER)
    assert letter.ops() == [("letter.supervision", {"step": "letter"}), sms("supervision_letter", "letter")]
    assert letter.times() == {LETTER}
    assert letter.next_due is None
    assert letter.messages == {"replied", "deadline_changed", "closed"}
    assert not letter.completed

    idle = twins.wake(local(2026, 12, 31, 0, 0))
    assert idle.fired == [] and idle.calls == []

    assert not twins.deliver("signed", local(2026, 6, 18, 10, 0)).taken
    replied = twins.deliver("replied", local(2026, 6, 18, 10, 0))
    assert replied.taken and replied.calls == []
    assert replied.messages == {"closed"} and not replied.completed

    closed = twins.deliver("closed", local(2026, 6, 19, 10, 0))
    assert closed.calls == [] and closed.completed and closed.next_due is None
    assert twins.saves >= 12


def test_work_order_late_wake_steps_each_timer_at_its_own_time(definitions: dict[str, ProcessDefinition]) -> None:
    """A worker that was down: one wake after the red card fires every missed step in order, each at its time."""
    twins = Twins(definitions["work_order"], routine_data(), DISPATCH)
    late = twins.wake(RED + timedelta(hours=5))
    assert late.fired == [DUE_SOON, SIGN_OVERDUE, OVERDUE, YELLOW, RED]
    steps = [(params.get("step"), at) for _, params, _, at in late.calls]
    assert [s for s, _ in steps] == ["due_soon", "sign_overdue", "sign_overdue", "overdue", "overdue", "overdue",
                                     "yellow", "yellow", "red", "red"]
    expected_time = {"due_soon": DUE_SOON, "sign_overdue": SIGN_OVERDUE, "overdue": OVERDUE, "yellow": YELLOW,
                     "red": RED}
    assert all(at == expected_time[step] for step, at in steps)
    assert late.next_due == LETTER


def test_work_order_signed_then_extension_moves_the_ladder(definitions: dict[str, ProcessDefinition]) -> None:
    twins = Twins(definitions["work_order"], routine_data(), DISPATCH)

    signed = twins.deliver("signed", local(2026, 6, 1, 15, 0))
    assert signed.taken and signed.calls == []
    assert "signed" not in signed.messages
    assert signed.next_due == DUE_SOON

    due_soon = twins.wake(DUE_SOON)
    assert due_soon.ops() == [sms("due_soon")]
    assert due_soon.next_due == OVERDUE  # the sign-for timer went with the signature

    # extension of 5 WD approved on 06-03: deadline 06-03 -> 06-10; the ladder is re-armed from it
    new_overdue, new_yellow = local(2026, 6, 11, 9, 0), local(2026, 6, 15, 9, 0)
    new_red, new_letter = local(2026, 6, 17, 9, 0), local(2026, 6, 24, 9, 0)
    extended = twins.deliver("deadline_changed", local(2026, 6, 3, 11, 0), {
        "sign_overdue_at": None, "due_soon_at": None, "overdue_at": iso(new_overdue), "yellow_at": iso(new_yellow),
        "red_at": iso(new_red), "letter_at": iso(new_letter)})
    assert extended.taken and extended.calls == []
    assert extended.next_due == new_overdue != OVERDUE
    assert extended.messages == {"replied", "deadline_changed", "closed"}

    # the old overdue moment (06-04) passes silently
    quiet = twins.wake(new_overdue - timedelta(minutes=1))
    assert quiet.fired == [] and quiet.calls == []

    overdue = twins.wake(new_overdue)
    assert overdue.fired == [new_overdue]
    assert [name for name, _ in overdue.ops()] == ["sms.send", "task.phone_urge", "document.urge_notice"]
    assert overdue.times() == {new_overdue} and overdue.next_due == new_yellow

    replied = twins.deliver("replied", local(2026, 6, 12, 16, 0))
    assert replied.calls == [] and replied.next_due is None and replied.messages == {"closed"}
    assert twins.wake(local(2026, 9, 1, 0, 0)).calls == []  # a reply stops the ladder for good

    closed = twins.deliver("closed", local(2026, 6, 13, 10, 0))
    assert closed.completed


def test_work_order_second_extension_and_extension_after_the_ladder(
        definitions: dict[str, ProcessDefinition]) -> None:
    twins = Twins(definitions["work_order"], routine_data(), DISPATCH)
    twins.wake(YELLOW)
    later_red, later_letter = local(2026, 6, 22, 9, 0), local(2026, 6, 29, 9, 0)
    first = twins.deliver("deadline_changed", local(2026, 6, 8, 14, 0), {
        "sign_overdue_at": None, "due_soon_at": None, "overdue_at": None, "yellow_at": None,
        "red_at": iso(later_red), "letter_at": iso(later_letter)})
    assert first.calls == [] and first.next_due == later_red

    second_red = local(2026, 6, 24, 9, 0)
    second = twins.deliver("deadline_changed", local(2026, 6, 9, 14, 0), {
        "sign_overdue_at": None, "due_soon_at": None, "overdue_at": None, "yellow_at": None,
        "red_at": iso(second_red), "letter_at": None})
    assert second.next_due == second_red

    red = twins.wake(second_red)
    assert red.ops() == [("card.red", {"step": "red"}), sms("red_card", "red")]
    assert red.next_due is None and not red.completed  # no letter armed: the ladder ends, waiting for the reply

    # an extension once the ladder is over goes through the wait-for-reply gateway and re-arms it
    rearmed_letter = local(2026, 7, 6, 9, 0)
    after = twins.deliver("deadline_changed", local(2026, 6, 25, 9, 30), {
        "sign_overdue_at": None, "due_soon_at": None, "overdue_at": None, "yellow_at": None, "red_at": None,
        "letter_at": iso(rearmed_letter)})
    assert after.taken and after.next_due == rearmed_letter
    letter = twins.wake(rearmed_letter)
    assert letter.ops() == [("letter.supervision", {"step": "letter"}), sms("supervision_letter", "letter")]

    closed = twins.deliver("closed", local(2026, 7, 7, 9, 0))  # closed without a separate reply
    assert closed.completed


def test_work_order_closed_during_the_ladder_ends_it(definitions: dict[str, ProcessDefinition]) -> None:
    twins = Twins(definitions["work_order"], routine_data(), DISPATCH)
    twins.wake(OVERDUE)
    closed = twins.deliver("closed", local(2026, 6, 5, 10, 0))
    assert closed.taken and closed.calls == [] and closed.completed and closed.next_due is None
    assert closed.messages == set()
    assert twins.wake(local(2027, 1, 1, 0, 0)).calls == []


def test_urgent_order_ladder(definitions: dict[str, ProcessDefinition]) -> None:
    dispatch = local(2026, 6, 1, 22, 0)
    deadline = dispatch + timedelta(hours=2)
    data = {"is_reopen": False, "urgency": "特急", "category": "求助", "sign_overdue_at": None, "due_soon_at": None,
            "overdue_at": iso(deadline), "yellow_at": iso(deadline + timedelta(hours=24)),
            "red_at": iso(deadline + timedelta(hours=72)), "letter_at": None}
    twins = Twins(definitions["work_order"], data, dispatch)
    assert twins.started.ops() == [sms("dispatched")]
    assert twins.started.next_due == deadline
    assert twins.started.messages == {"replied", "deadline_changed", "closed"}  # sign-for is not watched
    assert twins.deliver("signed", dispatch + timedelta(minutes=30)).taken is False

    overdue = twins.wake(deadline)
    assert overdue.ops() == [sms("overdue"), ("task.phone_urge", {"step": "overdue"})]  # no 催办通知书 for 特急
    yellow = twins.wake(deadline + timedelta(hours=24))
    assert [name for name, _ in yellow.ops()] == ["card.yellow", "sms.send"]
    red = twins.wake(deadline + timedelta(hours=72))
    assert [name for name, _ in red.ops()] == ["card.red", "sms.send"]
    assert red.next_due is None and red.messages == {"replied", "deadline_changed", "closed"}


def test_reopened_order_starts_with_the_reopen_sms(definitions: dict[str, ProcessDefinition]) -> None:
    reopen_at = local(2026, 6, 20, 10, 0)
    twins = Twins(definitions["work_order"], routine_data(is_reopen=True, sign_overdue_at=None,
                                                          due_soon_at=iso(local(2026, 6, 23, 9, 0)),
                                                          overdue_at=iso(local(2026, 6, 25, 9, 0))), reopen_at)
    assert twins.started.ops() == [sms("reopened")]
    assert twins.started.times() == {reopen_at}
    assert twins.started.next_due == local(2026, 6, 23, 9, 0)


# ---------------------------------------------------------------------------- leadership_instruction
INSTRUCTED = local(2026, 1, 31, 10, 0)
LETTER_DUE = local(2026, 2, 28, 10, 0)  # Jan 31 + 1 month, clamped
REPORT_DUE = local(2026, 4, 30, 10, 0)  # Jan 31 + 3 months, clamped


NOT_CLOSED = {"order_closed": False, "progress_reported": False, "progress_waives_letter": False}


def instruction_twins(definitions: dict[str, ProcessDefinition], **facts: bool) -> Twins:
    """An instruction process started as the engine starts it: times in the data, facts from the case."""
    return Twins(definitions["leadership_instruction"],
                 {"letter_due_at": iso(LETTER_DUE), "report_due_at": iso(REPORT_DUE)}, INSTRUCTED,
                 facts={**NOT_CLOSED, **facts})


def test_instruction_letter_then_special_report(definitions: dict[str, ProcessDefinition]) -> None:
    twins = instruction_twins(definitions)
    assert twins.started.ops() == [sms("instruction")]
    assert twins.started.next_due == LETTER_DUE and twins.started.messages == {"closed"}

    assert twins.wake(LETTER_DUE - timedelta(seconds=1)).calls == []
    letter = twins.wake(LETTER_DUE)
    assert letter.ops() == [("letter.supervision", {"step": "instruction_letter"}),
                            sms("supervision_letter", "instruction_letter")]
    assert letter.times() == {LETTER_DUE} and letter.next_due == REPORT_DUE

    report = twins.wake(REPORT_DUE)
    assert report.ops() == [("report.special", {"step": "special_report"})]
    assert report.times() == {REPORT_DUE} and report.completed and report.next_due is None


def test_instruction_closed_before_one_month_ends_it(definitions: dict[str, ProcessDefinition]) -> None:
    twins = instruction_twins(definitions)
    closed = twins.deliver("closed", local(2026, 2, 10, 16, 0))
    assert closed.taken and closed.calls == [] and closed.completed and closed.next_due is None
    assert twins.wake(local(2026, 12, 31, 0, 0)).calls == []


def test_instruction_closed_between_letter_and_report(definitions: dict[str, ProcessDefinition]) -> None:
    twins = instruction_twins(definitions)
    assert [name for name, _ in twins.wake(LETTER_DUE).ops()] == ["letter.supervision", "sms.send"]
    closed = twins.deliver("closed", local(2026, 3, 15, 9, 0))
    assert closed.completed and closed.calls == []
    assert twins.wake(REPORT_DUE).calls == []


def test_instruction_gateway_facts(definitions: dict[str, ProcessDefinition]) -> None:
    # closed (as a fact read at the step) by the one-month mark: neither letter nor report
    closed = instruction_twins(definitions)
    closed.facts({"order_closed": True})
    at_month = closed.wake(LETTER_DUE)
    assert at_month.fired == [LETTER_DUE] and at_month.calls == [] and at_month.next_due == REPORT_DUE
    at_quarter = closed.wake(REPORT_DUE)
    assert at_quarter.calls == [] and at_quarter.completed

    # not closed at one month (letter), closed by three months (no report)
    late_close = instruction_twins(definitions)
    assert [name for name, _ in late_close.wake(LETTER_DUE).ops()] == ["letter.supervision", "sms.send"]
    late_close.facts({"order_closed": True})
    assert late_close.wake(REPORT_DUE).calls == []

    # progress reported and the rule-table switch on: the letter is waived, the report is not
    waived = instruction_twins(definitions, progress_reported=True, progress_waives_letter=True)
    assert waived.wake(LETTER_DUE).calls == []
    report = waived.wake(REPORT_DUE)
    assert report.ops() == [("report.special", {"step": "special_report"})] and report.completed

    # progress reported but the switch off (the default): the letter still goes out
    not_waived = instruction_twins(definitions, progress_reported=True)
    assert [name for name, _ in not_waived.wake(LETTER_DUE).ops()] == ["letter.supervision", "sms.send"]


# --------------------------------------------------------------------------------- quarterly_report
def test_quarterly_report(definitions: dict[str, ProcessDefinition]) -> None:
    report_at = local(2026, 7, 1, 9, 0)
    twins = Twins(definitions["quarterly_report"], {"report_at": iso(report_at), "quarter": "2026Q2"},
                  local(2026, 4, 1, 0, 5))
    assert twins.started.calls == [] and twins.started.next_due == report_at and twins.started.messages == set()
    assert twins.wake(report_at - timedelta(minutes=1)).calls == []
    fired = twins.wake(report_at)
    assert fired.ops() == [("report.quarterly", {"quarter": "2026Q2"})]
    assert fired.times() == {report_at} and fired.completed and fired.next_due is None


# ------------------------------------------------------------------------------ clocks do not leak
def test_spiff_time_is_per_context_not_per_process(definitions: dict[str, ProcessDefinition]) -> None:
    """Two threads drive SpiffWorkflow directly under two different clocks at the same moment."""
    report_at = local(2026, 7, 1, 9, 0)
    clocks = {"behind": report_at - timedelta(hours=1), "ahead": report_at + timedelta(hours=1)}
    workflows = {name: runner.start(definitions["quarterly_report"], {"report_at": iso(report_at),
                                                                      "quarter": "2026Q2"},
                                    at=local(2026, 6, 1, 9, 0), operation=Recorder())
                 for name in clocks}
    both_inside, both_done = threading.Barrier(2, timeout=10), threading.Barrier(2, timeout=10)
    seen: dict[str, datetime] = {}
    calls: dict[str, list[str]] = {name: [] for name in clocks}
    errors: list[BaseException] = []

    def drive(name: str) -> None:
        try:
            def handler(operation: str, params: dict[str, Any], task: Any) -> dict[str, Any]:
                calls[name].append(operation)
                return {}

            with engine_step(handler, {}), spiff_time(clocks[name]):
                both_inside.wait()  # the other thread has set its own time by now
                seen[name] = spiff_timer_module.datetime.now(timezone.utc)
                workflows[name].refresh_timers()
                workflows[name].do_engine_steps()
                both_done.wait()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=drive, args=(name,)) for name in clocks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors, errors
    assert seen == {name: at.astimezone(timezone.utc) for name, at in clocks.items()}
    assert calls == {"behind": [], "ahead": ["report.quarterly"]}
    assert not runner.is_completed(workflows["behind"]) and runner.next_due(workflows["behind"]) == report_at
    assert runner.is_completed(workflows["ahead"])

    # outside any spiff_time the library sees the real clock again; nesting restores the outer time
    assert abs(spiff_timer_module.datetime.now(timezone.utc) - datetime.now(timezone.utc)) < timedelta(seconds=5)
    with spiff_time(clocks["behind"]):
        with spiff_time(clocks["ahead"]):
            assert spiff_timer_module.datetime.now(timezone.utc) == clocks["ahead"]
        assert spiff_timer_module.datetime.now(timezone.utc) == clocks["behind"]


def test_two_engines_with_two_clocks_in_one_process(make_engine: Any, tmp_path: Any) -> None:
    """Interleaved engines on two virtual clocks: each fires only what its own clock says is due."""
    from engine.clock import VirtualClock

    clock_a, clock_b = VirtualClock(DISPATCH), VirtualClock(DISPATCH)
    engine_a = make_engine(clock=clock_a, database_url=f"sqlite:///{tmp_path}/a.db")
    engine_b = make_engine(clock=clock_b, database_url=f"sqlite:///{tmp_path}/b.db")
    for engine in (engine_a, engine_b):
        engine.register_unit("U01", "市住建局", ["+8613800138000"])
        engine.open_work_order(number="GD-1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                               at=DISPATCH)
    clock_a.set(local(2026, 6, 2, 8, 0))  # before anything is due
    clock_b.set(local(2026, 6, 8, 10, 0))  # past due_soon, sign-overdue, overdue and yellow
    assert engine_a.fire_due_timers() == 0
    assert engine_b.fire_due_timers() == 4
    assert engine_a.fire_due_timers() == 0
    assert engine_a.next_due() == DUE_SOON
    assert engine_b.next_due() == RED
    b_actions = engine_b.take_actions_before(local(2027, 1, 1, 0, 0))
    assert {(a["details"].get("template") or a["kind"], a["at"]) for a in b_actions if a["at"] > DISPATCH} == {
        ("due_soon", DUE_SOON), ("sign_overdue", SIGN_OVERDUE), ("phone_urge", SIGN_OVERDUE), ("overdue", OVERDUE),
        ("phone_urge", OVERDUE), ("urge_notice", OVERDUE), ("yellow_card", YELLOW)}
    assert all(a["at"] <= DISPATCH for a in engine_a.take_actions_before(local(2027, 1, 1, 0, 0)))
