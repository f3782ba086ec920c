"""The XLSX export of a period, built once from the kept (or published) figures and stored, so that a download
reads bytes instead of recomputing every month and writing ~70,000 cells (5-10 s for a year at 100,000 orders).

- The worker's refresh builds the export of every month it recomputed, of that month's quarter and year, of the
  standard periods (the previous month, this quarter, this year) and rebuilds any stored one whose figures changed.
- A download serves the stored file when its stamp (a digest of what it was built from: each month's published
  revision or kept moment, and the tiers, ranks and scores) equals the current one; otherwise (never built, or a
  month recomputed since) it builds the file now, once, and stores it.
- The lines of a kept month are the ones kept with its figures (the same computation); a month kept before lines
  were is recomputed from the facts as they stood at its kept moment, which gives the same figures.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from engine.assessment.formula import Formula
from engine.assessment.periods import month_of, parse_period
from engine.assessment.ranking import Boards
from engine.persistence import kept_assessment as kept
from engine.persistence.assessment_store import AssessmentRecords
from workflows.assessment.service import AssessmentService, MonthResult, PeriodResult
from workflows.assessment.xlsx import export_xlsx

LAYOUT = "2"  # the workbook's layout: a new one makes every stored export out of date


def export_period(service: AssessmentService, label: str) -> bytes:
    """The XLSX of a month, quarter or year: the same figures, tiers and lists as the pages, every line."""
    result = service.period(label)
    boards = service.boards(result)
    stamp = export_stamp(result, boards)
    with service.engine.store.reading() as tx:
        content = kept.read_export(tx.c, result.period.label, stamp)
    return content if content is not None else _build(service, result, boards, stamp)


def refresh_exports(service: AssessmentService, months: list[str]) -> list[str]:
    """Build the exports the worker keeps current (see the module's docstring); the periods (re)built."""
    now = service.engine.clock.now()
    current = month_of(now)
    previous = month_of(current.start - timedelta(seconds=1))
    labels = {previous.label, _quarter_of(current.label), current.label[:4]}
    for month in months:
        labels |= {month, _quarter_of(month), month[:4]}
    with service.engine.store.reading() as tx:
        stored = kept.export_stamps(tx.c)
    built = []
    for label in sorted(labels | set(stored)):
        result = service.period(label)
        if not result.months:  # not begun
            continue
        boards = service.boards(result)
        stamp = export_stamp(result, boards)
        if stored.get(result.period.label) != stamp:
            _build(service, result, boards, stamp)
            built.append(result.period.label)
    return built


def export_stamp(result: PeriodResult, boards: Boards) -> str:
    """A digest of everything the workbook shows: equal stamps, equal workbooks (but for the build moment)."""
    months = [(m.label, m.source, m.revision["id"] if m.revision else m.as_of.isoformat(), m.formula_version)
              for m in result.months]
    text = repr((LAYOUT, result.period.label, months, boards, result.scores))
    return hashlib.sha256(text.encode()).hexdigest()


def figures_as_of(result: PeriodResult) -> datetime:
    """The moment the period's figures stand at: the earliest kept month's, else the latest publication's facts."""
    if result.as_of is not None:
        return result.as_of
    return max(m.as_of for m in result.months)


def month_results(service: AssessmentService, result: PeriodResult) -> list[MonthResult]:
    """Each month of the period with its explanation lines, as its figures were computed (never recomputed now)."""
    months = []
    for m in result.months:
        if m.revision is not None:
            with service.engine.store.reading() as tx:
                lines = AssessmentRecords(tx).stored_lines(m.revision["id"])
            formula = Formula.from_dict(m.revision["formula"], f"published {m.label}")
            months.append(MonthResult(m.period, formula, m.scores, lines, m.revision))
            continue
        with service.engine.store.reading() as tx:
            kept_lines = kept.read_kept_lines(tx.c, m.label, m.as_of)
        if kept_lines is None:  # kept before lines were: the facts as they stood then give the same figures
            again = service.compute_month(m.label, as_of=m.as_of)
            months.append(MonthResult(m.period, again.formula, m.scores, again.lines, None))
        else:
            months.append(MonthResult(m.period, service.config.formulas.for_day(m.period.first_day), m.scores,
                                      kept_lines, None))
    return months


def _build(service: AssessmentService, result: PeriodResult, boards: Boards, stamp: str) -> bytes:
    as_of = figures_as_of(result)
    content = export_xlsx(result, boards, month_results(service, result), as_of=as_of)
    with service.engine.store.transaction() as tx:
        kept.write_export(tx.c, result.period.label, stamp, as_of, service.engine.clock.now(), content)
    return content


def _quarter_of(month: str) -> str:
    period = parse_period(month)
    return f"{period.first_day.year}Q{(period.first_day.month - 1) // 3 + 1}"
