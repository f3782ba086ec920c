"""提级督办 through `duban replay`: a 督办函 carries its written-reply date; past it with the order still not replied,
the order escalates (record, SMS `escalated`, a supervisor task); a reply before the date stops it."""
from __future__ import annotations

import pytest

from engine.domain.errors import InvalidInput, InvalidTransition
from engine.persistence import escalation_queries
from tests.conftest import local
from tests.scenarios.test_replay_rules import UNIT, event, order, run, steps

# A 咨询 order of Mon 1 June 2026: deadline Wed 3 June; the letter on the 10th WD after it, Wed 17 June 09:00; the
# written reply is due 5 WD later (skipping 19 June, 端午): Thu 25 June 23:59; escalation Fri 26 June 09:00.
LETTER_AT, REPLY_BY, ESCALATE_AT = "2026-06-17T09:00", "2026-06-25T23:59:59+08:00", "2026-06-26T09:00"


def letter_case(*extra: dict) -> list[dict]:
    return run([UNIT, order("E1", "2026-06-01T10:00:00+08:00", category="咨询"),
                event("signed", "E1", "2026-06-01T11:00:00+08:00"), *extra], "2026-07-31T00:00:00+08:00")


def test_an_unreplied_letter_escalates_after_its_reply_date():
    got = letter_case()
    [letter] = [g for g in got if g["type"] == "supervision_letter"]
    assert letter["at"][:16] == LETTER_AT and letter["reply_by"] == REPLY_BY
    escalated = [g for g in got if g["type"] == "escalated"]
    assert escalated == [{"at": ESCALATE_AT + ":00+08:00", "type": "escalated", "order": "E1", "unit": "U1",
                          "reply_by": REPLY_BY}]
    after = [s for s in steps(got, "E1") if s[0] >= ESCALATE_AT]
    assert after == sorted([(ESCALATE_AT, "escalated", ""), (ESCALATE_AT, "sms", "escalated"),
                            (ESCALATE_AT, "phone_urge", "")])


def test_a_reply_before_the_date_stops_the_escalation():
    got = letter_case(event("replied", "E1", "2026-06-25T16:00:00+08:00"))
    assert [g for g in got if g["type"] == "supervision_letter"]
    assert not [g for g in got if g["type"] == "escalated" or g.get("template") == "escalated"]


def test_a_reply_after_the_date_comes_too_late_to_stop_it():
    got = letter_case(event("replied", "E1", "2026-06-26T10:00:00+08:00"))
    assert [g["at"][:16] for g in got if g["type"] == "escalated"] == [ESCALATE_AT]


@pytest.fixture
def lettered(engine, clock):
    engine.register_unit("U1", "揭阳市市场监督管理局", ["+8613900000001"])
    engine.open_work_order(number="E1", unit_code="U1", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0), title="餐馆油烟直排")
    clock.set(local(2026, 6, 26, 10, 0))
    while engine.fire_due_timers():
        pass
    return engine


def listed(engine):
    with engine.store.reading() as tx:
        return [r["number"] for r in escalation_queries.escalated_orders(tx.c)]


def test_the_escalated_order_is_listed_until_it_is_replied_and_its_call_ends_then(lettered, clock):
    assert listed(lettered) == ["E1"]
    with lettered.store.reading() as tx:
        assert tx.get_order("E1").fired_steps[-1] == "escalated"
    lettered.record_event("E1", "replied", at=clock.now())
    assert listed(lettered) == []


def test_escalating_by_hand_is_the_same_step_at_once_and_only_once(engine, clock):
    engine.register_unit("U1", "揭阳市市场监督管理局", ["+8613900000001"])
    engine.open_work_order(number="H1", unit_code="U1", category="投诉", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0))
    clock.set(local(2026, 6, 2, 10, 0))
    with pytest.raises(InvalidInput):
        engine.escalate("H1", at=clock.now(), actor="sup", reason=" ")
    engine.escalate("H1", at=clock.now(), actor="sup", reason="疑难工单，多部门推诿")
    assert listed(engine) == ["H1"]
    with pytest.raises(InvalidTransition, match="已提级督办"):
        engine.escalate("H1", at=clock.now(), actor="sup", reason="再次")


# ---------------------------------------------------------------------------------------- manual and rule cards
def test_a_manual_card_takes_the_place_of_the_rules_card_of_that_colour():
    """A 咨询 order of Mon 1 June (deadline Wed 3 June): the rules' yellow card would come on Mon 8 June 09:00. A
    supervisor's yellow card on Fri 5 June takes its place (the step is done, naming the card) and sends the same
    SMS; the red card still comes by rule on Wed 10 June."""
    got = run([UNIT, order("M1", "2026-06-01T10:00:00+08:00", category="咨询"),
               event("signed", "M1", "2026-06-01T11:00:00+08:00"),
               event("card", "M1", "2026-06-05T15:00:00+08:00", color="yellow", reason="推诿扯皮，拒不到场")],
              "2026-06-12T00:00:00+08:00")
    yellow = [g for g in got if g["type"] == "yellow_card"]
    assert yellow == [{"at": "2026-06-05T15:00:00+08:00", "type": "yellow_card", "order": "M1", "unit": "U1",
                       "manual_card": 1}]
    assert [g["at"][:16] for g in got if g.get("template") == "yellow_card"] == ["2026-06-05T15:00"]
    assert [g["at"][:16] for g in got if g["type"] == "red_card"] == ["2026-06-10T09:00"]


def test_a_card_of_the_other_colour_leaves_the_rules_card_in_place():
    got = run([UNIT, order("M2", "2026-06-01T10:00:00+08:00", category="咨询"),
               event("signed", "M2", "2026-06-01T11:00:00+08:00"),
               event("card", "M2", "2026-06-05T15:00:00+08:00", color="red", reason="拒不整改")],
              "2026-06-12T00:00:00+08:00")
    assert [g["at"][:16] for g in got if g["type"] == "yellow_card"] == ["2026-06-08T09:00"]
    assert [(g["at"][:16], g.get("manual_card")) for g in got if g["type"] == "red_card"] == [
        ("2026-06-05T15:00", 1)]  # the rule's red card of 10 June does not come
