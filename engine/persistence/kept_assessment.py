"""The assessment kept current: each month's unit figures as last computed, and whether anything the month is
computed from was recorded since (then the month is stale and the worker recomputes it).

A month's figures depend only on facts happening before its end (`compute.classify`), so a month is stale when,
recorded after its `as_of` (less a margin for transactions that were still committing):
- an order event of a kind the assessment reads, happening before the month's end (late events included);
- a card or letter dated before the month's end;
- an exemption (不合理诉求) accepted, or an appeal on that month decided;
- a unit registered before the month's end;
or when the formula version in force for the month is no longer the one it was computed with.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.assessment.scores import Line, UnitScore, figures_of, unit_score_from
from engine.persistence.assessment_store import CARD_KINDS, FACT_EVENTS
from engine.persistence.assessment_tables import (
    assessment_appeals,
    assessment_exemptions,
    assessment_exports,
    assessment_kept_lines,
    assessment_kept_months,
    assessment_periods,
)
from engine.persistence.account_tables import cards
from engine.persistence.tables import actions, handling_units, order_events

COMMIT_MARGIN = timedelta(minutes=1)  # an event recorded just before as_of may commit just after the read


def read_kept(c: sa.Connection, period: str) -> dict[str, Any] | None:
    """{period, as_of, formula_version, scores: [UnitScore]} or None when the month was never kept (its lines:
    `read_kept_lines`)."""
    row = c.execute(sa.select(assessment_kept_months).where(assessment_kept_months.c.period == period)).mappings().first()
    if row is None:
        return None
    scores = [unit_score_from(s["unit_code"], s["unit_name"], s["total"], s["figures"]) for s in row["scores"]]
    return {"period": row["period"], "as_of": row["as_of"], "formula_version": row["formula_version"], "scores": scores}


def read_kept_lines(c: sa.Connection, period: str, as_of: datetime, unit_code: str | None = None) -> list[Line] | None:
    """The explanation lines kept with the month's figures computed as of `as_of` (one unit's with `unit_code`);
    None when none were kept with those figures (kept before lines were, or recomputed since)."""
    k = assessment_kept_lines.c
    query = sa.select(k.as_of, k.lines).where(k.period == period).order_by(k.unit_code)
    rows = c.execute(query if unit_code is None else query.where(k.unit_code == unit_code)).all()
    if not rows or any(row.as_of != as_of for row in rows):
        return None
    stored = sorted((values for row in rows for values in row.lines), key=lambda values: values[0])
    return [Line(*values[1:]) for values in stored]  # in the computation's order (the export lists them so)


def has_lines(c: sa.Connection, period: str, as_of: datetime) -> bool:
    """Were explanation lines kept with the month's figures computed as of `as_of` (not so for a month kept before
    lines were: the worker computes it again once)?"""
    k = assessment_kept_lines.c
    row = c.execute(sa.select(k.as_of).where(k.period == period).limit(1)).first()
    return row is not None and row.as_of == as_of


def kept_months(c: sa.Connection) -> dict[str, datetime]:
    """Every kept month with the moment its figures were computed as of."""
    return {r.period: r.as_of for r in c.execute(sa.select(assessment_kept_months.c.period, assessment_kept_months.c.as_of))}


def write_kept(c: sa.Connection, period: str, as_of: datetime, formula_version: str, scores: list[UnitScore],
               lines: list[Line]) -> None:
    rows = [{"unit_code": s.unit_code, "unit_name": s.unit_name, "total": None if s.total is None else str(s.total),
             "figures": figures_of(s)} for s in scores]
    c.execute(assessment_kept_months.delete().where(assessment_kept_months.c.period == period))
    c.execute(assessment_kept_months.insert().values(period=period, as_of=as_of, formula_version=formula_version,
                                                     scores=rows))
    by_unit: dict[str, list[list[Any]]] = {s.unit_code: [] for s in scores}
    for i, x in enumerate(lines):
        by_unit.setdefault(x.unit_code, []).append([i, x.unit_code, x.item, x.order_number, x.ref, x.outcome, x.detail,
                                                    x.excluded_by])
    c.execute(assessment_kept_lines.delete().where(assessment_kept_lines.c.period == period))
    by_unit = by_unit or {"": []}  # no unit assessed: a row all the same, so the month is known kept with its lines
    c.execute(assessment_kept_lines.insert(), [{"period": period, "unit_code": code, "as_of": as_of, "lines": rows}
                                               for code, rows in by_unit.items()])


def read_export(c: sa.Connection, period: str, stamp: str) -> bytes | None:
    """The XLSX of `period` when the one stored was built from what `stamp` digests, else None."""
    e = assessment_exports.c
    return c.execute(sa.select(e.content).where(e.period == period, e.stamp == stamp)).scalar()


def export_stamps(c: sa.Connection) -> dict[str, str]:
    """Every stored export's period and stamp."""
    return dict(c.execute(sa.select(assessment_exports.c.period, assessment_exports.c.stamp)).all())


