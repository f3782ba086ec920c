"""Reading the facts of an assessment as they stood at a moment, and storing published revisions, appeals and
exemptions. Published revisions are inserted, never updated."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.assessment.scores import Line, UnitScore, figures_of
from engine.assessment.facts import ActionFact, Facts, first_round_deadline, order_fact
from engine.domain.calendar import WorkingCalendar
from engine.domain.rules import RuleTable
from engine.persistence.assessment_tables import (
    assessment_appeals,
    assessment_exemptions,
    assessment_lines,
    assessment_periods,
    assessment_scores,
)
from engine.persistence.account_tables import cards
from engine.persistence.store import SqlTransaction
from engine.persistence.tables import actions, handling_units, order_events, work_orders

FACT_EVENTS = ("signed", "progress_reported", "replied", "closed", "reopened", "callback", "extension_approved",
               "objected", "objection_decided", "co_signed", "consultation")
CARD_KINDS = ("yellow_card", "red_card", "supervision_letter")
LOOKBACK = timedelta(days=180)  # a first-round deadline falls at most this long after dispatch (extensions included)


class AssessmentRecords:
    """Assessment reads and writes inside one `SqlTransaction`."""

    def __init__(self, tx: SqlTransaction) -> None:
        self.c = tx.c

    # --- facts ------------------------------------------------------------------------------
    def read_facts(self, start: datetime, end: datetime, as_of: datetime, rules: RuleTable,
                   calendar: WorkingCalendar, *, unit_code: str | None = None) -> Facts:
        """Everything the months in [start, end) are assessed on: orders that can fall due or act in them, their
        events before `end` recorded by `as_of`, the cards and letters, the exemptions accepted by `as_of`
        (one unit's only, with `unit_code`: its explanation page)."""
        wo = work_orders.c
        letter_orders = (sa.select(actions.c.order_number).where(
            actions.c.kind == "supervision_letter", actions.c.at >= start - timedelta(days=60), actions.c.at < end,
            actions.c.order_number.is_not(None)))
        relevant = sa.and_(wo.dispatched_at < end, wo.parent_number.is_(None), sa.or_(  # a merged child: its parent counts
            wo.dispatched_at >= start - LOOKBACK, wo.deadline_at >= start, wo.last_event_at >= start,
            wo.number.in_(letter_orders)))
        if unit_code is not None:  # its orders, and those it returned in the period (now another unit's: 回退率)
            returned = sa.select(order_events.c.order_number).where(
                order_events.c.type == "objection_decided", order_events.c.at >= start, order_events.c.at < end)
            relevant = sa.and_(sa.or_(wo.unit_code == unit_code, wo.number.in_(returned)), relevant)
        orders = {r["number"]: dict(r) for r in self.c.execute(sa.select(
            wo.number, wo.unit_code, wo.category, wo.urgency, wo.source, wo.dispatched_at, wo.deadline_at, wo.co_units)
            .where(relevant)).mappings()}
        events: dict[str, list[dict[str, Any]]] = defaultdict(list)
        moved: set[str] = set()  # orders reopened or extended at any time: their first deadline is recomputed
        for r in self._fact_events(relevant, list(orders) if unit_code is not None else None):
            if r["type"] in ("reopened", "extension_approved"):
                moved.add(r["order_number"])
            if r["at"] < end and r["recorded_at"] <= as_of:
                events[r["order_number"]].append(dict(r))
        exempt = dict(self.c.execute(sa.select(assessment_exemptions.c.order_number, assessment_exemptions.c.reason)
                                     .where(assessment_exemptions.c.accepted_at <= as_of)).all())
        facts = tuple(order_fact(o, events[n], first_round_deadline(rules, calendar, o, events[n], ever_moved=n in moved),
                                exempt.get(n))
                      for n, o in sorted(orders.items()))
        withdrawn = withdrawn_card_keys(self.c, as_of)
        acts = tuple(ActionFact(r.id, r.kind, r.unit_code, r.order_number, r.at) for r in self.c.execute(
            sa.select(actions.c.id, actions.c.kind, actions.c.unit_code, actions.c.order_number, actions.c.at,
                      actions.c.key)
            .where(actions.c.kind.in_(CARD_KINDS), actions.c.at >= start - timedelta(days=60), actions.c.at < end,
                   actions.c.recorded_at <= as_of,
                   actions.c.unit_code.is_not(None) if unit_code is None else actions.c.unit_code == unit_code)
            .order_by(actions.c.id)) if r.key not in withdrawn)
        units = self.c.execute(sa.select(handling_units.c.code, handling_units.c.name, handling_units.c.created_at)
                               .where(handling_units.c.created_at < end, handling_units.c.created_at <= as_of,
                                      sa.true() if unit_code is None else handling_units.c.code == unit_code)).all()
        return Facts({r.code: r.name for r in units}, facts, acts, {r.code: r.created_at for r in units})

    def _fact_events(self, relevant: Any, numbers: list[str] | None) -> Iterable[Any]:
        """The fact events of the relevant orders: joined for the whole city; for one unit's explanation page by
        its orders' numbers, in chunks (the join's OR over unit and returned orders walked every event: 382 ms at
        100,000 orders, against a few ms by number)."""
        ev = order_events.c
        columns = (ev.order_number, ev.type, ev.at, ev.details, ev.recorded_at)
        if numbers is None:
            yield from self.c.execute(sa.select(*columns).join(work_orders, work_orders.c.number == ev.order_number)
                                      .where(relevant, ev.type.in_(FACT_EVENTS))).mappings()
            return
        for i in range(0, len(numbers), 500):
            yield from self.c.execute(sa.select(*columns).where(ev.order_number.in_(numbers[i:i + 500]),
                                                                ev.type.in_(FACT_EVENTS)).order_by(ev.id)).mappings()

    def is_known_order(self, number: str) -> bool:
        return self.c.execute(sa.select(work_orders.c.number).where(work_orders.c.number == number)).first() is not None

    # --- published revisions ------------------------------------------------------------------
    def latest_revision(self, period: str) -> dict[str, Any] | None:
        row = self.c.execute(sa.select(assessment_periods).where(assessment_periods.c.period == period)
                             .order_by(assessment_periods.c.revision.desc()).limit(1)).mappings().first()
        return dict(row) if row else None

    def revisions(self, period: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(assessment_periods).order_by(assessment_periods.c.period, assessment_periods.c.revision)
        if period is not None:
            query = query.where(assessment_periods.c.period == period)
        return [dict(r) for r in self.c.execute(query).mappings()]

    def insert_revision(self, *, period: str, formula: dict[str, Any], sign_working_days: int, as_of: datetime,
                        at: datetime, actor: str, reason: str, scores: Iterable[UnitScore], lines: Iterable[Line],
                        supersedes: int | None) -> int:
        """Store one revision (the next number for the period) with its figures and lines; returns its id."""
        last = self.latest_revision(period)
        revision_id = int(self.c.execute(assessment_periods.insert().values(
            period=period, revision=(last["revision"] + 1) if last else 1, formula_version=formula["version"],
            formula=formula, sign_working_days=sign_working_days, as_of=as_of, published_at=at, published_by=actor,
            reason=reason, supersedes=supersedes)).inserted_primary_key[0])
        self.c.execute(assessment_scores.insert(), [
            {"period_id": revision_id, "unit_code": s.unit_code, "unit_name": s.unit_name,
             "total": "" if s.total is None else str(s.total),  # "": not assessed (no item applied)
             "figures": figures_of(s)} for s in scores])
        rows = [{"period_id": revision_id, "unit_code": x.unit_code, "item": x.item, "order_number": x.order_number,
                 "ref": x.ref, "outcome": x.outcome, "detail": x.detail, "excluded_by": x.excluded_by} for x in lines]
        if rows:
            self.c.execute(assessment_lines.insert(), rows)
        return revision_id

    def stored_scores(self, revision_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(sa.select(assessment_scores).where(
            assessment_scores.c.period_id == revision_id).order_by(assessment_scores.c.unit_code)).mappings()]

    def stored_lines(self, revision_id: int, unit_code: str | None = None) -> list[Line]:
        query = sa.select(assessment_lines).where(assessment_lines.c.period_id == revision_id)
        if unit_code is not None:
            query = query.where(assessment_lines.c.unit_code == unit_code)
        return [Line(r.unit_code, r.item, r.order_number, r.ref, r.outcome, r.detail, r.excluded_by)
                for r in self.c.execute(query.order_by(assessment_lines.c.id))]

    # --- appeals and exemptions -----------------------------------------------------------------
    def add_appeal(self, values: dict[str, Any]) -> int:
        return int(self.c.execute(assessment_appeals.insert().values(**values, status="pending"))
                   .inserted_primary_key[0])

    def get_appeal(self, appeal_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        query = sa.select(assessment_appeals).where(assessment_appeals.c.id == appeal_id)
        row = self.c.execute(query.with_for_update() if lock else query).mappings().first()
        return dict(row) if row else None

    def open_appeal_for(self, period: str, unit: str, item: str, order_number: str, ref: str) -> int | None:
        a = assessment_appeals.c
        return self.c.execute(sa.select(a.id).where(
            a.period == period, a.unit_code == unit, a.item == item, a.order_number == order_number, a.ref == ref,
            a.status.in_(("pending", "accepted")))).scalar()

    def decide_appeal(self, appeal_id: int, *, status: str, at: datetime, actor: str, note: str,
                      revision_id: int | None) -> None:
        self.c.execute(assessment_appeals.update().where(assessment_appeals.c.id == appeal_id).values(
            status=status, decided_at=at, decided_by=actor, decision_note=note, revision_id=revision_id))

    def appeals(self, *, period: str | None = None, status: str | None = None,
                unit_code: str | None = None) -> list[dict[str, Any]]:
        a = assessment_appeals.c
        query = sa.select(assessment_appeals).order_by(a.id.desc())
        if period:
            query = query.where(a.period == period)
        if status:
            query = query.where(a.status == status)
        if unit_code:
            query = query.where(a.unit_code == unit_code)
        return [dict(r) for r in self.c.execute(query).mappings()]

    def accepted_appeals(self, period: str, decided_by: datetime) -> dict[tuple[str, str, str, str], int]:
        a = assessment_appeals.c
        return {(r.unit_code, r.item, r.order_number, r.ref): r.id for r in self.c.execute(
            sa.select(a.id, a.unit_code, a.item, a.order_number, a.ref).where(
                a.period == period, a.status == "accepted", a.decided_at <= decided_by))}

    def add_exemption(self, order_number: str, reason: str, at: datetime, actor: str) -> bool:
        """False when the order was already exempted (the first decision stands)."""
        exists = self.c.execute(sa.select(assessment_exemptions.c.order_number).where(
            assessment_exemptions.c.order_number == order_number)).first()
        if exists:
            return False
        self.c.execute(assessment_exemptions.insert().values(order_number=order_number, reason=reason,
                                                             accepted_at=at, accepted_by=actor))
        return True


def withdrawn_card_keys(c: sa.Connection, as_of: datetime) -> set[str]:
    """The action keys of the cards withdrawn by `as_of` (a rule's card by its action key; a supervisor's that took
    the rule's step by `manual_card:<id>`): such a card is shown as withdrawn and no longer counts. Withdrawn
    cards are few, so they are read once rather than asked for per action."""
    keys: set[str] = set()
    for card_id, action_key in c.execute(sa.select(cards.c.id, cards.c.action_key)
                                         .where(cards.c.withdrawn_at.is_not(None), cards.c.withdrawn_at <= as_of)):
        keys.update({action_key, f"manual_card:{card_id}"} - {None})
    return keys
