"""The assessment through the real engine: callbacks and the reopen rule, publishing, reproducibility, formula
versions by date, appeals with their audit trail."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.assessment.compute import classify, score
from engine.persistence.tables import audit_log, order_events
from tests.assessment.conftest import config_with, run_june, run_until
from tests.conftest import local
from workflows.assessment.service import AssessmentError, AssessmentService


def _audit(engine, prefix="assessment."):
    with engine.store.reading() as tx:
        return [dict(r) for r in tx.c.execute(sa.select(audit_log).where(audit_log.c.action.like(prefix + "%"))
                                               .order_by(audit_log.c.id)).mappings()]


def _lines(result, unit, item):
    return [(x.order_number, x.outcome) for x in result.lines if (x.unit_code, x.item) == (unit, item)]


def test_a_dissatisfied_callback_attributed_to_the_unit_reopens_until_the_limit(engine, clock, service):
    engine.open_work_order(number="R1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10))
    outcomes = []
    for day in (2, 4, 8):
        engine.record_event("R1", "replied", at=local(2026, 6, day, 10))
        outcomes.append(service.record_callback("R1", satisfaction="不满意", solved=False, attributed_to_unit=True,
                                                at=local(2026, 6, day, 15), actor="hotline"))
    assert [o.reopened for o in outcomes] == [True, True, False]  # max_reopens = 2
    with engine.store.reading() as tx:
        kinds = [r.type for r in tx.c.execute(sa.select(order_events.c.type).where(
            order_events.c.order_number == "R1").order_by(order_events.c.id))]
        order = tx.get_order("R1")
    assert kinds == ["dispatched", "replied", "callback", "reopened", "replied", "callback", "reopened",
                     "replied", "callback"]
    assert order.cycle == 3 and order.status == "replied"
    limit = _audit(engine, "assessment.reopen_limit")
    assert len(limit) == 1 and limit[0]["order_number"] == "R1" and limit[0]["details"]["reopens"] == 2
    # not the unit's fault, or not dissatisfied: recorded, no reopen
    engine.open_work_order(number="R2", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10))
    engine.record_event("R2", "replied", at=local(2026, 6, 2, 10))
    assert not service.record_callback("R2", satisfaction="不满意", solved=False, attributed_to_unit=False,
                                       at=local(2026, 6, 3, 10)).reopened
    assert not service.record_callback("R2", satisfaction="基本满意", solved=True, attributed_to_unit=True,
                                       at=local(2026, 6, 4, 10)).reopened


def test_the_month_through_the_engine_is_explained_by_order(engine, clock, service):
    run_june(engine, clock, service)
    june = service.compute_month("2026-06")
    assert _lines(june, "U01", "sign_for") == [("J1", "yes"), ("J2", "yes"), ("J6", "no")]
    assert _lines(june, "U01", "reply") == [("J1", "yes"), ("J2", "no")]
    assert _lines(june, "U01", "satisfaction") == [("J1", "yes"), ("J2", "no")]
    assert _lines(june, "U01", "reopen") == [("J1", "no"), ("J2", "yes")]
    assert _lines(june, "U02", "satisfaction") == [("J3", "no")]  # dissatisfied, not reopened, still counted
    assert _lines(june, "U02", "reopen") == [("J3", "no")]
    # the ladder carded J2 twice (first round: deadline 06-04, replied 06-12; after its reopen on 06-15 the new
    # deadline 06-17 passed unanswered) and J4 (deadline 06-10, never replied)
    assert [x.order_number for x in june.lines if x.item == "yellow_card"] == ["J2", "J2", "J4"]
    assert len({x.ref for x in june.lines if x.item == "yellow_card"}) == 3
    assert june.formula.version == "2026.1"


def test_a_withdrawn_card_no_longer_counts_and_the_kept_month_goes_stale(engine, clock, service):
    """Issue 12 item 5: a card withdrawn by a supervisor is withdrawn everywhere it was counted, the assessment
    included; the month kept for the pages is marked stale so that the worker recomputes it."""
    from engine.casework import Casework
    from engine.persistence.account_tables import cards

    run_june(engine, clock, service)
    assert [x.order_number for x in service.compute_month("2026-06").lines if x.item == "yellow_card"] == \
        ["J2", "J2", "J4"]
    kept = service.kept.month("2026-06")
    with engine.store.reading() as tx:
        j4_card = tx.c.execute(sa.select(cards.c.id).where(cards.c.order_number == "J4",
                                                           cards.c.color == "yellow")).scalar_one()
    clock.set(clock.now() + timedelta(minutes=10))
    Casework(engine.store, clock).withdraw_card(j4_card, reason="单位已说明系系统派错", actor="sup")
    assert [x.order_number for x in service.compute_month("2026-06").lines if x.item == "yellow_card"] == \
        ["J2", "J2"]
    assert service.kept.month("2026-06").stale and not kept.stale
    before = service.compute_month("2026-06", as_of=clock.now() - timedelta(minutes=5))  # as it stood before
    assert [x.order_number for x in before.lines if x.item == "yellow_card"] == ["J2", "J2", "J4"]


def test_a_published_month_recomputes_to_the_stored_figures_and_later_facts_do_not_rewrite_it(engine, clock, service):
    run_june(engine, clock, service)
    with pytest.raises(AssessmentError):
        service.publish("2026-07", actor="supervisor")  # not over yet
    service.publish("2026-06", actor="supervisor")
    before = service.month("2026-06")
    assert service.verify("2026-06") == []
    with pytest.raises(AssessmentError):
        service.publish("2026-06", actor="supervisor")
    # July: a late callback on a June order, J6 replied; and an exemption accepted after publication
    clock.set(local(2026, 7, 2, 10))
    engine.record_event("J4", "replied", at=local(2026, 7, 2, 10))
    service.record_callback("J4", satisfaction="不满意", solved=False, attributed_to_unit=True,
                            at=local(2026, 7, 2, 11))
    service.exempt_order("J3", reason="诉求人要求超出政策范围", actor="supervisor")
    after = service.month("2026-06")
    assert [(s.unit_code, s.total, s.items) for s in after.scores] == [
        (s.unit_code, s.total, s.items) for s in before.scores]
    assert service.verify("2026-06") == []
    live = service.compute_month("2026-06")  # the live figures do see the exemption
    assert _lines(live, "U02", "satisfaction") == [("J3", "exempt")]
    assert _lines(after, "U02", "satisfaction") == [("J3", "no")]
    published = _audit(engine, "assessment.published")
    assert len(published) == 1 and published[0]["details"]["period"] == "2026-06"


def test_a_formula_change_applies_from_its_date_and_never_rewrites_a_published_month(engine, clock, service,
                                                                                       tmp_path):
    run_june(engine, clock, service)
    service.publish("2026-06", actor="supervisor")
    stored = {s.unit_code: s.total for s in service.month("2026-06").scores}
    new = """
