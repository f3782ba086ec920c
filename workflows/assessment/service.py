"""The assessment's use cases. Each public method that writes is one transaction (the callback and its reopen are
two engine events, recorded one after the other)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from config.assessment_loader import AssessmentConfig
from engine.assessment.compute import apply_appeals, classify, classify_months
from engine.assessment.formula import DEDUCTION_ITEMS, RATE_ITEMS, SHOWN_ITEMS, Formula
from engine.assessment.periods import Period, parse_period
from engine.assessment.ranking import Boards, Ranked, boards, rank
from engine.assessment.scores import Line, PeriodScore, UnitScore, combine, figures_of, score, unit_score_from
from engine.domain.errors import DubanError, InvalidInput, UnknownWorkOrder
from engine.domain.work_order import SATISFACTION_GRADES
from engine.persistence import kept_assessment as kept_store
from engine.persistence.assessment_store import AssessmentRecords
from engine.services import Engine
from workflows.assessment.kept import KeptMonths, MonthFigures


class AssessmentError(DubanError):
    """An assessment request that cannot be done (publish twice, appeal a line that does not exist…)."""


@dataclass(frozen=True)
class CallbackOutcome:
    order_number: str
    satisfaction: str
    reopened: bool
    note: str


@dataclass(frozen=True)
class MonthResult:
    period: Period
    formula: Formula
    scores: list[UnitScore]
    lines: list[Line]
    revision: dict[str, Any] | None  # the published revision shown, or None for a live computation
    as_of: datetime | None = None  # a kept month's: the moment its figures were computed (None: now or published)

    @property
    def ranked(self) -> list[Ranked]:
        return rank(self.scores)

    def unit(self, code: str) -> UnitScore | None:
        return next((s for s in self.scores if s.unit_code == code), None)


@dataclass(frozen=True)
class PeriodResult:
    """A month, quarter or year as the pages show it: unit scores (a month's, or combined from its months)."""

    period: Period
    scores: list[PeriodScore] | list[UnitScore]
    months: list[MonthFigures]  # the months that have begun, each published or kept

    @property
    def ranked(self) -> list[Ranked]:
        return rank(self.scores)

    @property
    def provisional(self) -> list[str]:
        return [m.label for m in self.months if m.provisional]

    @property
    def as_of(self) -> datetime | None:
        return min((m.as_of for m in self.months if m.source == "kept"), default=None)

    @property
    def stale(self) -> bool:
        return any(m.stale for m in self.months)


class AssessmentService:
    def __init__(self, engine: Engine, config: AssessmentConfig) -> None:
        self.engine, self.config = engine, config
        self._periods: dict[tuple[Any, ...], PeriodResult] = {}  # combined periods by their months' stamps
        self.kept = KeptMonths(engine.store, engine.clock, lambda label, as_of: self.compute_month(label, as_of=as_of),
                               lambda period: config.formulas.for_day(period.first_day).version)

    # ------------------------------------------------------------------ callbacks (回访) and the reopen rule
    def record_callback(self, number: str, *, satisfaction: str, solved: bool, attributed_to_unit: bool,
                        at: datetime, actor: str = "system", note: str = "") -> CallbackOutcome:
        """Record a callback; a 不满意 attributed to the unit reopens the order (重办) unless the rule is off or the
        order has been reopened `max_reopens` times already (then the audit log says why it was not)."""
        if satisfaction not in SATISFACTION_GRADES:
            raise InvalidInput(f"satisfaction must be one of {'/'.join(SATISFACTION_GRADES)}, got {satisfaction!r}")
        if not isinstance(attributed_to_unit, bool):
            raise InvalidInput("attributed_to_unit must be true or false")
        order = self.engine.record_event(number, "callback", at=at, actor=actor, note=note, details={
            "satisfaction": satisfaction, "solved": solved, "attributed_to_unit": attributed_to_unit})
        if satisfaction != "不满意" or not attributed_to_unit:
            return CallbackOutcome(number, satisfaction, False, "无需重办")
        if not self.config.reopen_on_dissatisfied_callback:
            return CallbackOutcome(number, satisfaction, False, "回访不满意；规则未启用自动重办")
        reopens = order.cycle - 1
        if reopens >= self.config.max_reopens:
            text = f"已重办 {reopens} 次，达到上限 {self.config.max_reopens} 次，不再自动重办，请组织疑难会商"
            with self.engine.store.transaction() as tx:
                tx.audit(self.engine.clock.now(), actor, "assessment.reopen_limit", number,
                         {"reopens": reopens, "max_reopens": self.config.max_reopens, "callback_at": at.isoformat()})
            return CallbackOutcome(number, satisfaction, False, text)
        self.engine.record_event(number, "reopened", at=at, actor=actor,
                                 note="回访不满意且归责于承办单位，按规则重办", details={"rule": "dissatisfied_callback"})
        return CallbackOutcome(number, satisfaction, True, f"第 {reopens + 1} 次重办")

    def exempt_order(self, number: str, *, reason: str, actor: str) -> bool:
        """Accept an order as an unreasonable request (不合理诉求): its satisfaction is not assessed."""
        if not reason.strip():
            raise InvalidInput("an exemption needs the reason")
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            records = AssessmentRecords(tx)
            if not records.is_known_order(number):
                raise UnknownWorkOrder(number)
            added = records.add_exemption(number, reason.strip(), now, actor)
            if added:
                tx.audit(now, actor, "assessment.exempted", number, {"reason": reason.strip()})
        return added

    # ------------------------------------------------------------------ computing
    def compute_month(self, label: str, *, as_of: datetime | None = None, formula: Formula | None = None,
                      appeals_until: datetime | None = None, unit_code: str | None = None) -> MonthResult:
        """A month computed now from the facts as they stood at `as_of` (default: now); one unit's only with
        `unit_code` (its explanation page)."""
        period = parse_period(label)
        if period.kind != "month":
            raise InvalidInput(f"{label}: a month like 2026-06 is needed")
        as_of = as_of or self.engine.clock.now()
        formula = formula or self.config.formulas.for_day(period.first_day)
        with self.engine.store.reading() as tx:
            records = AssessmentRecords(tx)
            facts = records.read_facts(period.start, period.end, as_of, self.engine.rules, self.engine.calendar,
                                       unit_code=unit_code)
            accepted = records.accepted_appeals(period.label, appeals_until or as_of)
        return self._score_month(period, facts, formula, accepted)

    def _score_month(self, period: Period, facts: Any, formula: Formula,
                     accepted: dict[tuple[str, str, str, str], int]) -> MonthResult:
        lines = apply_appeals(classify(period, facts, formula, self.engine.calendar,
                                       sign_working_days=self.engine.rules.sign_for_working_days), accepted)
        return MonthResult(period, formula, score(formula, lines, facts.units_by(period.end)), lines, None)

    def month(self, label: str, unit_code: str | None = None) -> MonthResult:
        """A month with its explanation lines: as published (latest revision) when it has been, else computed
        now from the facts (one unit's only with `unit_code`)."""
        period = parse_period(label)
        with self.engine.store.reading() as tx:
            records = AssessmentRecords(tx)
            revision = records.latest_revision(period.label)
            if revision is not None:
                lines = records.stored_lines(revision["id"], unit_code)
                stored = records.stored_scores(revision["id"])
        if revision is None:
            return self.compute_month(label, unit_code=unit_code)
        formula = Formula.from_dict(revision["formula"], f"published {label}")
        scores = [unit_score_from(s["unit_code"], s["unit_name"], s["total"], s["figures"]) for s in stored
                  if unit_code is None or s["unit_code"] == unit_code]
        return MonthResult(period, formula, scores, lines, revision)

    def unit_month(self, label: str, unit_code: str) -> MonthResult:
        """One unit's month for its explanation page: as published; else as kept (the figures the ranking shows,
        with the lines of the same computation, read for that unit alone); else (never kept) computed now."""
        period = parse_period(label)
        with self.engine.store.reading() as tx:
            published = AssessmentRecords(tx).latest_revision(period.label) is not None
            row = None if published else kept_store.read_kept(tx.c, period.label)
            lines = None if row is None else kept_store.read_kept_lines(tx.c, period.label, row["as_of"], unit_code)
        if row is None or lines is None:
            return self.month(label, unit_code=unit_code)
        scores = [s for s in row["scores"] if s.unit_code == unit_code]
        return MonthResult(period, self.config.formulas.for_day(period.first_day), scores, lines, None, row["as_of"])

    def period(self, label: str) -> PeriodResult:
        """A month, quarter or year from its kept (or published) months that have begun; a month still open is
        included and marked provisional. A quarter's or year's score is the mean of the months each unit was
        assessed in."""
        period = parse_period(label)
        now = self.engine.clock.now()
        labels = [m.label for m in period.months if m.start <= now]
        stamps = self.kept.stamps(labels)
        key = (period.label, tuple(sorted(stamps.items())))
        if key in self._periods:  # the same published revisions and kept computations: the same figures
            return self._periods[key]
        months = [self.kept.month(m, check_stale=False) for m in labels]
        if period.kind == "month":
            result = PeriodResult(period, months[0].scores if months else [], months)
        else:
            result = PeriodResult(period, combine((m.label, m.scores) for m in months), months)
        if any(stamp[0] == "none" for stamp in stamps.values()):  # months kept just now
            stamps = self.kept.stamps(labels)
            key = (period.label, tuple(sorted(stamps.items())))
        if all(stamp[0] != "none" for stamp in stamps.values()):
            if len(self._periods) > 256:
                self._periods.clear()
            self._periods[key] = result
        return result

    def boards(self, result: PeriodResult) -> Boards:
        """Tiers, rankings within tiers, 红榜/黑榜 and the units left out (样本不足, 不适用), by the config."""
        units = self.config.units
        return boards(result.scores, tier_of=units.tier, tier_order=units.tier_order,
                      min_sample=self.config.min_sample[result.period.kind], size=self.config.list_size)

    def refresh(self) -> list[str]:
        """Recompute the kept months whose facts changed (the worker's job), then build the XLSX exports whose
        figures changed (workflows.assessment.exports); the months recomputed."""
        from workflows.assessment.exports import refresh_exports  # it builds on this module

        months = self.kept.refresh()
        refresh_exports(self, months)
        return months

    def year_by_facts(self, year: int, *, as_of: datetime | None = None) -> list[MonthResult]:
        """Every month of a year from one read of the facts (used by the benchmark and the annual export)."""
        period = parse_period(str(year))
        as_of = as_of or self.engine.clock.now()
        with self.engine.store.reading() as tx:
            records = AssessmentRecords(tx)
            facts = records.read_facts(period.start, period.end, as_of, self.engine.rules, self.engine.calendar)
            accepted = {m.label: records.accepted_appeals(m.label, as_of) for m in period.months}
        months = list(period.months)
        formulas = {m.label: self.config.formulas.for_day(m.first_day) for m in months}
        lines = classify_months(months, facts, formulas, self.engine.calendar,
                                sign_working_days=self.engine.rules.sign_for_working_days)
        results = []
        for m in months:
            marked = apply_appeals(lines[m.label], accepted[m.label])
            results.append(MonthResult(m, formulas[m.label], score(formulas[m.label], marked, facts.units_by(m.end)),
                                       marked, None))
        return results

    # ------------------------------------------------------------------ publishing
    def publish(self, label: str, *, actor: str) -> int:
        """Store a finished month: figures, every explanation line and the formula used. Once only: later
        changes come as revisions made by accepted appeals."""
        period = parse_period(label)
        now = self.engine.clock.now()
        if period.kind != "month":
            raise InvalidInput("only months are published; quarters and years are combined from them")
        if now < period.end:
            raise AssessmentError(f"{label} has not ended yet")
        result = self.compute_month(label, as_of=now)
        with self.engine.store.transaction() as tx:
            records = AssessmentRecords(tx)
            if records.latest_revision(label) is not None:
                raise AssessmentError(f"{label} is already published; use an appeal to change it")
            revision_id = records.insert_revision(
                period=label, formula=result.formula.as_dict(), sign_working_days=self.engine.rules.sign_for_working_days,
                as_of=now, at=now, actor=actor, reason="首次发布", scores=result.scores, lines=result.lines,
                supersedes=None)
            tx.audit(now, actor, "assessment.published", None, {
                "period": label, "revision": 1, "formula_version": result.formula.version,
                "totals": {s.unit_code: None if s.total is None else str(s.total) for s in result.scores}})
        return revision_id

    def verify(self, label: str) -> list[str]:
        """Recompute a published month from the facts as of its publication, with the formula it stored; the
        differences from the stored figures (an empty list: reproducible)."""
        with self.engine.store.reading() as tx:
            records = AssessmentRecords(tx)
            revision = records.latest_revision(label)
            if revision is None:
                raise AssessmentError(f"{label} has not been published")
            stored = {s["unit_code"]: s for s in records.stored_scores(revision["id"])}
        formula = Formula.from_dict(revision["formula"], f"published {label}")
        again = self.compute_month(label, as_of=revision["as_of"], formula=formula,
                                   appeals_until=revision["published_at"])
        diffs = []
        for s in again.scores:
            old = stored.get(s.unit_code)
            if old is None or old["total"] != ("" if s.total is None else str(s.total)) \
                    or old["figures"] != figures_of(s):
                diffs.append(f"{s.unit_code}: stored {old['total'] if old else '—'}, recomputed {s.total}")
        diffs += [f"{code}: stored but not recomputed" for code in set(stored) - {s.unit_code for s in again.scores}]
        return diffs

    # ------------------------------------------------------------------ appeals (考核申诉)
    def file_appeal(self, label: str, *, unit_code: str, item: str, order_number: str, ref: str = "",
                    reason: str, actor: str) -> int:
        """A unit appeals one line: a deduction (item + the card's or letter's ref) or an order's inclusion in a
        rate. The line must be in the month's current figures."""
        if item not in (*RATE_ITEMS, *SHOWN_ITEMS, *DEDUCTION_ITEMS):
            raise InvalidInput(f"unknown assessment item {item!r}")
        if not reason or not reason.strip() or len(reason) > 2000:
            raise InvalidInput("an appeal needs a reason of 1 to 2000 characters")
        result = self.month(label)
        if item in SHOWN_ITEMS and not result.formula.scores(item):
            raise AssessmentError(f"{label}: {item} is shown, not scored, under formula {result.formula.version}")
        key = (unit_code, item, order_number, ref)
        line = next((x for x in result.lines if x.key == key), None)
        if line is None:
            raise AssessmentError(f"{label}: no {item} line for unit {unit_code}, order {order_number}"
                                  + (f", ref {ref}" if ref else "") + " to appeal")
        if line.excluded_by is not None or line.outcome == "exempt":
            raise AssessmentError(f"{label}: that line already counts for nothing")
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            records = AssessmentRecords(tx)
            if records.open_appeal_for(label, unit_code, item, order_number, ref) is not None:
                raise AssessmentError("an appeal against that line is already pending or accepted")
            appeal_id = records.add_appeal({"period": label, "unit_code": unit_code, "item": item,
                                            "order_number": order_number, "ref": ref, "reason": reason.strip(),
                                            "filed_at": now, "filed_by": actor})
            tx.audit(now, actor, "assessment.appeal_filed", order_number, {
                "appeal": appeal_id, "period": label, "unit": unit_code, "item": item, "ref": ref,
                "reason": reason.strip(), "line": line.detail})
        return appeal_id

    def decide_appeal(self, appeal_id: int, *, accept: bool, note: str, actor: str) -> int | None:
        """Accept or reject an appeal. Accepting one on a published month stores a new revision (the previous
        revision's lines with this line taken out, rescored under the same stored formula); returns its id."""
        if not note or not note.strip():
            raise InvalidInput("a decision needs a note")
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            records = AssessmentRecords(tx)
            appeal = records.get_appeal(appeal_id, lock=True)
            if appeal is None:
                raise AssessmentError(f"no appeal {appeal_id}")
            if appeal["status"] != "pending":
                raise AssessmentError(f"appeal {appeal_id} was already {appeal['status']}")
            revision_id = None
            if accept:
                previous = records.latest_revision(appeal["period"])
                if previous is not None:
                    revision_id = self._revise(records, previous, appeal, now, actor)
            records.decide_appeal(appeal_id, status="accepted" if accept else "rejected", at=now, actor=actor,
                                  note=note.strip(), revision_id=revision_id)
            tx.audit(now, actor, "assessment.appeal_accepted" if accept else "assessment.appeal_rejected",
                     appeal["order_number"], {"appeal": appeal_id, "period": appeal["period"],
                                              "unit": appeal["unit_code"], "item": appeal["item"],
                                              "ref": appeal["ref"], "note": note.strip(), "revision_id": revision_id})
        return revision_id

    def _revise(self, records: AssessmentRecords, previous: dict[str, Any], appeal: dict[str, Any],
                now: datetime, actor: str) -> int:
        formula = Formula.from_dict(previous["formula"], f"published {previous['period']}")
        key = (appeal["unit_code"], appeal["item"], appeal["order_number"], appeal["ref"])
        lines = apply_appeals(records.stored_lines(previous["id"]), {key: appeal["id"]})
        names = {s["unit_code"]: s["unit_name"] for s in records.stored_scores(previous["id"])}
        scores = score(formula, lines, names)
        return records.insert_revision(
            period=previous["period"], formula=previous["formula"], sign_working_days=previous["sign_working_days"],
            as_of=previous["as_of"], at=now, actor=actor, reason=f"申诉 #{appeal['id']} 成立",
            scores=scores, lines=lines, supersedes=previous["id"])

    def appeals(self, **filters: Any) -> list[dict[str, Any]]:
        with self.engine.store.reading() as tx:
            return AssessmentRecords(tx).appeals(**filters)

    def revisions(self, label: str | None = None) -> list[dict[str, Any]]:
        with self.engine.store.reading() as tx:
            return AssessmentRecords(tx).revisions(label)

def build_assessment(engine: Engine, path: Any = None) -> AssessmentService:
    from config.assessment_loader import load_assessment
    from workflows.units import registered_directory

    config = load_assessment(path)
    return AssessmentService(engine, replace(config, units=registered_directory(engine, config.units)))


def points(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:.2f}"
