"""Everything the work-order detail page shows, read in one transaction: the facts, the timeline (events and
rule actions merged), the workflow instances with their stored state, SMS, documents, cards, instructions,
supervisor tasks and the citizen's contact and request (the intake record's, else the order's own columns)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.persistence import queries
from engine.persistence.account_tables import cards
from engine.persistence.api_tables import api_intake
from engine.persistence.document_store import DocumentRecords
from engine.persistence.store import SqlTransaction
from engine.persistence.tables import instructions, supervisor_tasks, workflow_instances


def order_page(tx: SqlTransaction, number: str) -> dict[str, Any] | None:
    detail = queries.order_detail(tx.c, number)
    if detail is None:
        return None
    c = tx.c
    detail["cards"] = [dict(r) for r in c.execute(sa.select(cards).where(cards.c.order_number == number)
                                                  .order_by(cards.c.issued_at, cards.c.id)).mappings()]
    detail["instructions"] = [dict(r) for r in c.execute(
        sa.select(instructions).where(instructions.c.order_number == number).order_by(instructions.c.id)).mappings()]
    detail["tasks"] = [dict(r) for r in c.execute(
        sa.select(supervisor_tasks).where(supervisor_tasks.c.order_number == number)
        .order_by(supervisor_tasks.c.id)).mappings()]
    detail["states"] = dict(c.execute(sa.select(workflow_instances.c.id, workflow_instances.c.state)
                                      .where(workflow_instances.c.order_number == number)).all())
    detail["documents"] = DocumentRecords(tx).listing(order_number=number, limit=100)[1]
    intake = c.execute(sa.select(api_intake.c.citizen_name, api_intake.c.citizen_phone, api_intake.c.address,
                                 api_intake.c.content, api_intake.c.channel)
                       .where(api_intake.c.number == number)).mappings().first()
    detail["citizen"] = _request(detail["order"], dict(intake) if intake else {})
    detail["timeline"] = timeline(detail["events"], detail["actions"])
    return detail


def _request(order: dict[str, Any], intake: dict[str, Any]) -> dict[str, Any] | None:
    """The citizen and the request: the intake record's words where there is one, else what the order keeps
    (issue 19 put content, address, district, coordinates and caller on every order)."""
    found = {"citizen_name": intake.get("citizen_name"), "channel": intake.get("channel"),
             "citizen_phone": intake.get("citizen_phone") or order.get("caller_phone"),
             "address": intake.get("address") or order.get("address"),
             "content": intake.get("content") or order.get("content"), "district": order.get("district"),
             "latitude": order.get("latitude"), "longitude": order.get("longitude")}
    return found if intake or any(v is not None for v in found.values()) else None


def timeline(events: list[dict[str, Any]], done: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events (what people and systems reported) and actions (what the rules did), in time order."""
    rows = [{"at": e["at"], "what": e["type"], "actor": e["actor"], "details": e["details"], "source": "event"}
            for e in events]
    rows += [{"at": a["at"], "what": a["kind"], "actor": "规则", "details": a["details"], "step": a["step"],
              "source": "action"} for a in done]
    return sorted(rows, key=lambda r: (r["at"], r["source"] != "event"))
