"""June 2026 worked out by hand, then computed by the engine: every figure must match to the point.

Calendar: weekdays only (no holidays), so the sign-for day is simply the next weekday. Formula: the shipped
version 2026.1 — sign-for 15 (0 at 80%), reply 35 (0 at 65%), satisfaction 35 (0 at 50%), reopen 15
(15 at 0%, 0 at 20% or more); yellow −0.5, red −1, letter −2, missed letter reply −3; points to 0.01, half up.
"""
from __future__ import annotations

from decimal import Decimal

from config.assessment_loader import load_assessment
from engine.assessment.compute import apply_appeals, classify, score
from engine.assessment.facts import ActionFact, Facts, OrderFact
from engine.assessment.periods import parse_period
from engine.assessment.ranking import rank, top_and_bottom
from engine.domain.calendar import WorkingCalendar
from tests.conftest import local

CAL = WorkingCalendar(known_years=frozenset({2026}))
JUNE = parse_period("2026-06")
FORMULA = load_assessment().formulas.for_day(JUNE.first_day)
END = (23, 59, 59)


def o(number, unit, dispatched, deadline=None, signed=None, replies=(), reopens=(), callbacks=(), exempt=None):
    return OrderFact(number, unit, dispatched, deadline, signed, tuple(replies), tuple(reopens), tuple(callbacks),
                     tuple([("signed", signed)] if signed else []) + tuple(("replied", r) for r in replies), exempt)


FACTS = Facts(
    units={"A": "园林局", "B": "水务局", "C": "档案局"},
    orders=(
        # unit A
        o("A1", "A", local(2026, 6, 1, 10), local(2026, 6, 3, *END), signed=local(2026, 6, 2, 9),
          replies=[local(2026, 6, 3, 10)], callbacks=[(local(2026, 6, 4, 10), "满意")]),
        o("A2", "A", local(2026, 6, 2, 10), local(2026, 6, 16, *END), signed=local(2026, 6, 4, 9),
          replies=[local(2026, 6, 17, 10)], reopens=[local(2026, 6, 18, 11)],
          callbacks=[(local(2026, 6, 18, 10), "不满意")]),
        o("A3", "A", local(2026, 6, 5, 15), local(2026, 6, 19, *END), signed=local(2026, 6, 8, 9),
          replies=[local(2026, 6, 10, 10)], callbacks=[(local(2026, 6, 11, 10), "基本满意")]),
        o("A4", "A", local(2026, 6, 30, 10), local(2026, 7, 14, *END)),  # sign-for day and deadline in July
        o("A5", "A", local(2026, 5, 29, 10), local(2026, 6, 5, *END), signed=local(2026, 5, 29, 11),
          replies=[local(2026, 6, 8, 10)], callbacks=[(local(2026, 6, 9, 10), "不满意")], exempt="无理要求赔偿"),
        # unit B
        o("B1", "B", local(2026, 6, 1, 9), local(2026, 6, 15, *END), signed=local(2026, 6, 1, 10),
          replies=[local(2026, 6, 12, 10), local(2026, 6, 19, 10)], reopens=[local(2026, 6, 13, 10)],
          callbacks=[(local(2026, 6, 13, 9), "不满意"), (local(2026, 6, 20, 10), "满意")]),
        o("B2", "B", local(2026, 6, 10, 9), local(2026, 6, 24, *END), signed=local(2026, 6, 10, 10),
          replies=[local(2026, 6, 20, 10)], callbacks=[(local(2026, 6, 22, 10), "满意")]),
        o("B3", "B", local(2026, 6, 15, 9), local(2026, 6, 29, *END), signed=local(2026, 6, 16, 17),
          replies=[local(2026, 6, 29, 23)], callbacks=[(local(2026, 7, 1, 10), "不满意")]),
        o("B4", "B", local(2026, 6, 22, 9), local(2026, 7, 6, *END), signed=local(2026, 6, 22, 10)),
        o("B5", "B", local(2026, 6, 29, 9), local(2026, 7, 13, *END), signed=local(2026, 6, 30, 16)),
        o("B7", "B", local(2026, 6, 3, 9), local(2026, 6, 17, *END), signed=local(2026, 6, 5, 9),
          replies=[local(2026, 6, 16, 10)], callbacks=[(local(2026, 6, 17, 10), "基本满意")]),
        o("B8", "B", local(2026, 5, 20, 9), local(2026, 6, 10, *END), signed=local(2026, 5, 20, 10),
          replies=[local(2026, 6, 9, 10)]),
        o("B9", "B", local(2026, 5, 25, 9), local(2026, 6, 12, *END), signed=local(2026, 5, 25, 10),
          replies=[local(2026, 6, 12, 10)]),
    ),
    actions=(
        ActionFact(1, "yellow_card", "A", "A2", local(2026, 6, 12, 9)),
        ActionFact(2, "supervision_letter", "A", "A5", local(2026, 6, 2, 9)),   # answered: A5 replied Jun 8
        ActionFact(3, "supervision_letter", "A", "A2", local(2026, 6, 22, 9)),  # reply due Jun 29: no response
        ActionFact(4, "red_card", "B", "B3", local(2026, 6, 26, 9)),
        ActionFact(5, "yellow_card", "B", "B3", local(2026, 5, 26, 9)),  # May: not June's
    ),
)


