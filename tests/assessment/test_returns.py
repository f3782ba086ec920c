"""The 2025 rules' 回退率 in the assessment: each dispatch objection the hotline decided is a line of the unit that
objected, explained to the order; shown, not scored, unless a formula version gives it a weight. An accepted
objection's order leaves the objecting unit's other items (its lines are the new unit's)."""
from __future__ import annotations

import pytest

from engine.assessment.formula import RATE_ITEMS
from tests.assessment.conftest import SHIPPED, config_with, run_until
from tests.conftest import local
from tests.web_login import client_as
from web import create_app
from workflows.assessment.service import AssessmentError, AssessmentService

# the shipped version again from June, with the returns item weighed
SCORED = "[[version]]\n" + SHIPPED.read_text(encoding="utf-8").split("\n[[version]]\n", 1)[1].replace(
    'version = "2026.1"', 'version = "2026.2"').replace('effective_from = "2026-01-01"', 'effective_from = "2026-06-01"') \
    + "\nitems.returns = { weight = 10, zero_at = 0 }\n"


@pytest.fixture
def returned(engine, clock, service):
    """U01 objects to R1 (accepted: re-dispatched to U02) and to R2 (rejected: back to U01), both on 06-01."""
    for number in ("R1", "R2"):
        engine.open_work_order(number=number, unit_code="U01", category="咨询", urgency="一般", source="12345",
                               at=local(2026, 6, 1, 10))
    engine.object_to_dispatch("R1", reason="非本单位职责", at=local(2026, 6, 1, 11), actor="u01")
    engine.object_to_dispatch("R2", reason="诉求不清/信息不全", at=local(2026, 6, 1, 11, 5), actor="u01")
    engine.decide_objection("R1", decision="accepted", unit_code="U02", at=local(2026, 6, 1, 14), actor="sup")
    engine.decide_objection("R2", decision="rejected", at=local(2026, 6, 1, 14, 5), actor="sup")
    run_until(engine, clock, local(2026, 7, 1, 8))
    return service


def lines_of(result, unit, number):
    return [(x.item, x.outcome) for x in result.lines if x.unit_code == unit and x.order_number == number]


def test_each_decided_objection_is_a_line_of_the_objecting_unit_shown_not_scored(returned):
    june = returned.month("2026-06")
    assert lines_of(june, "U01", "R1") == [("returns", "yes")]  # its sign-for and reply lines left with the order
    assert ("sign_for", "no") in lines_of(june, "U02", "R1") or ("sign_for", "yes") in lines_of(june, "U02", "R1")
    assert ("returns", "no") in lines_of(june, "U01", "R2") and ("sign_for", "no") in lines_of(june, "U01", "R2")
    detail = next(x.detail for x in june.lines if x.item == "returns" and x.order_number == "R1")
    assert detail == "2026-06-01 11:00 退单（非本单位职责）；2026-06-01 14:00 审核同意，改派 U02，该工单此后各项不再计入本单位"
    u01 = june.unit("U01")
    assert tuple(i.key for i in u01.items) == RATE_ITEMS  # not scored by the shipped formula
    returned.publish("2026-06", actor="supervisor")
    assert returned.verify("2026-06") == []
    with pytest.raises(AssessmentError, match="shown, not scored"):
        returned.file_appeal("2026-06", unit_code="U01", item="returns", order_number="R2",
                             ref=local(2026, 6, 1, 14, 5).isoformat(), reason="理由", actor="u01")


def test_a_formula_version_can_score_it(returned, engine, tmp_path):
    scored = AssessmentService(engine, config_with(tmp_path, SCORED))
    june = scored.month("2026-06")
    item = june.unit("U01").item("returns")
    assert (item.yes, item.counted, item.points, item.weight) == (1, 2, 5, 10)  # half accepted: half its weight
    plain = returned.month("2026-06").unit("U01")
    assert june.unit("U01").total != plain.total


def test_the_units_explanation_page_explains_its_returns(returned, engine, settings):
    app = create_app(settings, engine=engine)
    app.extensions["duban.assessment"] = returned
    page = client_as(app, engine, "supervisor1", "supervisor").get("/assessment/2026-06/units/U01").get_data(as_text=True)
    assert "回退率（退单成立）（2）：仅展示，不计分" in page
    assert "50.00%</td><td>仅展示，不计分" in page
    assert "审核不同意，退回本单位继续办理，原办理时限不变" in page and ">R1</a>" in page


def test_each_co_handling_unit_is_assessed_for_its_own_sign_for(engine, clock, service):
    engine.open_work_order(number="C1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10), co_units=["U02", "U03"])
    engine.record_event("C1", "signed", at=local(2026, 6, 1, 11))
    engine.co_sign("C1", unit_code="U02", at=local(2026, 6, 1, 12), actor="u02")
    run_until(engine, clock, local(2026, 7, 1, 8))
    june = service.month("2026-06")
    sign_for = {x.unit_code: (x.outcome, x.detail) for x in june.lines if x.order_number == "C1" and x.item == "sign_for"}
    assert sign_for == {
        "U01": ("yes", "派发 2026-06-01 10:00，应于 2026-06-02 前签收；2026-06-01 11:00 签收，按时"),
        "U02": ("yes", "协办派发 2026-06-01 10:00，应于 2026-06-02 前签收；2026-06-01 12:00 签收，按时"),
        "U03": ("no", "协办派发 2026-06-01 10:00，应于 2026-06-02 前签收；期末未签收，超时")}
    # only the lead owes the reply
    assert {x.unit_code for x in june.lines if x.order_number == "C1" and x.item == "reply"} == {"U01"}


def test_a_co_unit_named_at_a_coordination_meeting_owes_its_sign_for_from_the_meeting(engine, clock, service):
    engine.open_work_order(number="C2", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10))
    for hour, unit in ((11, "U02"), (15, "U03")):  # passed among three units: a hard case
        engine.object_to_dispatch("C2", reason="非本单位职责", at=local(2026, 6, 1, hour), actor="u")
        engine.decide_objection("C2", decision="accepted", unit_code=unit, at=local(2026, 6, 1, hour + 1), actor="sup")
    engine.record_consultation("C2", held_on=local(2026, 6, 10, 10), present=["U01", "U02", "U03"], decision="城管牵头",
                               lead_unit="U02", co_units=["U03"], working_days=5, actor="sup")
    run_until(engine, clock, local(2026, 7, 1, 8))
    june = service.month("2026-06")
    assert [(x.outcome, x.detail) for x in june.lines if x.order_number == "C2" and x.unit_code == "U03"
            and x.item == "sign_for"] == [("no", "协办派发 2026-06-10 10:00，应于 2026-06-11 前签收；期末未签收，超时")]
