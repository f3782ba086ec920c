"""An intake payload in Duban's own layout (the 12345 platform's fields) → a validated `IntakeOrder`."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from engine.domain.rules import CATEGORIES, URGENCIES
from engine.domain.work_order import SATISFACTION_GRADES
from engine.domain.errors import InvalidInput
from engine.domain.location import MAX_ADDRESS, MAX_DISTRICT, OrderLocation, order_location, wgs84_point
from engine.intake.fields import Checker, FieldError, body_hash

ORDER_FIELDS = {"order_no", "unit_code", "category", "urgency", "dispatched_at", "title", "content", "channel",
                "address", "citizen", "co_units", "district", "coordinates"}
CITIZEN_FIELDS = {"name", "phone"}
COORDINATE_FIELDS = {"latitude", "longitude", "system"}
_LOCATION_FIELDS = ("district", "latitude", "longitude", "coord_system")  # hashed only when given (issue 19)
API_EVENT_TYPES = ("signed", "progress_reported", "returned", "extension_requested", "extension_approved",
                   "replied", "closed", "callback", "reopened", "objected", "objection_decided", "co_signed",
                   "contributed", "consultation")
EVENT_FIELDS = {"type", "at", "actor", "note", "reason", "working_days", "satisfaction", "solved", "decision", "unit",
                "text", "present", "co_units"}
# the fields each event type uses beyond type/at/actor/note (any other given is refused)
_EVENT_USES = {"extension_requested": {"working_days", "reason"}, "extension_approved": {"working_days"},
               "returned": {"reason"}, "callback": {"satisfaction", "solved"}, "objected": {"reason"},
               "objection_decided": {"decision", "unit"}, "co_signed": {"unit"}, "contributed": {"unit", "text"},
               "consultation": {"present", "decision", "unit", "co_units", "working_days"}}
INSTRUCTION_FIELDS = {"leader", "text", "at"}
MAX_BATCH = 500


@dataclass(frozen=True)
class IntakeOrder:
    number: str
    unit_code: str
    category: str
    urgency: str
    dispatched_at: datetime
    source: str
    body_hash: str
    external_no: str
    title: str = ""
    content: str | None = None
    channel: str | None = None
    address: str | None = None
    citizen_name: str | None = None
    citizen_phone: str | None = None
    co_units: tuple[str, ...] = ()  # co-handling units (协办); unit_code is the lead (主办)
    extra: dict[str, Any] = field(default_factory=dict)
    district: str | None = None  # 区县
    latitude: float | None = None  # as sent, in coord_system (checked by parse_coordinates)
    longitude: float | None = None
    coord_system: str | None = None  # WGS-84 | GCJ-02

    def location(self) -> OrderLocation:
        """The columns the order keeps: coordinates in WGS-84, the address normalised (engine/domain/location.py)."""
        return order_location(content=self.content, address=self.address, district=self.district,
                               latitude=self.latitude, longitude=self.longitude, system=self.coord_system,
                               caller_phone=self.citizen_phone)


@dataclass(frozen=True)
class EventInput:
    type: str
    at: datetime
    actor: str
    note: str
    working_days: int | None
    details: dict[str, Any]


def _object(body: object, errors: list[FieldError], name: str = "") -> dict[str, Any] | None:
    if not isinstance(body, dict):
        errors.append(FieldError(name or "(body)", "must be a JSON object"))
        return None
    return body


def parse_order(body: object, *, now: datetime, prefix: str = "") -> tuple[IntakeOrder | None, list[FieldError]]:
    errors: list[FieldError] = []
    data = _object(body, errors, prefix.rstrip("."))
    if data is None:
        return None, errors
    c = Checker(data, now, prefix, errors)
    c.unknown(ORDER_FIELDS)
    number = c.number("order_no")
    unit_code = c.text("unit_code", max_length=32, default="")  # "": the dispatch catalogue decides (service.submit)
    category = c.choice("category", CATEGORIES, required=True)
    urgency = c.choice("urgency", URGENCIES, default="一般")
    dispatched_at = c.instant("dispatched_at")
    title = c.text("title", max_length=500, default="")
    content = c.text("content", max_length=4000, multiline=True)
    channel = c.text("channel", max_length=32)
    address = c.text("address", max_length=MAX_ADDRESS)
    district = c.text("district", max_length=MAX_DISTRICT)
    point = parse_coordinates(c, data.get("coordinates"))
    co_units = _unit_codes(c, "co_units", lead=unit_code)
    name = phone = None
    citizen = data.get("citizen")
    if citizen is not None:
        citizen_data = _object(citizen, errors, prefix + "citizen")
        if citizen_data is not None:
            cc = Checker(citizen_data, now, prefix + "citizen.", errors)
            cc.unknown(CITIZEN_FIELDS)
            name = cc.text("name", max_length=100)
            phone = cc.text("phone", max_length=32)
    if errors:
        return None, errors
    assert number and unit_code is not None and category and urgency and dispatched_at is not None
    return with_hash(IntakeOrder(number=number, unit_code=unit_code, category=category, urgency=urgency,
                                 dispatched_at=dispatched_at, source="12345", body_hash="", external_no=number,
                                 title=title or "", content=content, channel=channel, address=address,
                                 citizen_name=name, citizen_phone=phone, co_units=tuple(co_units),
                                 district=district, **point)), []


def parse_coordinates(c: Checker, value: object, name: str = "coordinates") -> dict[str, Any]:
    """{"latitude", "longitude", "system"} → IntakeOrder's latitude, longitude and coord_system ({} when absent);
    a bad one is a FieldError naming what is wrong (range, missing half, unknown system)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        c.fail(name, "must be an object {latitude, longitude, system}")
        return {}
    for unknown in sorted(set(value) - COORDINATE_FIELDS):
        c.fail(f"{name}.{unknown}", "unknown field")
    lat, lng, system = value.get("latitude"), value.get("longitude"), value.get("system")
    try:
        if lat is None or lng is None or system is None:
            raise InvalidInput("latitude, longitude and system (WGS-84 or GCJ-02) are all required")
        wgs84_point(lat, lng, system)
    except InvalidInput as exc:
        c.fail(name, str(exc))
        return {}
    return {"latitude": float(lat), "longitude": float(lng), "coord_system": str(system)}