def june(accepted=None):
    lines = classify(JUNE, FACTS, FORMULA, CAL, sign_working_days=1)
    lines = apply_appeals(lines, accepted or {})
    return lines, {s.unit_code: s for s in score(FORMULA, lines, FACTS.units)}


def test_june_scores_match_the_hand_computation():
    lines, s = june()
    a, b, c = s["A"], s["B"], s["C"]
    # --- A (园林局)
    # sign-for due in June: A5 (due 6/1, signed 5/29 ✓), A1 (6/2 ✓), A2 (6/3, signed 6/4 ✗), A3 (Fri→Mon 6/8 ✓);
    # A4 is due 7/1. 3/4 = 75% ≤ 80% → 0.
    assert (a.item("sign_for").yes, a.item("sign_for").counted, a.item("sign_for").points) == (3, 4, Decimal("0.00"))
    # reply, first deadline in June: A1 ✓, A2 (6/16, replied 6/17 ✗), A3 ✓, A5 (6/5, replied 6/8 ✗): 2/4 = 50% → 0.
    assert (a.item("reply").yes, a.item("reply").counted, a.item("reply").points) == (2, 4, Decimal("0.00"))
    # satisfaction: A1 满意 ✓, A2 不满意 ✗, A3 基本满意 ✓, A5 exempt (unreasonable request).
    # 2/3: 35 × (2/3 − 1/2) / (1/2) = 35/3 = 11.666… → 11.67
    assert (a.item("satisfaction").yes, a.item("satisfaction").counted) == (2, 3)
    assert a.item("satisfaction").points == Decimal("11.67")
    # reopen: replied or reopened in June: A1, A2 (reopened), A3, A5 → 1/4 = 25% ≥ 20% → 0.
    assert (a.item("reopen").yes, a.item("reopen").counted, a.item("reopen").points) == (1, 4, Decimal("0.00"))
    # deductions: 1 yellow (0.5) + 2 letters (4) + 1 missed letter reply (A2's letter of 6/22, due 6/29: 3) = 7.5
    assert dict((k, (n, p)) for k, n, p in a.deductions) == {
        "yellow_card": (1, Decimal("0.50")), "red_card": (0, Decimal("0.00")),
        "supervision_letter": (2, Decimal("4.00")), "missed_letter_reply": (1, Decimal("3.00"))}
    assert a.total == Decimal("4.17")  # 0 + 0 + 11.67 + 0 − 7.5
    # --- B (水务局)
    # sign-for: B1 ✓ B2 ✓ B3 (due 6/16, 17:00 that day ✓) B4 ✓ B5 (due 6/30 ✓) B7 (due 6/4, signed 6/5 ✗);
    # B8/B9 were due in May. 5/6: 15 × (5/6 − 4/5) / (1/5) = 15/6 = 2.50
    assert (b.item("sign_for").yes, b.item("sign_for").counted, b.item("sign_for").points) == (5, 6, Decimal("2.50"))
    # reply: B1 (first round 6/15, replied 6/12 ✓ — its reopen does not move the first deadline), B2, B3 (23:00 on the
    # deadline day ✓), B7, B8, B9 (10:00 on the day ✓): 6/6 → 35.
    assert (b.item("reply").yes, b.item("reply").counted, b.item("reply").points) == (6, 6, Decimal("35.00"))
    # satisfaction: B1's last June callback 满意 ✓ (the 6/13 不满意 is superseded), B2 ✓, B7 ✓; B3 called back in July.
    assert (b.item("satisfaction").yes, b.item("satisfaction").counted, b.item("satisfaction").points) == (
        3, 3, Decimal("35.00"))
    # reopen: B1 (reopened), B2, B3, B7, B8, B9 → 1/6: 15 × (1/5 − 1/6) / (1/5) = 15/6 = 2.50
    assert (b.item("reopen").yes, b.item("reopen").counted, b.item("reopen").points) == (1, 6, Decimal("2.50"))
    assert b.deducted == Decimal("1.00")  # the red card of 6/26; May's yellow card is not June's
    assert b.total == Decimal("74.00")  # 2.5 + 35 + 35 + 2.5 − 1
    # --- C (档案局): nothing fell due → every item 不适用, no score (not full marks), no lines, not ranked
    assert c.total is None and c.not_applicable == ("sign_for", "reply", "satisfaction", "reopen")
    assert "不适用" in c.explanation()
    assert not [x for x in lines if x.unit_code == "C"]
    assert [(r.rank, r.unit_code, r.total) for r in rank(s.values())] == [
        (1, "B", Decimal("74.00")), (2, "A", Decimal("4.17"))]
    top, bottom = top_and_bottom(rank(s.values()), 1)
    assert top == [] and [r.unit_code for r in bottom] == ["A"]  # B (74, 合格) is not good enough for the 红榜


