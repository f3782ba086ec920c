"""The 2025 national rules end to end through `duban replay`: dispatch objections and their decision, co-handling
units, hard cases (virtual clock, real BPMN, real database)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from tests.scenarios.test_replay_rules import event, order, run, steps
from workflows.replay import ReplayError, read_events

U1 = {"type": "unit", "code": "U1", "name": "区住建局", "phones": ["+8613900000001"]}
U2 = {"type": "unit", "code": "U2", "name": "区城管局", "phones": ["+8613900000002"]}
U3 = {"type": "unit", "code": "U3", "name": "榕华街道办", "phones": ["+8613900000003"]}
UNITS = [U1, U2, U3]
END = "2026-07-31T00:00:00+08:00"


def without_sms(got: list[dict], number: str) -> list[tuple[str, str, str]]:
    return [s for s in steps(got, number) if s[1] != "sms"]


def test_an_accepted_objection_re_dispatches_to_the_chosen_unit_with_a_new_clock():
    got = run([*UNITS, order("A1", "2026-06-01T10:00:00+08:00"),
               event("objected", "A1", "2026-06-01T15:00:00+08:00", reason="非本单位职责", note="属城管职责"),
               event("objection_decided", "A1", "2026-06-02T10:00:00+08:00", decision="accepted", unit="U2"),
               event("signed", "A1", "2026-06-02T11:00:00+08:00")], END)
    assert ("2026-06-02T10:00", "redispatched", "") in steps(got, "A1")
    redispatched = next(line for line in got if line["type"] == "redispatched")
    assert redispatched["unit"] == "U2"
    # the ladder is U2's, 15 WD from 06-02 (端午 06-19 skipped): deadline Wed 06-24, overdue step Thu 06-25
    assert {line["unit"] for line in got if line["type"] in ("yellow_card", "red_card", "urge_notice")} == {"U2"}
    assert ("2026-06-25T09:00", "urge_notice", "") in steps(got, "A1")
    assert not [line for line in got if line["type"] == "objection_overdue"]


def test_a_rejected_objection_sends_the_order_back_with_its_original_clock_running():
    records = [*UNITS, order("A2", "2026-06-01T10:00:00+08:00"), event("signed", "A2", "2026-06-01T11:00:00+08:00"),
               event("objected", "A2", "2026-06-02T09:00:00+08:00", reason="诉求不清/信息不全"),
               event("objection_decided", "A2", "2026-06-02T16:00:00+08:00", decision="rejected")]
    got = run(records, END)
    # the deadline is still 15 WD from 06-01 (Tue 06-23): overdue on 06-24, as if nobody had objected
    assert ("2026-06-24T09:00", "urge_notice", "") in without_sms(got, "A2")
    assert ("2026-06-26T09:00", "yellow_card", "") in without_sms(got, "A2")
    assert {line["unit"] for line in got if line.get("order") == "A2"} == {"U1"}
    assert ("2026-06-02T16:00", "sms", "dispatched") in steps(got, "A2")  # the unit is told it is back


def test_the_rule_table_can_pause_the_clock_while_an_objection_waits(tmp_path):
    rules = (Path(__file__).resolve().parents[2] / "config" / "rules.toml").read_text(encoding="utf-8")
    paused = tmp_path / "rules.toml"
    paused.write_text(rules.replace("pause_clock = false", "pause_clock = true"), encoding="utf-8")
    records = [*UNITS, order("A3", "2026-06-01T10:00:00+08:00"), event("signed", "A3", "2026-06-01T11:00:00+08:00"),
               event("objected", "A3", "2026-06-02T09:00:00+08:00", reason="其他"),
               event("objection_decided", "A3", "2026-06-04T09:00:00+08:00", decision="rejected")]
    got = run(records, END, Settings(rules_file=paused))
    # 48 hours in objection: the deadline moves from Tue 06-23 23:59:59 to Thu 06-25 23:59:59, overdue Fri 06-26
    assert ("2026-06-26T09:00", "urge_notice", "") in without_sms(got, "A3")
    assert ("2026-06-24T09:00", "urge_notice", "") not in without_sms(got, "A3")


def test_an_objection_outside_the_window_stops_the_replay_with_its_line_number(tmp_path):
    lines = [json.dumps(r, ensure_ascii=False) for r in [
        U1, order("A4", "2026-06-01T10:00:00+08:00"),
        event("objected", "A4", "2026-06-03T00:00:01+08:00", reason="非本单位职责")]]
    with pytest.raises(ReplayError) as caught:
        read_events(lines)
    assert caught.value.line == 3 and "已超过退单期限 2026-06-02 23:59" in caught.value.reason
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "web.cli", "replay", str(path)], capture_output=True, text=True)
    assert result.returncode == 2 and result.stdout == ""
    assert "line 3" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("line, message", [
    (event("objected", "A5", "2026-06-01T12:00:00+08:00", reason="不想办"), "objection reason must be one of"),
    (event("objection_decided", "A5", "2026-06-01T12:00:00+08:00", decision="rejected"), "no open dispatch objection"),
])
def test_bad_objection_lines_are_refused(line, message):
    lines = [json.dumps(r, ensure_ascii=False) for r in [U1, order("A5", "2026-06-01T10:00:00+08:00"), line]]
    with pytest.raises(ReplayError) as caught:
        read_events(lines)
    assert caught.value.line == 3 and message in caught.value.reason


def test_accepting_needs_another_unit():
    lines = [json.dumps(r, ensure_ascii=False) for r in [
        U1, U2, order("A6", "2026-06-01T10:00:00+08:00"),
        event("objected", "A6", "2026-06-01T11:00:00+08:00", reason="其他"),
        event("objection_decided", "A6", "2026-06-01T12:00:00+08:00", decision="accepted", unit="U1")]]
    with pytest.raises(ReplayError) as caught:
        read_events(lines)
    assert caught.value.line == 5 and "another unit" in caught.value.reason


def test_a_decision_not_made_in_time_raises_a_supervisor_task():
    got = run([*UNITS, order("A7", "2026-06-01T10:00:00+08:00"),
               event("objected", "A7", "2026-06-01T15:00:00+08:00", reason="重复诉求"),
               event("objection_decided", "A7", "2026-06-05T10:00:00+08:00", decision="accepted", unit="U3")], END)
    # decision due by the end of the next working day (06-02); the task falls due then, the late decision still counts
    assert ("2026-06-02T23:59", "objection_overdue", "") in steps(got, "A7")
    assert ("2026-06-05T10:00", "redispatched", "") in steps(got, "A7")


def test_co_handling_units_each_get_the_dispatch_sms_and_a_late_one_is_chased_and_carded():
    got = run([*UNITS, {**order("C1", "2026-06-01T10:00:00+08:00"), "co_units": ["U2", "U3"]},
               event("signed", "C1", "2026-06-01T11:00:00+08:00"),
               event("co_signed", "C1", "2026-06-01T12:00:00+08:00", unit="U2"),
               event("contributed", "C1", "2026-06-03T12:00:00+08:00", unit="U2", text="已派员配合现场勘查"),
               event("replied", "C1", "2026-06-04T12:00:00+08:00")], END)
    by_unit = lambda unit: sorted((l["at"][:16], l["type"], l.get("template", "")) for l in got  # noqa: E731
                                  if l.get("order") == "C1" and l["unit"] == unit)
    assert by_unit("U2") == [("2026-06-01T10:00", "sms", "dispatched")]
    # U3 never signs: chased the working day after its sign-for window (06-02), carded 3 WD after it
    assert by_unit("U3") == [("2026-06-01T10:00", "sms", "dispatched"), ("2026-06-03T09:00", "phone_urge", ""),
                             ("2026-06-03T09:00", "sms", "sign_overdue"), ("2026-06-05T09:00", "yellow_card", "")]
    assert by_unit("U1") == [("2026-06-01T10:00", "sms", "dispatched")]  # the lead replied in time


def test_a_co_unit_that_signs_after_its_chase_gets_no_card():
    got = run([*UNITS, {**order("C3", "2026-06-01T10:00:00+08:00"), "co_units": ["U3"]},
               event("signed", "C3", "2026-06-01T11:00:00+08:00"),
               event("co_signed", "C3", "2026-06-04T10:00:00+08:00", unit="U3")], END)
    u3 = sorted((line["at"][:16], line["type"], line.get("template", "")) for line in got
                if line.get("order") == "C3" and line["unit"] == "U3")
    # chased on 06-03 (SMS + call), signed on 06-04: the yellow card due on 06-05 is not given
    assert u3 == [("2026-06-01T10:00", "sms", "dispatched"), ("2026-06-03T09:00", "phone_urge", ""),
                  ("2026-06-03T09:00", "sms", "sign_overdue")]


def test_only_the_lead_unit_replies():
    lines = [json.dumps(r, ensure_ascii=False) for r in [
        U1, U2, {**order("C2", "2026-06-01T10:00:00+08:00"), "co_units": ["U2"]},
        event("replied", "C2", "2026-06-02T10:00:00+08:00", unit="U2")]]
    with pytest.raises(ReplayError) as caught:
        read_events(lines)
    assert caught.value.line == 4 and "lead unit U1" in caught.value.reason


def test_an_order_passed_among_three_units_becomes_a_hard_case():
    got = run([*UNITS, order("H1", "2026-06-01T10:00:00+08:00"),
               event("objected", "H1", "2026-06-01T11:00:00+08:00", reason="非本单位职责"),
               event("objection_decided", "H1", "2026-06-01T14:00:00+08:00", decision="accepted", unit="U2"),
               event("objected", "H1", "2026-06-01T15:00:00+08:00", reason="非本单位职责"),
               event("objection_decided", "H1", "2026-06-01T16:00:00+08:00", decision="accepted", unit="U3")], END)
    hard = [line for line in got if line["type"] == "hard_case"]
    assert [(h["at"][:16], h["unit"]) for h in hard] == [("2026-06-01T16:00", "U3")]
    # and it escalates as in 提级督办: the record, the SMS to the unit and the supervisor's task, at once
    assert escalation(got, "H1") == [("2026-06-01T16:00", "U3", "escalated", ""),
                                     ("2026-06-01T16:00", "U3", "phone_urge", ""),
                                     ("2026-06-01T16:00", "U3", "sms", "escalated")]


def test_an_order_reopened_three_times_becomes_a_hard_case():
    records = [*UNITS, order("H2", "2026-06-01T10:00:00+08:00"), event("signed", "H2", "2026-06-01T11:00:00+08:00")]
    for day in (2, 3, 4):
        records += [event("replied", "H2", f"2026-06-0{day}T10:00:00+08:00"),
                    event("reopened", "H2", f"2026-06-0{day}T15:00:00+08:00")]
    got = run(records, END)
    assert [(h["at"][:16], h["unit"]) for h in got if h["type"] == "hard_case"] == [("2026-06-04T15:00", "U1")]
    assert escalation(got, "H2") == [("2026-06-04T15:00", "U1", "escalated", ""),
                                     ("2026-06-04T15:00", "U1", "phone_urge", ""),
                                     ("2026-06-04T15:00", "U1", "sms", "escalated")]
    records_two = records[:-2]
    two = run(records_two, END)
    assert not [h for h in two if h["type"] == "hard_case"]
    # not a hard case: it escalates only the ordinary way, its 督办函's reply date passed unanswered
    assert [h["at"][:10] for h in two if h["type"] == "escalated"] == ["2026-07-17"]


def escalation(got: list[dict], number: str) -> list[tuple[str, str, str, str]]:
    """The 提级督办 step's lines for the order (its record, SMS and supervisor task) when it became a hard case (a
    督办函 sent later and not answered by its date escalates again, as for any order)."""
    at = {line["at"] for line in got if line.get("order") == number and line["type"] == "hard_case"}
    return sorted((line["at"][:16], line["unit"], line["type"], line.get("template", "")) for line in got
                  if line.get("order") == number and line["at"] in at
                  and (line["type"] in ("escalated", "phone_urge") or line.get("template") == "escalated"))
