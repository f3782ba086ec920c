"""Export records (the data-sharing schema) built from stored rows; cursors; masking by scope."""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from engine.clock import format_local
from engine.intake.masking import mask_address, mask_name, mask_phone, mask_text

CSV_COLUMNS = ["record_type", "id", "order_number", "at", "type", "actor", "source", "external_no", "unit_code",
               "category", "urgency", "status", "cycle", "title", "dispatched_at", "deadline_at", "signed_at",
               "replied_at", "closed_at", "channel", "citizen_name", "citizen_phone", "address", "content",
               "step", "details"]
_CURSOR = re.compile(r"^e(\d{1,18})-a(\d{1,18})$")


def encode_cursor(event_id: int, action_id: int) -> str:
    return f"e{event_id}-a{action_id}"


def decode_cursor(text: str | None) -> tuple[int, int] | None:
    """(last event id, last action id) exported; None when the text is not a cursor."""
    if text is None or text == "":
        return 0, 0
    match = _CURSOR.match(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _time(at: datetime | None) -> str | None:
    return format_local(at) if at is not None else None


def order_record(row: dict[str, Any], *, personal_data: bool) -> dict[str, Any]:
    record = {
        "record_type": "order", "order_number": row["number"], "source": row["source"],
        "external_no": row.get("external_no") or row["number"], "unit_code": row["unit_code"],
        "category": row["category"], "urgency": row["urgency"], "status": row["status"], "cycle": row["cycle"],
        "title": row["title"], "dispatched_at": _time(row["dispatched_at"]), "deadline_at": _time(row["deadline_at"]),
        "signed_at": _time(row["signed_at"]), "replied_at": _time(row["replied_at"]),
        "closed_at": _time(row["closed_at"]), "channel": row.get("channel"),
        "citizen_name": row.get("citizen_name"), "citizen_phone": row.get("citizen_phone"),
        "address": row.get("address"), "content": row.get("content"),
    }
    if not personal_data:
        record.update(citizen_name=mask_name(record["citizen_name"]), citizen_phone=mask_phone(record["citizen_phone"]),
                      address=mask_address(record["address"]), content=mask_text(record["content"]))
    return record


def event_record(row: dict[str, Any], *, personal_data: bool) -> dict[str, Any]:
    details = dict(row["details"] or {})
    if not personal_data:
        for key in ("note", "reason", "text"):
            if isinstance(details.get(key), str):
                details[key] = mask_text(details[key])
    return {"record_type": "event", "id": row["id"], "order_number": row["order_number"], "type": row["type"],
            "at": _time(row["at"]), "actor": row["actor"], "details": details}


def action_record(row: dict[str, Any]) -> dict[str, Any]:
    return {"record_type": "action", "id": row["id"], "order_number": row["order_number"], "type": row["kind"],
            "at": _time(row["at"]), "unit_code": row["unit_code"], "step": row["step"],
            "details": row["details"] or {}}


def csv_row(record: dict[str, Any]) -> list[str]:
    out = []
    for column in CSV_COLUMNS:
        value = record.get(column)
        if column == "details" and value is not None:
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        out.append("" if value is None else str(value))
    return out
