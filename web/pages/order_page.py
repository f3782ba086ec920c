"""The work-order page: the facts, the timeline, the steps still ahead and why they fall when they do, one BPMN
drawing per workflow instance with its path and position highlighted, SMS, documents, cards, tasks, and the forms
the signed-in user may use."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import render_template
from markupsafe import Markup

from engine.accounts.users import SUPERVISOR, UNIT
from engine.casework import CARD_LABELS, PHONE_OUTCOMES
from engine.clock import LOCAL_TZ
from engine.domain.event_words import EVENT_WORDS
from engine.domain.glance import glance
from engine.domain.model import Instruction
from engine.domain.pending_steps import STEP_LABELS, pending_steps
from engine.domain.phones import mask
from engine.domain.work_order import SATISFACTION_GRADES, Status
from engine.persistence.board_queries import open_extension_request
from engine.intake.masking import mask_address, mask_name, mask_phone, mask_text
from engine.persistence.order_view import order_page
from engine.runtime.progress import progress_of
from web.auth import current
from web.context import duban, order_or_404
from web.diagram import readable_width, render_svg
from web.pages.actors import UNIT_KEYS, unit_names
from web.pages.labels import DETAIL_LABELS, detail_value, template_label
from web.pages.objection_view import objection_context



DUPLICATE_LABELS = {"open": "待研判", "merged": "已并单", "dismissed": "不是重复"}
HIDDEN_DETAILS = {"params", "instance", "at"}


def describe(details: dict[str, Any], step: str | None = None) -> str:
    """One line of an event's or action's details for the timeline; phone numbers masked, times local."""
    parts = [f"节点：{STEP_LABELS.get(step, step)}"] if step else []
    for key, value in details.items():
        if key in HIDDEN_DETAILS or value in (None, ""):
            continue
        if key == "to":
            shown = mask(str(value))
        elif key == "template":
            shown = template_label(str(value))
        elif key.endswith("_at") and isinstance(value, str):
            shown = _local_text(value)
        elif key in UNIT_KEYS:
            shown = unit_names(value)
        else:
            shown = detail_value(key, value)
        parts.append(f"{DETAIL_LABELS.get(key, key)}：{shown}")
    return "；".join(parts)


def _local_text(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def render_order(number: str, *, error: str | None = None, status: int = 200, reveal: bool = False,
                 refused: tuple[str, dict[str, str]] | None = None) -> Any:
    """The page; `refused` is (the form's endpoint, what was typed) so a refused form shows it again."""
    engine = duban()
    me = current()
    with engine.store.reading() as tx:
        order = order_or_404(tx, number)
        detail = order_page(tx, number)
        assert detail is not None
        units = tx.unit_names() if me.role == SUPERVISOR else []
        xml = {key: tx.get_process_xml(key) for key in {i["process_key"] for i in detail["instances"]}}
        request_id = open_extension_request(tx.c, number)
        national = objection_context(tx, order, detail["order"].get("title") or "")
    if me.role == UNIT:
        _unit_view(detail, me.unit_code)
    now = engine.clock.now()
    instructions = [Instruction(**i) for i in detail["instructions"]]
    steps = pending_steps(order, engine.rules, engine.calendar, instructions=instructions, now=now)
    at_a_glance = glance(order, detail["order"]["unit_name"], engine.rules, engine.calendar, now,
                         instructions=instructions)
    body = render_template(
        "order.html", o=order, d=detail, row=detail["order"], steps=steps, now=now, g=at_a_glance, units=units, error=error,
        diagrams=_diagrams(detail, xml), citizen=_citizen(detail["citizen"], reveal=reveal and me.sees_personal_data),
        today=now.astimezone(LOCAL_TZ).date().isoformat(), EVENT_LABELS=EVENT_WORDS, CARD_LABELS=CARD_LABELS,
        PHONE_OUTCOMES=PHONE_OUTCOMES, Status=Status, as_unit=me.role == UNIT, as_supervisor=me.role == SUPERVISOR,
        extension_pending=_extension_pending(detail["events"], request_id), describe=describe, STEP_LABELS=STEP_LABELS,
        reply=_last_reply(detail["events"], order), SATISFACTION_GRADES=SATISFACTION_GRADES,
        kept=_kept(refused), duplicates=[] if me.role == UNIT else engine.possible_duplicates(number),
        children=engine.merged_children(number),
        DUPLICATE_LABELS=DUPLICATE_LABELS, **national)
    return body, status


def _unit_view(detail: dict[str, Any], unit_code: str | None) -> None:
    """What a unit sees of an order that was re-dispatched to it: its own cards and letters, and the history
    from the hand-over on (another unit's cards, reasons and letters are not its business)."""
    detail["cards"] = [c for c in detail["cards"] if c["unit_code"] == unit_code]
    detail["documents"] = [d for d in detail["documents"] if d.get("unit_code") == unit_code]
    handed = [i for i, t in enumerate(detail["timeline"])
              if t["what"] == "redispatched" and t["details"].get("unit") == unit_code]
    if handed:
        detail["timeline"] = detail["timeline"][handed[-1]:]


def _kept(refused: tuple[str, dict[str, str]] | None) -> Any:
    def kept(endpoint: str, name: str, default: str = "") -> str:
        if refused is None or refused[0] != f"order_forms.{endpoint}":
            return default
        return refused[1].get(name, default)
    return kept


def _diagrams(detail: dict[str, Any], xml: dict[str, Any]) -> list[dict[str, Any]]:
    drawings = []
    for instance in detail["instances"]:
        found = xml.get(instance["process_key"])
        if found is None:
            continue
        process_id, bpmn = found
        progress = progress_of(detail["states"].get(instance["id"], "{}"))
        svg = render_svg(bpmn, process_id=process_id, completed=progress.completed, taken=progress.flows,
                         current=progress.current if instance["status"] == "waiting" else ())
        drawings.append({"instance": instance, "svg": Markup(svg), "process_id": process_id,
                         "min_width": readable_width(svg)})
    return drawings


def _last_reply(events: list[dict[str, Any]], order: Any) -> dict[str, Any] | None:
    """The unit's reply under review (or accepted): the latest reply event while the order is replied or closed."""
    if order.status not in (Status.REPLIED, Status.CLOSED):
        return None
    return next((e for e in reversed(events) if e["type"] == "replied"), None)


def _extension_pending(events: list[dict[str, Any]], request_id: int | None) -> dict[str, Any] | None:
    """The open extension request's event (who asked, for how long, why)."""
    return next((e for e in events if e["id"] == request_id), None) if request_id is not None else None


def _citizen(found: dict[str, Any] | None, *, reveal: bool) -> dict[str, Any] | None:
    if found is None or reveal:
        return found
    return {**found, "citizen_name": mask_name(found["citizen_name"]), "citizen_phone": mask_phone(found["citizen_phone"]),
            "content": mask_text(found["content"]), "address": mask_address(found["address"]), "masked": True}