def write_export(c: sa.Connection, period: str, stamp: str, as_of: datetime, built_at: datetime,
                 content: bytes) -> None:
    c.execute(assessment_exports.delete().where(assessment_exports.c.period == period))
    c.execute(assessment_exports.insert().values(period=period, stamp=stamp, as_of=as_of, built_at=built_at,
                                                 content=content))


def changed_since(c: sa.Connection, period: str, end: datetime, as_of: datetime) -> bool:
    """Was anything month `period` (ending at `end`) is computed from recorded after `as_of`?"""
    since = as_of - COMMIT_MARGIN
    ev, ac = order_events.c, actions.c
    # Only `recorded_at > since` is selective (what came in since the figures were computed). The type and kind
    # are wrapped in coalesce so that no planner walks their index instead: without ANALYZE statistics SQLite
    # did, and the check of every page that shows a kept month cost ~90 ms at 20,000 orders instead of < 1 ms.
    checks = (
        sa.select(ev.id).where(ev.recorded_at > since, ev.at < end,
                               sa.func.coalesce(ev.type, "").in_(FACT_EVENTS)).limit(1),
        sa.select(ac.id).where(ac.recorded_at > since, ac.at < end,
                               sa.func.coalesce(ac.kind, "").in_(CARD_KINDS)).limit(1),
        sa.select(cards.c.id).where(cards.c.withdrawn_at > since,  # its index (0025), not issued_at's: every card
                                    sa.func.coalesce(cards.c.issued_at, end) < end).limit(1),
        sa.select(assessment_exemptions.c.order_number).where(assessment_exemptions.c.accepted_at > since).limit(1),
        sa.select(assessment_appeals.c.id).where(assessment_appeals.c.period == period,
                                                 assessment_appeals.c.decided_at > since).limit(1),
        sa.select(handling_units.c.code).where(handling_units.c.created_at > since,
                                               handling_units.c.created_at < end).limit(1),
    )
    # one statement (each check an EXISTS with the plan it had alone): a page reads two months, and under load each
    # round trip to PostgreSQL cost more than the checks themselves
    return any(c.execute(sa.select(*[query.exists() for query in checks])).one())


def month_stamps(c: sa.Connection, labels: list[str]) -> dict[str, tuple[Any, ...]]:
    """What each month's figures would be read from, cheaply: ("published", latest revision id), ("kept", as_of)
    or ("none",). Equal stamps mean equal figures, so a combined quarter or year can be reused."""
    p = assessment_periods.c
    published = dict(c.execute(sa.select(p.period, sa.func.max(p.id)).where(p.period.in_(labels)).group_by(p.period)).all())
    kept_at = dict(c.execute(sa.select(assessment_kept_months.c.period, assessment_kept_months.c.as_of)
                             .where(assessment_kept_months.c.period.in_(labels))).all())
    return {label: ("published", published[label]) if label in published else
            ("kept", kept_at[label]) if label in kept_at else ("none",) for label in labels}