def test_every_point_is_explained_down_to_the_order_number():
    lines, _ = june()
    by = {(x.unit_code, x.item): [(x.order_number, x.outcome) for x in lines
                                  if (x.unit_code, x.item) == (x.unit_code, x.item)] for x in lines}
    assert sorted((x.order_number, x.outcome) for x in lines if (x.unit_code, x.item) == ("A", "sign_for")) == [
        ("A1", "yes"), ("A2", "no"), ("A3", "yes"), ("A5", "yes")]
    assert [(x.order_number, x.outcome) for x in lines if (x.unit_code, x.item) == ("A", "satisfaction")] == [
        ("A1", "yes"), ("A2", "no"), ("A3", "yes"), ("A5", "exempt")]
    missed = [x for x in lines if x.item == "missed_letter_reply"]
    assert [(x.order_number, x.ref) for x in missed] == [("A2", "3")]
    assert "2026-06-29" in missed[0].detail
    assert by  # every line names its order
    assert all(x.order_number for x in lines)


def test_accepted_appeals_take_lines_out_and_change_the_score():
    _, before = june()
    # A appeals the missed-letter deduction (letter 3) and A2's inclusion in the reply rate; both accepted.
    lines, s = june({("A", "missed_letter_reply", "A2", "3"): 1, ("A", "reply", "A2", ""): 2})
    # reply 2/3: 35 × (2/3 − 0.65) / 0.35 = 35/21 = 1.666… → 1.67; deductions 7.5 − 3 = 4.5
    assert s["A"].item("reply").points == Decimal("1.67")
    assert s["A"].total == Decimal("8.84")  # 0 + 1.67 + 11.67 + 0 − 4.5
    assert before["A"].total == Decimal("4.17")
    marked = [x for x in lines if x.excluded_by]
    assert sorted((x.item, x.excluded_by) for x in marked) == [("missed_letter_reply", 1), ("reply", 2)]
