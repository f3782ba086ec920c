"""Tables of issued documents, registered on the shared `metadata` (imported at the bottom of tables.py).

A document is written in two short transactions around its rendering. The first takes the next serial of
its kind and year from `document_counters` (locked until that transaction commits, so serials have no gap
and no duplicate) and inserts the row in state `rendering` with `content`, the snapshot of everything the
text states (number, issue date, facts). The second stores the files with their sha256 and sets state
`issued`. `claimed_at`/`claim` is the renderer's lease: a row left `rendering` by a worker that died is
claimed again once the lease has run out and rendered from the same snapshot, with its number.
Once issued, a document and its files are never updated: a correction is a new document whose
`corrects_id` names the old one.
"""
from __future__ import annotations

import sqlalchemy as sa

from engine.persistence.tables import UtcDateTime, metadata

document_counters = sa.Table(
    "document_counters", metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_serial", sa.Integer, nullable=False),
)

documents = sa.Table(
    "documents", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("serial", sa.Integer, nullable=False),
    sa.Column("number", sa.String(64), nullable=False, unique=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), index=True),
    sa.Column("quarter", sa.String(8), index=True),
    sa.Column("unit_code", sa.String(32)),
    sa.Column("order_numbers", sa.JSON, nullable=False),
    sa.Column("recipients", sa.JSON, nullable=False),
    sa.Column("params", sa.JSON, nullable=False),  # what the rule step asked for (instruction_id, quarter…)
    sa.Column("issued_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("source_key", sa.String(200), unique=True),  # the outbox row it was issued for
    sa.Column("corrects_id", sa.Integer, sa.ForeignKey("documents.id"), unique=True),
    sa.Column("correction_reason", sa.Text),
    sa.Column("state", sa.String(16), nullable=False, index=True),  # rendering | issued
    sa.Column("content", sa.JSON),  # the DocumentContent the files are rendered from (model.content_to_json)
    sa.Column("claimed_at", UtcDateTime()),  # rendering: when a worker took it (the lease starts then)
    sa.Column("claim", sa.String(64)),  # rendering: the claiming worker's token; only it may store the files
    sa.Column("render_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),  # the last rendering failure, kept for the operator
    sa.UniqueConstraint("kind", "year", "serial", name="uq_documents_kind_year_serial"),
)

document_files = sa.Table(
    "document_files", metadata,
    sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id"), primary_key=True),
    sa.Column("format", sa.String(8), primary_key=True),  # docx | pdf
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
)
