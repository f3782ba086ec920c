"""The assessment computed once per month and kept current, so no page computes a period per request.

- A published month is read from its latest revision (stored figures, never recomputed).
- Any other month is read from `assessment_kept_months`: computed once, then recomputed by the worker
  (`refresh`, every `refresh.every_minutes`) when something it is computed from was recorded since; the page
  shows the moment its figures were computed as of ("截至"), and says when newer facts are waiting.
- A month never kept yet is computed on first use and kept.
- A quarter or a year is assembled from its months (`scores.combine`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engine.assessment.periods import Period, month_of, parse_period
from engine.assessment.scores import UnitScore, unit_score_from
from engine.persistence import kept_assessment as kept
from engine.persistence.assessment_store import AssessmentRecords


@dataclass(frozen=True)
class MonthFigures:
    """A month's unit scores as the pages show them, and where they come from."""

    period: Period
    formula_version: str
    scores: list[UnitScore]
    as_of: datetime  # the facts were read as they stood at this moment
    source: str  # published | kept
    revision: dict[str, Any] | None = None  # the published revision
    provisional: bool = False  # the month had not ended at as_of: figures will change
    stale: bool = False  # facts were recorded since as_of; the worker recomputes it within minutes

    @property
    def label(self) -> str:
        return self.period.label


class KeptMonths:
    """Reads and keeps months; `compute(label, as_of)` is the full computation (AssessmentService.compute_month)."""

    def __init__(self, store: Any, clock: Any, compute: Callable[[str, datetime], Any],
                 formula_version_for: Callable[[Period], str]) -> None:
        self.store, self.clock, self.compute, self.formula_version_for = store, clock, compute, formula_version_for

    def month(self, label: str, *, check_stale: bool = True) -> MonthFigures:
        period = parse_period(label)
        with self.store.reading() as tx:
            records = AssessmentRecords(tx)
            revision = records.latest_revision(period.label)
            if revision is not None:
                scores = [unit_score_from(s["unit_code"], s["unit_name"], s["total"], s["figures"])
                          for s in records.stored_scores(revision["id"])]
                return MonthFigures(period, revision["formula_version"], scores, revision["as_of"], "published",
                                    revision)
            row = kept.read_kept(tx.c, period.label)
            stale = row is not None and check_stale and self._stale(tx.c, period, row)
        if row is None:
            return self.keep(period.label)
        return MonthFigures(period, row["formula_version"], row["scores"], row["as_of"], "kept",
                            provisional=row["as_of"] < period.end, stale=stale)

    def stamps(self, labels: list[str]) -> dict[str, tuple[Any, ...]]:
        with self.store.reading() as tx:
            return kept.month_stamps(tx.c, labels)

    def _stale(self, c: Any, period: Period, row: dict[str, Any]) -> bool:
        return (row["formula_version"] != self.formula_version_for(period)
                or kept.changed_since(c, period.label, period.end, row["as_of"]))

    def keep(self, label: str) -> MonthFigures:
        """Compute a month from its facts now and keep the figures."""
        period = parse_period(label)
        now = self.clock.now()
        result = self.compute(period.label, now)
        with self.store.transaction() as tx:
            kept.write_kept(tx.c, period.label, now, result.formula.version, result.scores, result.lines)
        return MonthFigures(period, result.formula.version, result.scores, now, "kept", provisional=now < period.end)

    def refresh(self) -> list[str]:
        """Recompute every kept month (and each month of this year and the previous month, so that no page has
        to compute one) whose facts changed; the months recomputed. Published months are left alone: their
        figures change only by revision."""
        now = self.clock.now()
        current = month_of(now)
        previous = month_of(current.start - timedelta(seconds=1))
        this_year = {m.label for m in parse_period(str(current.first_day.year)).months if m.start <= now}
        with self.store.reading() as tx:
            labels = set(kept.kept_months(tx.c)) | this_year | {previous.label}
            published = {label for label in labels if AssessmentRecords(tx).latest_revision(label) is not None}
            due = []
            for label in sorted(labels - published):
                period = parse_period(label)
                if period.start > now:
                    continue
                row = kept.read_kept(tx.c, label)
                if row is None or self._stale(tx.c, period, row) or not kept.has_lines(tx.c, label, row["as_of"]):
                    due.append(label)
        for label in due:
            self.keep(label)
        return due