def with_hash(order: IntakeOrder) -> IntakeOrder:
    """Hash what the order says after defaults and time zones are normalised, so that the same order sent again
    (keys in another order, `Z` instead of `+08:00`, the default urgency spelled out) is recognised as the same."""
    facts = {name: getattr(order, name) for name in IntakeOrder.__dataclass_fields__ if name != "body_hash"
             and not (name in _LOCATION_FIELDS and getattr(order, name) is None)}  # hashes from before issue 19 hold
    facts["dispatched_at"] = order.dispatched_at.isoformat()
    return replace(order, body_hash=body_hash(facts))


def parse_event(body: object, *, now: datetime) -> tuple[EventInput | None, list[FieldError]]:
    errors: list[FieldError] = []
    data = _object(body, errors)
    if data is None:
        return None, errors
    c = Checker(data, now, "", errors)
    c.unknown(EVENT_FIELDS)
    kind = c.choice("type", API_EVENT_TYPES, required=True)
    at = c.instant("at")
    actor = c.text("actor", max_length=64) or ""
    note = c.text("note", max_length=2000, multiline=True) or ""
    meeting = kind == "consultation"  # 会商 on a hard case: decision is its text, unit the lead
    needs_days = kind in ("extension_requested", "extension_approved", "consultation")
    working_days = c.integer("working_days", low=1, high=180, required=needs_days)
    reason = c.text("reason", max_length=2000, multiline=True,
                    required=kind in ("returned", "extension_requested", "objected"))
    satisfaction = c.choice("satisfaction", SATISFACTION_GRADES, required=kind == "callback")
    solved = c.boolean("solved", required=kind == "callback")
    decision = (c.text("decision", max_length=2000, multiline=True, required=True) if meeting else
                c.choice("decision", ("accepted", "rejected"), required=kind == "objection_decided"))
    unit = c.text("unit", max_length=32, required=kind in ("co_signed", "contributed", "consultation") or (
        kind == "objection_decided" and decision == "accepted"))
    present = _unit_codes(c, "present", required=meeting) if "present" in data or meeting else None
    co_units = _unit_codes(c, "co_units", lead=unit) if "co_units" in data else None
    text = c.text("text", max_length=2000, multiline=True, required=kind == "contributed")
    for name in sorted(set(data) & (EVENT_FIELDS - {"type", "at", "actor", "note"})):
        if kind is not None and name not in _EVENT_USES.get(kind, set()):
            c.fail(name, f"not used by a {kind} event")
    if errors:
        return None, errors
    assert kind is not None and at is not None
    details: dict[str, Any] = {}
    if reason is not None:
        details["reason"] = reason
    if kind == "callback":
        details.update(satisfaction=satisfaction, solved=solved)
    details.update({k: v for k, v in (("decision", decision), ("unit", unit), ("text", text), ("present", present),
                                      ("co_units", co_units)) if v is not None})
    return EventInput(kind, at, actor, note, working_days, details), []


def _unit_codes(c: Checker, name: str, *, lead: str | None = None, required: bool = False) -> list[str]:
    """A list of at most 10 distinct unit codes (not the lead's), [] if absent and not required."""
    codes = c.body.get(name, None if required else [])
    if not isinstance(codes, list) or not all(isinstance(u, str) and 0 < len(u) <= 32 for u in codes) \
            or len(codes) > 10 or len(set(codes)) != len(codes) or (lead is not None and lead in codes) \
            or (required and not codes):
        c.fail(name, "a list of 1 to 10 distinct unit codes" if required else
               "a list of at most 10 distinct unit codes, not including the lead unit_code")
        return []
    return list(codes)


def parse_instruction(body: object, *, now: datetime) -> tuple[dict[str, Any] | None, list[FieldError]]:
    errors: list[FieldError] = []
    data = _object(body, errors)
    if data is None:
        return None, errors
    c = Checker(data, now, "", errors)
    c.unknown(INSTRUCTION_FIELDS)
    leader = c.text("leader", required=True, max_length=100)
    text = c.text("text", required=True, max_length=4000, multiline=True)
    at = c.instant("at")
    if errors:
        return None, errors
    return {"leader": leader, "text": text, "at": at}, []


def batch_items(body: object) -> tuple[list[Any] | None, list[FieldError]]:
    errors: list[FieldError] = []
    data = _object(body, errors)
    if data is None:
        return None, errors
    if set(data) - {"orders"}:
        return None, [FieldError(name, "unknown field") for name in sorted(set(data) - {"orders"})]
    items = data.get("orders")
    if not isinstance(items, list):
        return None, [FieldError("orders", "required: a list of work orders")]
    if not 1 <= len(items) <= MAX_BATCH:
        return None, [FieldError("orders", f"1 to {MAX_BATCH} work orders per request")]
    return items, []
