"""Hard cases (疑难工单) escalate the one way every order escalates at once (提级督办), and a coordination meeting
(会商) on one, recorded through replay, sets the lead and co-handling units and a new deadline."""
from __future__ import annotations

import json

import pytest

from engine.domain.errors import InvalidTransition
from engine.persistence import escalation_queries
from tests.conftest import local
from tests.scenarios.test_national_rules import END, UNITS
from tests.scenarios.test_replay_rules import event, order, run
from workflows.replay import ReplayError, read_events

U4 = {"type": "unit", "code": "U4", "name": "区水务局", "phones": ["+8613900000004"]}


def passed_among_three(engine, number: str) -> None:
    """Objected twice and re-dispatched twice: U1 → U2 → U3, a hard case on 06-01 16:00."""
    for code in ("U1", "U2", "U3"):
        engine.register_unit(code, f"单位{code}", [f"+861390000000{code[1]}"])
    engine.open_work_order(number=number, unit_code="U1", category="投诉", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0))
    for hour, unit in ((11, "U2"), (15, "U3")):
        engine.object_to_dispatch(number, reason="非本单位职责", at=local(2026, 6, 1, hour, 0), actor="u")
        engine.decide_objection(number, decision="accepted", unit_code=unit, at=local(2026, 6, 1, hour + 1, 0),
                                actor="sup")


def escalations(engine, number: str) -> list[str]:
    with engine.store.reading() as tx:
        return [r[0] for r in tx.c.exec_driver_sql(
            f"SELECT unit_code FROM actions WHERE kind='escalated' AND order_number='{number}'").all()]


def listed(engine) -> list[str]:
    with engine.store.reading() as tx:
        return [r["number"] for r in escalation_queries.escalated_orders(tx.c)]


def test_a_hard_case_is_listed_for_leadership_as_escalated_until_it_is_replied(engine, clock):
    passed_among_three(engine, "HC1")
    assert escalations(engine, "HC1") == ["U3"]
    assert listed(engine) == ["HC1"]
    engine.record_event("HC1", "signed", at=local(2026, 6, 2, 9, 0))
    engine.record_event("HC1", "replied", at=local(2026, 6, 2, 10, 0))
    assert listed(engine) == []


def test_a_hard_case_escalates_in_its_own_round_after_escalations_by_hand_in_earlier_ones(engine, clock):
    for code in ("U1", "U2", "U3"):
        engine.register_unit(code, f"单位{code}", [f"+861390000000{code[1]}"])
    engine.open_work_order(number="HC2", unit_code="U1", category="投诉", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0))
    engine.record_event("HC2", "signed", at=local(2026, 6, 1, 10, 30))
    engine.escalate("HC2", at=local(2026, 6, 1, 11, 0), actor="sup", reason="多次投诉")
    for day in (2, 3, 4):
        engine.record_event("HC2", "replied", at=local(2026, 6, day, 10, 0))
        engine.record_event("HC2", "reopened", at=local(2026, 6, day, 15, 0))
        if day == 2:  # a reopen starts a new round, escalated by hand again
            engine.escalate("HC2", at=local(2026, 6, 2, 16, 0), actor="sup", reason="重办后仍未解决")
    with engine.store.reading() as tx:
        assert tx.get_order("HC2").hard_case_at == local(2026, 6, 4, 15, 0)
    assert escalations(engine, "HC2") == ["U1", "U1", "U1"]  # by hand twice, then once as a hard case
    with pytest.raises(InvalidTransition, match="本轮已提级督办"):  # the same step: once a round
        engine.escalate("HC2", at=local(2026, 6, 4, 16, 0), actor="sup", reason="再次")


# ------------------------------------------------------------------------------------------- 会商 through replay
HARD = [*UNITS, U4, {**order("M1", "2026-06-01T10:00:00+08:00"), "co_units": ["U4"]},
        event("objected", "M1", "2026-06-01T11:00:00+08:00", reason="非本单位职责"),
        event("objection_decided", "M1", "2026-06-01T12:00:00+08:00", decision="accepted", unit="U2"),
        event("objected", "M1", "2026-06-01T13:00:00+08:00", reason="非本单位职责"),
        event("objection_decided", "M1", "2026-06-01T14:00:00+08:00", decision="accepted", unit="U3")]


def meeting(**fields) -> dict:
    return {**event("consultation", "M1", "2026-06-02T10:00:00+08:00"), "present": ["U1", "U2", "U3"],
            "decision": "由区城管局牵头，街道配合", "unit": "U2", "co_units": ["U3"], "working_days": 5, **fields}


def of_unit(got: list[dict], unit: str, after: str = "") -> list[tuple[str, str, str]]:
    return sorted((line["at"][:16], line["type"], line.get("template", "")) for line in got
                  if line.get("order") == "M1" and line["unit"] == unit and line["at"] >= after)


def test_a_meeting_sets_the_lead_the_co_units_and_a_new_deadline():
    got = run([*HARD, meeting()], END)
    # U2 leads again from the meeting: 5 WD from Tue 06-02 is Tue 06-09; overdue (urge notice) on Wed 06-10
    assert ("2026-06-02T10:00", "sms", "dispatched") in of_unit(got, "U2")
    assert ("2026-06-10T09:00", "urge_notice", "") in of_unit(got, "U2")
    # U3, the lead until then, is now a co-handling unit: told, and chased for its own sign-for
    assert of_unit(got, "U3", after="2026-06-02T10:00")[:3] == [
        ("2026-06-02T10:00", "sms", "dispatched"), ("2026-06-04T09:00", "phone_urge", ""),
        ("2026-06-04T09:00", "sms", "sign_overdue")]
    assert not [line for line in of_unit(got, "U3", after="2026-06-02T10:00") if line[1] == "urge_notice"]


def test_a_meeting_that_drops_a_co_unit_stops_its_sign_for_chase():
    without = run(HARD, END)
    # without the meeting, U4 (co-handling since intake, never signed) is chased on 06-03 and carded on 06-05
    assert of_unit(without, "U4") == [("2026-06-01T10:00", "sms", "dispatched"), ("2026-06-03T09:00", "phone_urge", ""),
                                      ("2026-06-03T09:00", "sms", "sign_overdue"), ("2026-06-05T09:00", "yellow_card", "")]
    got = run([*HARD, meeting()], END)
    assert of_unit(got, "U4") == [("2026-06-01T10:00", "sms", "dispatched")]  # dropped on 06-02: no more to it


@pytest.mark.parametrize("fields, message", [
    ({"decision": " "}, "the meeting's decision is required"),
    ({"present": []}, "the units present are required"),
    ({"present": ["U9"]}, "unknown handling unit 'U9'"),
    ({"working_days": 0}, "1 到 180 个工作日"),
    ({"co_units": ["U2"]}, "cannot also be a co-handling unit"),
    ({"unit": None}, "the lead unit is required"),
])
def test_bad_meeting_lines_stop_the_replay_with_their_line_number(fields, message):
    lines = [json.dumps(r, ensure_ascii=False) for r in [*HARD, meeting(**fields)]]
    with pytest.raises(ReplayError) as caught:
        read_events(lines)
    assert caught.value.line == len(lines) and message in caught.value.reason


def test_a_meeting_only_on_a_hard_case():
    lines = [json.dumps(r, ensure_ascii=False) for r in [*HARD[:7], meeting()]]  # re-dispatched once only
    with pytest.raises(ReplayError) as caught:
        read_events(lines)
    assert caught.value.line == 8 and "is not a hard case" in caught.value.reason
