"""Read-only views for the pages and the CLI (no workflow is deserialized to draw a page)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.persistence.tables import actions, handling_units, order_events, outbox, work_orders, workflow_instances


def order_detail(connection: sa.Connection, number: str) -> dict[str, Any] | None:
    order = connection.execute(
        sa.select(work_orders, handling_units.c.name.label("unit_name"))
        .join(handling_units, handling_units.c.code == work_orders.c.unit_code)
        .where(work_orders.c.number == number)).mappings().first()
    if order is None:
        return None
    events = connection.execute(sa.select(order_events).where(order_events.c.order_number == number)
                                .order_by(order_events.c.at, order_events.c.id)).mappings().all()
    done = connection.execute(sa.select(actions).where(actions.c.order_number == number)
                              .order_by(actions.c.at, actions.c.id)).mappings().all()
    timers = connection.execute(
        sa.select(workflow_instances.c.id, workflow_instances.c.kind, workflow_instances.c.process_key,
                  workflow_instances.c.status, workflow_instances.c.next_due_at, workflow_instances.c.last_error)
        .where(workflow_instances.c.order_number == number).order_by(workflow_instances.c.id)).mappings().all()
    sms = connection.execute(sa.select(outbox).where(outbox.c.order_number == number, outbox.c.channel == "sms")
                             .order_by(outbox.c.send_at, outbox.c.id)).mappings().all()
    return {"order": dict(order), "events": [dict(e) for e in events], "actions": [dict(a) for a in done],
            "instances": [dict(t) for t in timers], "sms": [dict(s) for s in sms]}


SMS_GROUPS = {"delivered": ("delivered",), "failed": ("failed", "undelivered"),
              "waiting": ("pending", "sending", "unknown", "queued", "sent"), "covered": ("merged", "suppressed")}


def sms_backlog(connection: sa.Connection, now: Any) -> dict[str, int]:
    """What the outbox still owes: due now, waiting on the provider's answer, unconfirmed, failed."""
    sms = outbox.c.channel == "sms"
    due = connection.execute(sa.select(sa.func.count()).where(
        sms, outbox.c.status == "pending", outbox.c.send_at <= now)).scalar() or 0
    by_status = dict(connection.execute(sa.select(outbox.c.status, sa.func.count()).where(sms)
                                        .group_by(outbox.c.status)).all())
    return {"due_now": due, "held": by_status.get("pending", 0) - due, "unconfirmed": by_status.get("unknown", 0),
            "awaiting_receipt": by_status.get("queued", 0) + by_status.get("sent", 0),
            "failed": by_status.get("failed", 0) + by_status.get("undelivered", 0)}


def sms_list(connection: sa.Connection, *, group: str | None = None, order_number: str | None = None,
             limit: int = 100, offset: int = 0) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Messages newest first, with the count in each group (delivered / failed / waiting / covered)."""
    sms = outbox.c.channel == "sms"
    where = [sms]
    if order_number:
        where.append(outbox.c.order_number == order_number)
    by_status = dict(connection.execute(sa.select(outbox.c.status, sa.func.count()).where(*where)
                                        .group_by(outbox.c.status)).all())
    totals = {name: sum(by_status.get(s, 0) for s in statuses) for name, statuses in SMS_GROUPS.items()}
    if group:
        where.append(outbox.c.status.in_(SMS_GROUPS[group]))
    rows = [dict(r) for r in connection.execute(sa.select(outbox).where(*where)
                                                .order_by(outbox.c.id.desc()).limit(limit).offset(offset)).mappings()]
    return totals, rows


def document_backlog(connection: sa.Connection) -> dict[str, Any]:
    """Documents the rules asked for that are not issued yet: waiting, being rendered, failed (a numbered
    document whose rendering failed, or a request that could not be numbered), with the failures named."""
    from engine.persistence.document_tables import documents  # registered on the metadata by tables.py

    by_status = dict(connection.execute(sa.select(outbox.c.status, sa.func.count()).where(outbox.c.channel == "document")
                                        .group_by(outbox.c.status)).all())
    by_state = dict(connection.execute(sa.select(documents.c.state, sa.func.count())
                                       .where(documents.c.state != "issued").group_by(documents.c.state)).all())
    failures = [{"number": r.number, "error": r.last_error} for r in connection.execute(
        sa.select(documents.c.number, documents.c.last_error).where(documents.c.state == "failed")
        .order_by(documents.c.id).limit(20))]
    failures += [{"request": r.key, "error": r.last_error} for r in connection.execute(
        sa.select(outbox.c.key, outbox.c.last_error).where(outbox.c.channel == "document", outbox.c.status == "failed")
        .order_by(outbox.c.id).limit(20))]
    return {"pending": by_status.get("pending", 0), "rendering": by_state.get("rendering", 0),
            "failed": by_status.get("failed", 0) + by_state.get("failed", 0), "failures": failures}
