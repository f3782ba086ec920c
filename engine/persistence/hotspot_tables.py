"""Tables of the hotspot warning (issue 19): each run's window and how many areas it tested, and the flags it
raised, one per (category, area, window) however often the window is computed again."""
from __future__ import annotations

import sqlalchemy as sa

from engine.persistence.tables import UtcDateTime, metadata

hotspot_runs = sa.Table(
    "hotspot_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("window_first", sa.Date, nullable=False),  # local date; the window is [first, first + days)
    sa.Column("window_days", sa.Integer, nullable=False),
    sa.Column("area_by", sa.String(16), nullable=False),  # district | grid:<metres>
    sa.Column("tested", sa.Integer, nullable=False),  # areas with enough orders and a baseline
    sa.Column("flagged", sa.Integer, nullable=False),
    sa.Column("threshold", sa.Float, nullable=False),  # the p-value a flag needed (alpha / tested)
    sa.Column("computed_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("window_first", "window_days", "area_by", name="uq_hotspot_runs_window"),
)

hotspot_flags = sa.Table(
    "hotspot_flags", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("area", sa.String(64), nullable=False),
    sa.Column("window_first", sa.Date, nullable=False, index=True),
    sa.Column("window_days", sa.Integer, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expected", sa.Float, nullable=False),
    sa.Column("ratio", sa.Float, nullable=False),
    sa.Column("p_value", sa.Float, nullable=False),
    sa.Column("z", sa.Float, nullable=False),
    sa.Column("baseline", sa.String(16), nullable=False),  # 去年同期 | 前8周 …
    sa.Column("severity", sa.String(8), nullable=False),  # notice | warning | severe
    sa.Column("first_computed_at", UtcDateTime(), nullable=False),
    sa.Column("computed_at", UtcDateTime(), nullable=False),
    sa.Column("notified_at", UtcDateTime()),  # the leaders' SMS were queued then
    sa.UniqueConstraint("category", "area", "window_first", "window_days", name="uq_hotspot_flags_window"),
)