[[version]]
version = "2026.2"
effective_from = "2026-06-01"
items.sign_for = { weight = 10, zero_at = 0.5 }
items.reply = { weight = 40, zero_at = 0.5 }
items.satisfaction = { weight = 40, zero_at = 0.5 }
items.reopen = { weight = 10, zero_at = 0.5, lower_is_better = true }
deductions = { yellow_card = 5, red_card = 10, supervision_letter = 20, missed_letter_reply = 30 }
"""
    changed = AssessmentService(engine, config_with(tmp_path, new))
    assert changed.config.formulas.for_day(local(2026, 5, 31).date()).version == "2026.1"
    # published June stays on 2026.1, whatever the file now says, and still reproduces
    assert {s.unit_code: s.total for s in changed.month("2026-06").scores} == stored
    assert changed.month("2026-06").formula.version == "2026.1"
    assert changed.verify("2026-06") == []
    # an unpublished month from the date on is scored by the new version
    live = changed.compute_month("2026-06")
    assert live.formula.version == "2026.2" and {s.unit_code: s.total for s in live.scores} != stored
    run_until(engine, clock, local(2026, 8, 1, 8))
    assert changed.month("2026-07").formula.version == "2026.2"
    assert service.month("2026-07").formula.version == "2026.1"


def test_appeals_are_decided_with_an_audit_trail_and_an_accepted_one_makes_a_new_revision(engine, clock, service):
    run_june(engine, clock, service)
    first = service.publish("2026-06", actor="supervisor")
    june = service.month("2026-06")
    u02 = june.unit("U02")
    card = next(x for x in june.lines if x.item == "yellow_card" and x.order_number == "J4")
    with pytest.raises(AssessmentError):
        service.file_appeal("2026-06", unit_code="U01", item="reply", order_number="J9", reason="无此工单", actor="U01")
    a1 = service.file_appeal("2026-06", unit_code="U02", item="yellow_card", order_number="J4", ref=card.ref,
                             reason="超期系市民要求改约上门时间所致，有通话录音", actor="U01")
    a2 = service.file_appeal("2026-06", unit_code="U02", item="satisfaction", order_number="J3",
                             reason="诉求人对政策不满，非办理问题", actor="U01")
    with pytest.raises(AssessmentError):
        service.file_appeal("2026-06", unit_code="U02", item="yellow_card", order_number="J4", ref=card.ref,
                            reason="again", actor="U01")
    assert service.decide_appeal(a2, accept=False, note="回访录音显示对办理结果不满意", actor="supervisor") is None
    revision = service.decide_appeal(a1, accept=True, note="核实属实，撤销黄牌扣分", actor="supervisor")
    assert revision is not None and revision != first
    with pytest.raises(AssessmentError):
        service.decide_appeal(a1, accept=False, note="改判", actor="supervisor")
    revised = service.month("2026-06")
    assert revised.revision["revision"] == 2 and revised.revision["supersedes"] == first
    assert u02.total > 0 and revised.unit("U02").total == u02.total + Decimal("0.50")
    assert revised.unit("U01").total == june.unit("U01").total
    marked = [x for x in revised.lines if x.excluded_by == a1]
    assert [(x.item, x.order_number) for x in marked] == [("yellow_card", "J4")]
    assert [r["revision"] for r in service.revisions("2026-06")] == [1, 2]
    with engine.store.reading() as tx:  # revision 1 is untouched
        from engine.persistence.assessment_store import AssessmentRecords

        old = {s["unit_code"]: s["total"] for s in AssessmentRecords(tx).stored_scores(first)}
    assert old["U02"] == str(u02.total)
    assert service.verify("2026-06") == []
    actions = [(r["action"], r["details"].get("appeal")) for r in _audit(engine)]
    assert ("assessment.appeal_filed", a1) in actions and ("assessment.appeal_filed", a2) in actions
    assert ("assessment.appeal_rejected", a2) in actions and ("assessment.appeal_accepted", a1) in actions


def test_quarter_and_year_are_the_mean_of_their_months(engine, clock, service):
    run_june(engine, clock, service, until=local(2026, 8, 1, 8))
    service.publish("2026-06", actor="supervisor")
    q2 = service.period("2026Q2")
    june = service.month("2026-06")
    for s in q2.scores:  # the units were registered on 06-01: April and May do not assess them
        assert dict(s.monthly) == {"2026-06": june.unit(s.unit_code).total} and s.total == june.unit(s.unit_code).total
    year = service.period("2026")
    july = service.month("2026-07")
    for s in year.scores:  # the mean of the months in which the unit was assessed (one item or more applied)
        months = {m.period.label: m.unit(s.unit_code).total for m in (june, july)
                  if m.unit(s.unit_code) is not None and m.unit(s.unit_code).total is not None}
        assert dict(s.monthly) == months and months
        assert s.total == (sum(months.values()) / len(months)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert s.months_text == "、".join(f"{int(m[-2:])}月" for m in months)
        assert s.counted["sign_for"] == june.unit(s.unit_code).item("sign_for").counted + \
            july.unit(s.unit_code).item("sign_for").counted
    # every month begun by now (Aug 1 08:00): August is open, so provisional
    assert [m.period.label for m in year.months] == [f"2026-{m:02d}" for m in range(1, 9)]
    assert year.provisional == ["2026-08"]
    # the one-read path gives the same monthly figures as month-by-month
    by_facts = {m.period.label: m for m in service.year_by_facts(2026)}
    for m in year.months[:-1]:
        if m.revision is None:
            assert [(s.unit_code, s.total) for s in by_facts[m.period.label].scores] == [
                (s.unit_code, s.total) for s in m.scores]


@pytest.mark.postgres
def test_publish_and_verify_on_postgres(make_engine, clock, pg_url):
    from config.assessment_loader import load_assessment

    engine = make_engine(clock=clock, database_url=pg_url)
    service = AssessmentService(engine, load_assessment())
    for code in ("U01", "U02", "U03"):
        engine.register_unit(code, f"单位{code}", [f"+86138001380{code[-2:]}"])
    run_june(engine, clock, service)
    service.publish("2026-06", actor="supervisor")
    assert service.verify("2026-06") == []
    assert classify and score  # the pure functions the service composes
