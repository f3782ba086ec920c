"""Tables of the performance assessment (issue 7): published periods (immutable revisions) with their figures
and explanation lines, appeals, and orders accepted as unreasonable requests."""
from __future__ import annotations

import sqlalchemy as sa

from engine.persistence.tables import UtcDateTime, metadata

# One row per publication of a month. Never updated: an accepted appeal on a published month adds revision n+1
# (`supersedes` names the one it replaces). The formula used is stored whole, so a later formula change cannot
# alter it; `as_of` is the moment its facts were read (events recorded later are not in it).
assessment_periods = sa.Table(
    "assessment_periods", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False, index=True),  # 2026-06
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("formula_version", sa.String(32), nullable=False),
    sa.Column("formula", sa.JSON, nullable=False),
    sa.Column("sign_working_days", sa.Integer, nullable=False),
    sa.Column("as_of", UtcDateTime(), nullable=False),
    sa.Column("published_at", UtcDateTime(), nullable=False),
    sa.Column("published_by", sa.String(64), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("supersedes", sa.Integer, sa.ForeignKey("assessment_periods.id")),
    sa.UniqueConstraint("period", "revision", name="uq_assessment_periods_period_revision"),
)

assessment_scores = sa.Table(
    "assessment_scores", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period_id", sa.Integer, sa.ForeignKey("assessment_periods.id"), nullable=False, index=True),
    sa.Column("unit_code", sa.String(32), nullable=False),
    sa.Column("unit_name", sa.String(200), nullable=False),
    sa.Column("total", sa.String(16), nullable=False),  # decimal text, e.g. "74.00"
    sa.Column("figures", sa.JSON, nullable=False),  # items (yes, counted, points) and deductions (count, points)
    sa.UniqueConstraint("period_id", "unit_code", name="uq_assessment_scores_period_unit"),
)

assessment_lines = sa.Table(
    "assessment_lines", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period_id", sa.Integer, sa.ForeignKey("assessment_periods.id"), nullable=False, index=True),
    sa.Column("unit_code", sa.String(32), nullable=False),
    sa.Column("item", sa.String(24), nullable=False),
    sa.Column("order_number", sa.String(64), index=True),
    sa.Column("ref", sa.String(32), nullable=False),
    sa.Column("outcome", sa.String(8), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("excluded_by", sa.Integer),  # the accepted appeal
)

assessment_appeals = sa.Table(
    "assessment_appeals", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("period", sa.String(8), nullable=False, index=True),
    sa.Column("unit_code", sa.String(32), sa.ForeignKey("handling_units.code"), nullable=False),
    sa.Column("item", sa.String(24), nullable=False),
    sa.Column("order_number", sa.String(64), nullable=False),
    sa.Column("ref", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # pending | accepted | rejected
    sa.Column("filed_at", UtcDateTime(), nullable=False),
    sa.Column("filed_by", sa.String(64), nullable=False),
    sa.Column("decided_at", UtcDateTime()),
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decision_note", sa.Text),
    sa.Column("revision_id", sa.Integer, sa.ForeignKey("assessment_periods.id")),  # the revision it produced
)

assessment_exemptions = sa.Table(
    "assessment_exemptions", metadata,
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("accepted_at", UtcDateTime(), nullable=False),
    sa.Column("accepted_by", sa.String(64), nullable=False),
)

# The assessment kept current (issue 21): each month's figures as last computed, so the pages never compute a
# period per request. `as_of` is the moment the facts were read; the month is stale when an event, card, letter,
# exemption, appeal decision or unit was recorded after it (see engine/persistence/kept_assessment.py).
assessment_kept_months = sa.Table(
    "assessment_kept_months", metadata,
    sa.Column("period", sa.String(8), primary_key=True),  # 2026-06
    sa.Column("as_of", UtcDateTime(), nullable=False),
    sa.Column("formula_version", sa.String(32), nullable=False),
    sa.Column("scores", sa.JSON, nullable=False),  # [{unit_code, unit_name, total, figures}]
)

# The explanation lines of a kept month, one row per unit (its explanation page reads its own): written with the
# month's figures from the same computation, `as_of` equal to theirs (a kept month has a row for every unit scored).
assessment_kept_lines = sa.Table(
    "assessment_kept_lines", metadata,
    sa.Column("period", sa.String(8), primary_key=True),
    sa.Column("unit_code", sa.String(32), primary_key=True),
    sa.Column("as_of", UtcDateTime(), nullable=False),
    sa.Column("lines", sa.JSON, nullable=False),  # [[position in the month, unit_code, item, order_number, ref, outcome,
    #                                                  detail, excluded_by]]
)

# The XLSX export of a month, quarter or year as last built from its kept or published months; `stamp` digests
# what it was built from (each month's revision or kept moment, the tiers and ranks), so a download serves it
# while the stamp is current and builds it again otherwise.
assessment_exports = sa.Table(
    "assessment_exports", metadata,
    sa.Column("period", sa.String(8), primary_key=True),  # 2026-06, 2026Q2, 2026
    sa.Column("stamp", sa.String(64), nullable=False),
    sa.Column("as_of", UtcDateTime(), nullable=False),  # the figures' moment (截至)
    sa.Column("built_at", UtcDateTime(), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)
