"""Tables of duplicate detection and merging (issue 19, migrations 0022, 0023): the content signatures and their LSH
bands (indexed, so a new order's similar predecessors are an index lookup at a million orders), and the candidates
found at intake with the supervisor's decision. The coarse grid cell and the parent of a merged order are columns
of work_orders."""
from __future__ import annotations

import sqlalchemy as sa

from engine.persistence.tables import UtcDateTime, metadata

order_text_signatures = sa.Table(
    "order_text_signatures", metadata,
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), primary_key=True),
    sa.Column("minhash", sa.LargeBinary, nullable=False),  # 64 little-endian uint32 (engine/duplicates/text.py)
)

order_text_bands = sa.Table(
    "order_text_bands", metadata,
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), primary_key=True),
    sa.Column("band_no", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("band", sa.BigInteger, nullable=False),  # a hash of the band's number and rows
    sa.Column("dispatched_at", UtcDateTime(), nullable=False),  # the window is read in the index
    # the window is read in the index, and the order number with it (index-only, 0023)
    sa.Index("ix_order_text_bands_band_dispatched_order", "band", "dispatched_at", "order_number"),
)

duplicate_candidates = sa.Table(
    "duplicate_candidates", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), nullable=False),  # the newer
    sa.Column("candidate_number", sa.String(64), sa.ForeignKey("work_orders.number"), nullable=False, index=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),  # ["同一来电号码", "相距约60米", …]
    sa.Column("found_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),  # open | merged | dismissed
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decided_at", UtcDateTime()),
    sa.UniqueConstraint("order_number", "candidate_number", name="uq_duplicate_candidates_pair"),
)
