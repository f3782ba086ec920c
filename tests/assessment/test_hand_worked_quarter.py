"""Q3 2026 worked out by hand (issue 13's acceptance): three tiers, a unit below the minimum sample, a unit with no
callbacks, a unit with nothing due in a month. Every score, rank, 红榜/黑榜 entry and 不适用 must match.

Calendar: weekdays only. Orders are dispatched on a Monday 10:00 (Jul 6, Aug 3, Sep 7): the sign-for day is the
Tuesday; signed at 11:00 the same day is on time, on the Wednesday late. Deadline: the next Monday 23:59:59; a
reply two days after dispatch is on time, one the day after the deadline late. No reopens (the reopen item is then
0 % → its full 15 points). Formula 2026.1: sign-for 15 (0 at 80 %), reply 35 (0 at 65 %), satisfaction 35
(0 at 50 %), reopen 15; red card −1. Quarter: minimum sample 10 orders due for a reply; lists of 2 per tier.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from config.assessment_loader import load_assessment
from engine.assessment.compute import classify
from engine.assessment.facts import ActionFact, Facts, OrderFact
from engine.assessment.periods import parse_period
from engine.assessment.ranking import boards
from engine.assessment.scores import combine, score
from engine.domain.calendar import WorkingCalendar
from engine.domain.unit_directory import UnitDirectory
from tests.conftest import local

CAL = WorkingCalendar(known_years=frozenset({2026}))
FORMULA = load_assessment().formulas.for_day(parse_period("2026-07").first_day)
MONDAYS = {"2026-07": (7, 6), "2026-08": (8, 3), "2026-09": (9, 7)}
TIERS = UnitDirectory(("区县", "市直部门", "公共企业"), "市直部门", {},
                      {"D1": "区县", "D2": "区县", "M1": "市直部门", "M2": "市直部门", "M3": "市直部门",
                       "P1": "公共企业", "P2": "公共企业"})
NAMES = {"D1": "甲区", "D2": "乙区", "M1": "园林局", "M2": "水务局", "M3": "档案局", "P1": "燃气公司", "P2": "公交公司"}


def orders(unit, month, count, *, late_sign=0, late_reply=0, dissatisfied=0, callbacks=True):
    """`count` orders of `unit` dispatched on the month's Monday; the first `late_sign` signed late, the first
    `late_reply` replied late, the first `dissatisfied` called back 不满意 (the rest 满意), none without callbacks."""
    m, d = MONDAYS[month]
    out = []
    for i in range(count):
        dispatched = local(2026, m, d, 10)
        signed = dispatched + (timedelta(days=2) if i < late_sign else timedelta(hours=1))
        deadline = local(2026, m, d + 7, 23, 59, 59)
        reply = deadline + timedelta(hours=12) if i < late_reply else dispatched + timedelta(days=2)
        grade = "不满意" if i < dissatisfied else "满意"
        out.append(OrderFact(f"{unit}-{month}-{i}", unit, dispatched, deadline, signed, (reply,), (),
                             ((reply + timedelta(hours=3), grade),) if callbacks else (),
                             (("signed", signed), ("replied", reply))))
    return out


ORDERS = [
    *(o for m in MONDAYS for o in orders("D1", m, 4)),  # 100 every month
    *(o for m in MONDAYS for o in orders("D2", m, 4, late_reply=1, dissatisfied=2)),  # reply 3/4, satisfied 2/4
    *(o for m in MONDAYS for o in orders("M1", m, 4, dissatisfied=1)),  # satisfied 3/4
    *(o for m in MONDAYS for o in orders("M2", m, 4, late_sign=1, late_reply=1)),  # signed 3/4, reply 3/4
    *(o for m in MONDAYS for o in orders("M3", m, 1)),  # one order a month: 3 due in the quarter
    *(o for m in MONDAYS for o in orders("P1", m, 4, late_reply=1, callbacks=False)),  # never called back
    *orders("P2", "2026-07", 5), *orders("P2", "2026-09", 5, late_reply=1),  # nothing due in August
]
CARDS = (ActionFact(1, "red_card", "D2", "D2-2026-07-0", local(2026, 7, 10, 9)),)
FACTS = Facts(NAMES, tuple(ORDERS), CARDS)


def month_scores(label):
    period = parse_period(label)
    return {s.unit_code: s for s in score(FORMULA, classify(period, FACTS, FORMULA, CAL, sign_working_days=1), NAMES)}


def quarter():
    months = [(label, list(month_scores(label).values())) for label in MONDAYS]
    return {s.unit_code: s for s in combine(months)}, months


def test_monthly_scores_and_not_applicable_items():
    july, august, september = (month_scores(m) for m in MONDAYS)
    # D1: everything on time, everyone satisfied → 15 + 35 + 35 + 15
    assert july["D1"].total == Decimal("100.00")
    # D2: reply 3/4 → 35 × (0.75 − 0.65) / 0.35 = 10; satisfied 2/4 = 50 % → 0; in July a red card −1
    assert (july["D2"].item("reply").points, july["D2"].item("satisfaction").points) == (Decimal("10.00"), Decimal("0.00"))
    assert (july["D2"].total, august["D2"].total) == (Decimal("39.00"), Decimal("40.00"))
    # M1: satisfied 3/4 → 35 × (0.75 − 0.5) / 0.5 = 17.5 → 82.50
    assert july["M1"].total == Decimal("82.50")
    # M2: signed 3/4 = 75 % < 80 % → 0; reply 3/4 → 10 → 0 + 10 + 35 + 15
    assert july["M2"].total == Decimal("60.00")
    # M3: one order, all good → 100 (but its sample is tiny: see the quarter)
    assert july["M3"].total == Decimal("100.00") and july["M3"].sample == 1
    # P1: no callback at all → satisfaction 不适用, not 35 points: (15 + 10 + 15) / 65 × 100 = 61.538… → 61.54
    p1 = july["P1"]
    assert p1.not_applicable == ("satisfaction",) and p1.item("satisfaction").points is None
    assert (p1.earned, p1.possible, p1.total) == (Decimal("40.00"), Decimal("65"), Decimal("61.54"))
    assert "满意率不适用" in p1.explanation() and "40.00 ÷ 65 × 100 = 61.54" in p1.explanation()
    # P2: nothing due in August → every item 不适用, no score (not 100); July 100, September reply 4/5 → 15 → 80
    assert august["P2"].total is None and august["P2"].not_applicable == ("sign_for", "reply", "satisfaction", "reopen")
    assert (july["P2"].total, september["P2"].total) == (Decimal("100.00"), Decimal("80.00"))


def test_quarter_scores_are_the_mean_of_the_months_assessed():
    q, _ = quarter()
    assert q["D1"].total == Decimal("100.00")
    assert q["D2"].total == Decimal("39.67")  # (39 + 40 + 40) / 3
    assert q["M1"].total == Decimal("82.50") and q["M2"].total == Decimal("60.00")
    assert q["P1"].total == Decimal("61.54")
    # P2: July and September only, named; August (not assessed) is neither 100 nor 0: (100 + 80) / 2
    assert q["P2"].total == Decimal("90.00") and q["P2"].months_text == "7月、9月"
    assert q["P2"].not_assessed == ("2026-08",) and "8月无可考核工单，不计入" in q["P2"].explanation()
    assert {code: s.sample for code, s in q.items()} == {
        "D1": 12, "D2": 12, "M1": 12, "M2": 12, "M3": 3, "P1": 12, "P2": 10}


def test_quarter_ranks_within_tiers_with_graded_lists():
    q, _ = quarter()
    b = boards(q.values(), tier_of=TIERS.tier, tier_order=TIERS.tier_order, min_sample=10, size=2)
    tiers = {t.tier: t for t in b.tiers}
    assert list(tiers) == ["区县", "市直部门", "公共企业"]
    assert [(r.rank, r.unit_code, r.total) for r in tiers["区县"].ranked] == [
        (1, "D1", Decimal("100.00")), (2, "D2", Decimal("39.67"))]
    assert [(r.rank, r.unit_code) for r in tiers["市直部门"].ranked] == [(1, "M1"), (2, "M2")]  # M3 not ranked
    assert [(r.rank, r.unit_code) for r in tiers["公共企业"].ranked] == [(1, "P2"), (2, "P1")]
    # 红榜: 良好 (80) or better only; 黑榜: below 合格 (60) only — short or empty, and saying why
    assert [r.unit_code for r in tiers["区县"].top] == ["D1"] and [r.unit_code for r in tiers["区县"].bottom] == ["D2"]
    assert [r.unit_code for r in tiers["市直部门"].top] == ["M1"] and tiers["市直部门"].bottom == ()
    assert "仅 1 个单位达到良好" in tiers["市直部门"].top_note
    assert tiers["市直部门"].bottom_note == "本档无单位低于合格（60分），黑榜空缺"  # M2's 60.00 is 合格
    assert [r.unit_code for r in tiers["公共企业"].top] == ["P2"] and tiers["公共企业"].bottom == ()
    # M3 scored 100 every month but had 3 due orders: 样本不足, on no list
    assert [(u.unit_code, u.reason, u.sample, u.total) for u in b.unranked] == [("M3", "样本不足", 3, Decimal("100.00"))]
    assert "M3" not in {r.unit_code for r in b.top}


def test_the_old_full_marks_rule_would_have_ranked_differently():
    """The rule-table switch keeps the first version's behaviour available (and shows what changed)."""
    from dataclasses import replace

    old = replace(FORMULA, no_data="full_marks")
    period = parse_period("2026-08")
    august = {s.unit_code: s for s in score(old, classify(period, FACTS, old, CAL, sign_working_days=1), NAMES)}
    assert august["P2"].total == Decimal("100.00")  # nothing due, full marks: what issue 13 reported
