"""Export records (the data-sharing schema) built from stored rows; cursors (change-log positions); masking."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.clock import format_local
from engine.intake.cells import formula_safe
from engine.intake.masking import mask_address, mask_name, mask_phone, mask_text

CSV_COLUMNS = ["record_type", "id", "order_number", "at", "type", "actor", "source", "external_no", "unit_code",
               "category", "urgency", "status", "cycle", "title", "dispatched_at", "deadline_at", "signed_at",
               "replied_at", "closed_at", "channel", "citizen_name", "citizen_phone", "address", "content",
               "step", "details", "district", "latitude", "longitude", "co_units", "hard_case_at"]
_CURSOR = re.compile(r"^p(\d{1,18})$")
_LEGACY_CURSOR = re.compile(r"^e(\d{1,18})-a(\d{1,18})$")  # before the change log: last event id, last action id


@dataclass(frozen=True)
class Cursor:
    """Where an export resumes: a change-log position, or an old cursor (last event id, last action id)."""
    position: int = 0
    legacy: tuple[int, int] | None = None


def encode_cursor(position: int) -> str:
    return f"p{position}"


def decode_cursor(text: str | None) -> Cursor | None:
    """The cursor `text` names (empty: from the beginning); None when the text is not a cursor."""
    if text is None or text == "":
        return Cursor()
    if match := _CURSOR.match(text):
        return Cursor(int(match.group(1)))
    if match := _LEGACY_CURSOR.match(text):
        return Cursor(legacy=(int(match.group(1)), int(match.group(2))))
    return None


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
        "district": row.get("district"), "latitude": row.get("latitude"), "longitude": row.get("longitude"),
        "co_units": co_units(row.get("co_units")), "hard_case": row.get("hard_case_at") is not None,
        "hard_case_at": _time(row.get("hard_case_at")),
    }
    if not personal_data:  # coordinates to 0.01° (about 1 km): enough for hotspots, not for a doorstep
        record.update(citizen_name=mask_name(record["citizen_name"]), citizen_phone=mask_phone(record["citizen_phone"]),
                      address=mask_address(record["address"]), content=mask_text(record["content"]),
                      latitude=_coarse(record["latitude"]), longitude=_coarse(record["longitude"]))
    return record


def _coarse(degrees: float | None) -> float | None:
    return None if degrees is None else round(degrees, 2)


def co_units(stored: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The co-handling units (协办), each with its own sign-for: signed true/false and when."""
    return [{"unit_code": c["unit"], "signed": bool(c.get("signed_at")),
             "signed_at": _time(datetime.fromisoformat(c["signed_at"])) if c.get("signed_at") else None}
            for c in stored or []]


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


def page_records(orders: list[dict[str, Any]], events: list[dict[str, Any]], acts: list[dict[str, Any]], *,
                 personal_data: bool) -> list[dict[str, Any]]:
    """One export page: the orders, then the events, then the actions."""
    return ([order_record(o, personal_data=personal_data) for o in orders]
            + [event_record(e, personal_data=personal_data) for e in events] + [action_record(a) for a in acts])


def csv_row(record: dict[str, Any]) -> list[str]:
    """One CSV line of a record; text a spreadsheet would run as a formula is written behind a quote."""
    out = []
    for column in CSV_COLUMNS:
        value = record.get(column)
        if column in ("details", "co_units") and value is not None:
            value = json.dumps(value, ensure_ascii=False, sort_keys=True)
        out.append("" if value is None else formula_safe(str(value)))
    return out
