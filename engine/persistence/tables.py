"""Database schema (SQLAlchemy Core). Alembic migrations under `migrations/` create it."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC on every backend."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


handling_units = sa.Table(
    "handling_units", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # `duban unit add|import` (0017): over config/units.toml's short name and tier when set; a disabled unit
    # takes no new work orders and keeps its history
    sa.Column("short_name", sa.String(12)),
    sa.Column("tier", sa.String(32)),
    sa.Column("disabled_at", UtcDateTime()),
)

unit_contacts = sa.Table(
    "unit_contacts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("unit_code", sa.String(32), sa.ForeignKey("handling_units.code"), nullable=False, index=True),
    sa.Column("phone", sa.String(20), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    # set when the SMS provider reports the number as wrong, unsubscribed or unreachable for good
    sa.Column("failing_since", UtcDateTime()),
    sa.Column("failing_reason", sa.Text),
    sa.Column("name", sa.String(50)),  # the contact's name, shown to supervisors who make the calls (0013)
    sa.UniqueConstraint("unit_code", "phone", name="uq_unit_contacts_unit_phone"),
)

work_orders = sa.Table(
    "work_orders", metadata,
    sa.Column("number", sa.String(64), primary_key=True),
    sa.Column("unit_code", sa.String(32), sa.ForeignKey("handling_units.code"), nullable=False, index=True),
    sa.Column("category", sa.String(8), nullable=False),
    sa.Column("urgency", sa.String(8), nullable=False),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("title", sa.String(500), nullable=False, default=""),
    sa.Column("returned_at", UtcDateTime()),  # the unit returned it (退单) and the hotline has not re-dispatched it yet
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("cycle", sa.Integer, nullable=False),
    sa.Column("dispatched_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("signed_at", UtcDateTime()),
    sa.Column("replied_at", UtcDateTime()),
    sa.Column("closed_at", UtcDateTime()),
    sa.Column("progress_reported_at", UtcDateTime()),
    sa.Column("last_event_at", UtcDateTime()),
    sa.Column("deadline_at", UtcDateTime()),  # indexed with replied_at (ix_work_orders_deadline_replied, 0024)
    sa.Column("deadline_provisional", sa.Boolean, nullable=False, default=False),
    sa.Column("deadline_explanation", sa.Text, nullable=False, default=""),
    sa.Column("fired_steps", sa.JSON, nullable=False),
    sa.Column("deadline_basis", sa.JSON, nullable=False),
    # co-handling units (协办): [{"unit": code, "signed_at": iso or null}]; the lead is unit_code (0014)
    sa.Column("co_units", sa.JSON, nullable=False, server_default="[]"),
    sa.Column("hard_case_at", UtcDateTime()),  # became a hard case (疑难工单) then (0014)
    # what the citizen asked and where (issue 19, 0018; engine/domain/location.py): the address as given and its
    # normalised key, the district (区县), WGS-84 coordinates (GCJ-02 input converted on intake), the caller's phone
    sa.Column("content", sa.Text),
    sa.Column("address", sa.String(300)),
    sa.Column("address_key", sa.String(300), index=True),
    sa.Column("district", sa.String(50), index=True),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("caller_phone", sa.String(32), index=True),
    # duplicates and merging (issue 19, 0022): the coarse grid cell of the point (engine/domain/grid.py) for the
    # "within 100 m" lookup, and the parent a merged order (并单) is a child of, since when
    sa.Column("grid_cell", sa.BigInteger),
    sa.Column("parent_number", sa.String(64), index=True),
    sa.Column("merged_at", UtcDateTime()),
    sa.Index("ix_work_orders_grid_category_dispatched", "grid_cell", "category", "dispatched_at"),
    sa.Index("ix_work_orders_open_grid_category", "grid_cell", "category",  # open orders near a point (0023)
             postgresql_where=sa.text("status <> 'closed'"), sqlite_where=sa.text("status <> 'closed'")),
    # the work-order list's filters followed by its sort, so a page is read in index order (migration 0007)
    sa.Index("ix_work_orders_status_dispatched", "status", "dispatched_at"),
    # (status, deadline_at) for the list, with returned_at and unit_code: the overdue counts of the dashboard, the
    # leader's page and the workbench (open, held by the unit, past its deadline; per unit) read the index alone (0026)
    sa.Index("ix_work_orders_status_deadline_unit", "status", "deadline_at", "returned_at", "unit_code"),
    sa.Index("ix_work_orders_unit_dispatched", "unit_code", "dispatched_at"),
    sa.Index("ix_work_orders_returned_number", "returned_at", "number"),
    sa.Index("ix_work_orders_title_number", "title", "number"),
    # the dashboard's and leader's counts of the day (0015)
    sa.Index("ix_work_orders_signed_at", "signed_at"),
    sa.Index("ix_work_orders_replied_at", "replied_at"),
    sa.Index("ix_work_orders_closed_at", "closed_at"),
    sa.Index("ix_work_orders_hard_case_at", "hard_case_at"),  # the leader's hard cases, newest first (0021)
    # by deadline; with replied_at, the 12-week on-time trend reads the index alone (0024)
    sa.Index("ix_work_orders_deadline_replied", "deadline_at", "replied_at"),
)

order_events = sa.Table(
    "order_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), nullable=False, index=True),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Index("ix_order_events_type_order", "type", "order_number", "id"),  # open extension requests (0008)
    sa.Index("ix_order_events_recorded_at", "recorded_at"),  # is a kept assessment month stale? (0015)
    sa.Index("ix_order_events_type_at", "type", "at"),  # a period's dispatches and objections (回退率, 0020)
)

instructions = sa.Table(
    "instructions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), nullable=False, index=True),
    sa.Column("leader", sa.String(100), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("instructed_at", UtcDateTime(), nullable=False),
    sa.Column("letter_due_at", UtcDateTime(), nullable=False),
    sa.Column("report_due_at", UtcDateTime(), nullable=False),
)

process_versions = sa.Table(
    "process_versions", metadata,
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("process_id", sa.String(64), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("bpmn_xml", sa.LargeBinary, nullable=False),
    sa.Column("loaded_at", UtcDateTime(), nullable=False),
)

workflow_instances = sa.Table(
    "workflow_instances", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("process_key", sa.String(80), sa.ForeignKey("process_versions.key"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # work_order | instruction | quarterly
    sa.Column("order_number", sa.String(64), sa.ForeignKey("work_orders.number"), index=True),
    sa.Column("instruction_id", sa.Integer, sa.ForeignKey("instructions.id")),
    sa.Column("quarter", sa.String(8), unique=True),
    sa.Column("unit_code", sa.String(32)),  # a co-handling unit's own sign-for process serves that unit (0014)
    sa.Column("status", sa.String(16), nullable=False),  # waiting | completed | cancelled | failed
    sa.Column("next_due_at", UtcDateTime()),  # the instance's timer: claimed by workers when due
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_workflow_instances_status_due", "status", "next_due_at"),
)

timer_firings = sa.Table(
    "timer_firings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_id", sa.Integer, sa.ForeignKey("workflow_instances.id"), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("fired_at", UtcDateTime(), nullable=False),
    sa.Column("worker", sa.String(64), nullable=False),
    sa.UniqueConstraint("instance_id", "due_at", name="uq_timer_firings_instance_due"),
)

actions = sa.Table(
    "actions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False, index=True),
    sa.Column("order_number", sa.String(64), index=True),
    sa.Column("unit_code", sa.String(32), index=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("step", sa.String(32)),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("instance_id", sa.Integer, sa.ForeignKey("workflow_instances.id")),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Index("ix_actions_recorded_at", "recorded_at"),  # is a kept assessment month stale? (0015)
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("channel", sa.String(16), nullable=False),  # sms | document
    # `key` is also the key of the action that produced this row (digests and resends have their own)
    sa.Column("order_number", sa.String(64), index=True),
    sa.Column("recipient", sa.String(64), index=True),
    sa.Column("template", sa.String(64), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("send_at", UtcDateTime(), nullable=False),  # sms: the next attempt or check is due then
    # sms: pending | sending | unknown | queued | sent | delivered | undelivered | failed | suppressed | merged
    # documents: pending | sent | failed
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("provider_id", sa.String(64), index=True),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("body", sa.Text),  # sms: the text as handed to the provider
    sa.Column("content_key", sa.String(64)),  # sms: hash of the text without its link (the 24-hour rule)
    sa.Column("error_code", sa.String(64)),  # the provider's code: Twilio 21211, Aliyun isv.MOBILE_NUMBER_ILLEGAL
    sa.Column("status_at", UtcDateTime()),
    sa.Column("delivered_at", UtcDateTime()),
    sa.Column("acknowledged_at", UtcDateTime()),
    sa.Column("related_id", sa.Integer),  # merged into / suppressed by / resent as / resend of
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("failing_since", UtcDateTime()),  # push: when its current run of failed attempts began (0009)
    sa.Index("ix_outbox_status_send_at", "status", "send_at"),
)

# Delivery receipts as they arrived: the proof that a message reached the unit (one row per message and status).
sms_receipts = sa.Table(
    "sms_receipts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id"), index=True),
    sa.Column("provider_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error_code", sa.String(64)),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("applied", sa.Boolean, nullable=False),  # False: arrived after a later status and changed nothing
    sa.UniqueConstraint("provider_id", "status", name="uq_sms_receipts_provider_status"),
)

# Replies from units (where the gateway carries them), each handled once.
inbound_sms = sa.Table(
    "inbound_sms", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("provider_id", sa.String(64), nullable=False, unique=True),
    sa.Column("sender", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("order_number", sa.String(64)),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

supervisor_tasks = sa.Table(
    "supervisor_tasks", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),  # phone_urge | sms_failed
    sa.Column("step", sa.String(32)),  # the ladder step that raised it: sign_overdue | overdue | escalated (0013)
    sa.Column("action_key", sa.String(200), sa.ForeignKey("actions.key"), nullable=False, unique=True),
    sa.Column("order_number", sa.String(64), index=True),
    sa.Column("unit_code", sa.String(32)),
    sa.Column("status", sa.String(16), nullable=False),  # open | done | superseded
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("outcome", sa.Text),
    sa.Column("completed_at", UtcDateTime()),
    sa.Column("completed_by", sa.String(64)),
    # a task that ended by itself: why (signed | replied | closed | returned | replaced) and what ended it
    # ("event:<order_events.id>" or the newer task's action key)
    sa.Column("superseded_reason", sa.String(32)),
    sa.Column("superseded_by", sa.String(200)),
    sa.Index("ix_supervisor_tasks_status_order", "status", "order_number"),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("order_number", sa.String(64), index=True),
    sa.Column("details", sa.JSON, nullable=False),
)

from engine.persistence import document_tables  # noqa: E402,F401  (registers the documents tables on metadata)
from engine.persistence import api_tables  # noqa: E402,F401  (registers the integration API tables on metadata)
from engine.persistence import assessment_tables  # noqa: E402,F401  (registers the assessment tables on metadata)
from engine.persistence import account_tables  # noqa: E402,F401  (registers users, login attempts and cards)
from engine.persistence import hotspot_tables  # noqa: E402,F401  (registers the hotspot runs and flags)
from engine.persistence import duplicate_tables  # noqa: E402,F401  (signatures, bands, duplicate candidates)
