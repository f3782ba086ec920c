"""Tables of the web application (issue 5): users with their role, login attempts (the rate limit, shared by
every web process) and cards (红黄牌), whether a rule or a supervisor issued them."""
from __future__ import annotations

import sqlalchemy as sa

from engine.persistence.tables import UtcDateTime, metadata

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),  # supervisor | unit | leader | admin
    sa.Column("unit_code", sa.String(32), sa.ForeignKey("handling_units.code")),  # unit users only
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    # changes on every password change, role change or deactivation: sessions carrying the old one end
    sa.Column("session_version", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_login_at", UtcDateTime()),
)

login_attempts = sa.Table(
    "login_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
    sa.Index("ix_login_attempts_username_at", "username", "at"),
    sa.Index("ix_login_attempts_address_at", "address", "at"),
)

# One row per card shown against a unit on one order. Rule cards come from the BPMN ladder (action_key set);
# supervisors issue cards by hand with a reason. Withdrawing keeps the row and says who, when and why.
cards = sa.Table(
    "cards", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), nullable=False, index=True),
    sa.Column("unit_code", sa.String(32), sa.ForeignKey("handling_units.code"), nullable=False, index=True),
    sa.Column("color", sa.String(8), nullable=False),  # yellow | red
    sa.Column("source", sa.String(8), nullable=False),  # rule | manual
    sa.Column("action_key", sa.String(200), unique=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("issued_by", sa.String(64), nullable=False),
    sa.Column("withdrawn_at", UtcDateTime()),
    sa.Column("withdrawn_by", sa.String(64)),
    sa.Column("withdraw_reason", sa.Text),
    sa.Index("ix_cards_order_active", "order_number", "withdrawn_at", "color"),
    sa.Index("ix_cards_withdrawn_at", "withdrawn_at"),  # cards withdrawn since a kept month was computed (0025)
)
