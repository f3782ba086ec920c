"""What the order page shows of the 2025 rules: the open objection and the catalogue's suggestion for the
supervisor, the objection window for the lead unit, a co-handling unit's own sign-for."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.accounts.users import UNIT
from engine.clock import LOCAL_TZ
from engine.domain.objections import DECISION_LABELS, objection_window_end
from engine.domain.work_order import WorkOrder
from engine.persistence import objection_store
from web.auth import current
from web.context import duban


def objection_context(tx: Any, order: WorkOrder, title: str) -> dict[str, Any]:
    """What the order page needs for these forms: the open objection, the catalogue's suggestion, the window."""
    engine = duban()
    is_open = order.returned_at is not None and objection_store.objection_open(tx.c, order.number)
    objection = objection_store.latest_objection(tx.c, order.number) if is_open else None
    suggestion = None
    if is_open:
        suggestion = engine.catalogue.suggest(title=title or "", category=order.category, exclude=[order.unit_code])
    me = current()
    co_entry = next((c for c in order.co_units if c["unit"] == me.unit_code), None) if me.role == UNIT else None
    decide_by = objection["details"].get("decide_by") if objection else None
    return {"objection_open": is_open, "objection": objection, "suggestion": suggestion,
            "decide_by": datetime.fromisoformat(decide_by) if decide_by else None,
            "window_end": objection_window_end(engine.rules, engine.calendar, order) if order.cycle == 1 else None,
            "reasons": engine.rules.objection_reasons, "as_lead": me.role == UNIT and me.unit_code == order.unit_code,
            "co_entry": co_entry, "DECISION_LABELS": DECISION_LABELS, "localtext": _local_text}


def _local_text(iso: object) -> str:
    return datetime.fromisoformat(str(iso)).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if iso else "—"
