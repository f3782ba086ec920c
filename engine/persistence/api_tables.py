"""Tables of the integration API (issue 6): client tokens, intake records (with the citizen's personal data),
push cursors and the log of every push delivery attempt. Push messages themselves are outbox rows (channel "push")."""
from __future__ import annotations

import sqlalchemy as sa

from engine.persistence.tables import UtcDateTime, metadata

api_clients = sa.Table(
    "api_clients", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 of the whole token
    sa.Column("token_hint", sa.String(16), nullable=False),  # the token's public prefix, to tell tokens apart
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("rate_per_minute", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
)

# One row per work order that arrived through the API, the 12315 adapter or a file import: the body's hash makes
# intake idempotent, and the citizen's personal data (never in work_orders) lives here.
api_intake = sa.Table(
    "api_intake", metadata,
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("client", sa.String(64), nullable=False),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("external_no", sa.String(64), nullable=False),  # the number in the sending system (12315: tsjbbh)
    sa.Column("channel", sa.String(32)),
    sa.Column("citizen_name", sa.String(100)),
    sa.Column("citizen_phone", sa.String(32)),
    sa.Column("address", sa.String(500)),
    sa.Column("content", sa.Text),
    sa.Column("extra", sa.JSON, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False, index=True),
)

api_push_cursors = sa.Table(
    "api_push_cursors", metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("cursor", sa.String(200), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

api_deliveries = sa.Table(
    "api_deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id"), nullable=False, index=True),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("ok", sa.Boolean, nullable=False),
)

# The API rate limit, shared by every web process: one token bucket per client (tokens left, last refill).
api_rate_buckets = sa.Table(
    "api_rate_buckets", metadata,
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
