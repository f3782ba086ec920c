"""Reads for the admin's pages: units with their contacts, and the audit log."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.persistence.tables import audit_log, handling_units, unit_contacts


def units_with_contacts(connection: sa.Connection) -> list[dict[str, Any]]:
    units: dict[str, dict[str, Any]] = {}
    for row in connection.execute(
            sa.select(handling_units.c.code, handling_units.c.name, unit_contacts.c.phone,
                      unit_contacts.c.failing_since, unit_contacts.c.failing_reason)
            .outerjoin(unit_contacts, unit_contacts.c.unit_code == handling_units.c.code)
            .order_by(handling_units.c.code, unit_contacts.c.position)).mappings():
        unit = units.setdefault(row["code"], {"code": row["code"], "name": row["name"], "contacts": []})
        if row["phone"]:
            unit["contacts"].append({"phone": row["phone"], "failing_since": row["failing_since"],
                                     "failing_reason": row["failing_reason"]})
    return list(units.values())


def audit_page(connection: sa.Connection, *, order_number: str | None = None, actor: str | None = None,
               limit: int = 100, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
    where = []
    if order_number:
        where.append(audit_log.c.order_number == order_number)
    if actor:
        where.append(audit_log.c.actor == actor)
    total = connection.execute(sa.select(sa.func.count()).select_from(audit_log).where(*where)).scalar() or 0
    rows = [dict(r) for r in connection.execute(sa.select(audit_log).where(*where)
                                                .order_by(audit_log.c.id.desc()).limit(limit).offset(offset)).mappings()]
    return total, rows
