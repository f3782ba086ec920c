"""Issue 21: the assessment is computed once per month and kept current by the worker's refresh; the kept figures
must equal a full recomputation after a stream of events, late events for a closed month included."""
from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook

from engine.assessment.scores import combine, figures_of
from engine.clock import LOCAL_TZ
from engine.persistence.assessment_tables import assessment_kept_lines
from engine.persistence.kept_assessment import export_stamps
from tests.assessment.conftest import run_june, run_until
from tests.conftest import local
from workflows.assessment.exports import export_period, export_stamp, figures_as_of
from workflows.assessment.service import PeriodResult
from workflows.assessment.xlsx import export_xlsx


def kept_equals_recomputed(service, label):
    kept = service.kept.month(label)
    again = service.compute_month(label)
    assert [(s.unit_code, s.total, figures_of(s)) for s in kept.scores] == [
        (s.unit_code, s.total, figures_of(s)) for s in again.scores], label
    return kept


def cells(content):
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in load_workbook(BytesIO(content))}


def stored_stamps(engine):
    with engine.store.reading() as tx:
        return export_stamps(tx.c)


def export_equals_recomputed(service, label):
    """The download (the file the worker built and stored) equals a workbook from a full recomputation."""
    result = service.period(label)
    assert stored_stamps(service.engine).get(label) == export_stamp(result, service.boards(result)), label
    months = [service.compute_month(m.label) for m in result.months]
    scores = months[0].scores if result.period.kind == "month" else combine((m.period.label, m.scores) for m in months)
    again = PeriodResult(result.period, scores, result.months)
    fresh = export_xlsx(again, service.boards(again), months, as_of=figures_as_of(result))
    downloaded = export_period(service, label)
    assert cells(downloaded) == cells(fresh), label
    return cells(downloaded)


def test_kept_months_follow_the_events_and_equal_a_full_recomputation(engine, clock, service):
    run_june(engine, clock, service, until=local(2026, 7, 1, 8))
    year = service.period("2026")  # first use computes and keeps every month begun
    assert [m.source for m in year.months] == ["kept"] * 7 and year.provisional == ["2026-07"]
    assert not service.kept.month("2026-06").stale
    assert service.refresh() == []  # nothing recorded since: nothing recomputed

    # July goes on: a sign-for and a reply of June's orders, a new order
    run_until(engine, clock, local(2026, 7, 2, 10))
    engine.record_event("J6", "signed", at=clock.now())
    engine.open_work_order(number="K1", unit_code="U02", category="咨询", urgency="一般", source="12345", at=clock.now())
    run_until(engine, clock, local(2026, 7, 3, 10))
    engine.record_event("J6", "replied", at=clock.now())
    # late facts for the closed month: a June callback recorded only now, and an order exempted now
    service.record_callback("J5", satisfaction="不满意", solved=False, attributed_to_unit=False,
                            at=local(2026, 6, 29, 16), actor="hotline")
    service.exempt_order("J3", reason="无理诉求", actor="supervisor")
    june_before = service.kept.month("2026-06")
    assert june_before.stale and service.kept.month("2026-07").stale
    run_until(engine, clock, clock.now() + timedelta(minutes=5))
    assert set(service.refresh()) >= {"2026-06", "2026-07"}
    june = kept_equals_recomputed(service, "2026-06")
    july = kept_equals_recomputed(service, "2026-07")
    assert june.as_of == clock.now() and july.provisional and not june.provisional
    assert june.scores != june_before.scores  # the late callback and the exemption changed June
    # a unit's explanation page reads its lines kept with the figures: those of a recomputation
    again = service.compute_month("2026-06")
    for code in ("U01", "U02"):
        page = service.unit_month("2026-06", code)
        assert page.as_of == june.as_of and page.lines == [x for x in again.lines if x.unit_code == code]
        assert [figures_of(s) for s in page.scores] == [figures_of(s) for s in again.scores if s.unit_code == code]
    # a month kept before its lines were (migration 0020) is computed again once by the refresh
    with engine.store.transaction() as tx:
        tx.c.execute(assessment_kept_lines.delete().where(assessment_kept_lines.c.period == "2026-05"))
    assert service.refresh() == ["2026-05"] and service.refresh() == []  # once
    # the XLSX exports were rebuilt by the same refresh, and equal a workbook of recomputed figures
    june_sheets = export_equals_recomputed(service, "2026-06")
    export_equals_recomputed(service, "2026Q3")
    year_sheets = export_equals_recomputed(service, "2026")
    assert f"数据截至 {clock.now().astimezone(LOCAL_TZ):%Y-%m-%d %H:%M}" in june_sheets["考核汇总"][1][0]
    assert any(row[4] == "J3" and row[6] == "免于考核" for row in year_sheets["考核明细"])  # the late exemption
    for label in ("2026-01", "2026-05"):
        kept_equals_recomputed(service, label)
    # a quarter and the year are assembled from the kept months, equal to combining recomputed months
    q3 = service.period("2026Q3")
    assert [m.label for m in q3.months] == ["2026-07"]
    assert {s.unit_code: s.total for s in q3.scores} == {s.unit_code: s.total for s in july.scores}
    # a published month is read from its revision and never recomputed by the refresh
    run_until(engine, clock, local(2026, 7, 6, 9))
    service.publish("2026-06", actor="supervisor")
    engine.record_event("J4", "replied", at=local(2026, 6, 30, 9))  # late, after publication
    run_until(engine, clock, clock.now() + timedelta(minutes=5))
    assert "2026-06" not in service.refresh()
    assert service.kept.month("2026-06").source == "published"
    published = cells(export_period(service, "2026-06"))  # rebuilt from the revision: its lines and its version
    assert published["考核明细"] == june_sheets["考核明细"] and "第1版" in published["考核办法"][1][3]


def test_a_changed_formula_version_makes_kept_months_stale(engine, clock, service, tmp_path):
    from tests.assessment.conftest import config_with
    from workflows.assessment.service import AssessmentService

    run_june(engine, clock, service, until=local(2026, 7, 1, 8))
    service.period("2026-06")
    newer = AssessmentService(engine, config_with(tmp_path, """
[[version]]
version = "2026.2"
effective_from = "2026-06-01"
items.sign_for = { weight = 25, zero_at = 0.80 }
items.reply = { weight = 25, zero_at = 0.65 }
items.satisfaction = { weight = 35, zero_at = 0.50 }
items.reopen = { weight = 15, zero_at = 0.20, lower_is_better = true }
deductions = { yellow_card = 0.5, red_card = 1, supervision_letter = 2, missed_letter_reply = 3 }
"""))
    assert newer.kept.month("2026-06").stale
    assert "2026-06" in newer.refresh()
    assert newer.kept.month("2026-06").formula_version == "2026.2"
    kept_equals_recomputed(newer, "2026-06")
