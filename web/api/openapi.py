"""The OpenAPI 3.0 description of `/api/v1`, served as JSON and rendered as the docs page."""
from __future__ import annotations

from typing import Any

from engine.domain.rules import CATEGORIES, URGENCIES
from engine.domain.work_order import SATISFACTION_GRADES
from engine.intake.fields import NUMBER_PATTERN
from engine.intake.orders import API_EVENT_TYPES, MAX_BATCH
from engine.domain.location import COORDINATE_SYSTEMS, MAX_ADDRESS, MAX_DISTRICT
from engine.intake.s12315 import FIELD_MAP


def _text(max_length: int, description: str = "", min_length: int = 0) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, "description": description}
    if min_length:
        schema["minLength"] = min_length
    return schema


TIME = {"type": "string", "format": "date-time", "description": "ISO-8601 with UTC offset, e.g. 2026-06-01T09:30:00+08:00"}
NUMBER = {"type": "string", "pattern": NUMBER_PATTERN, "description": "工单编号 (external order number)"}
_SYSTEM = {"type": "string", "enum": list(COORDINATE_SYSTEMS),
           "description": "坐标系: WGS-84 (GPS) or GCJ-02 (Chinese map services); GCJ-02 is converted to WGS-84 on intake"}
COORDINATES = {"type": "object", "additionalProperties": False, "required": ["latitude", "longitude", "system"],
               "description": "where the matter is (personal data); stored in WGS-84", "properties": {
                   "latitude": {"type": "number", "minimum": -90, "maximum": 90, "description": "纬度"},
                   "longitude": {"type": "number", "minimum": -180, "maximum": 180, "description": "经度"},
                   "system": _SYSTEM}}
_NULL_NUMBER = {"type": "number", "nullable": True}

LOCAL_TIME = {"type": "string", "nullable": True, "description": "local time (+08:00)"}
ORDER_PROPERTIES: dict[str, Any] = {
    "order_number": {"type": "string"}, "source": {"type": "string"}, "external_no": {"type": "string"},
    "unit_code": {"type": "string", "description": "承办单位 (the lead unit, 主办)"},
    "category": {"type": "string"}, "urgency": {"type": "string"},
    "status": {"type": "string", "enum": ["dispatched", "signed", "replied", "closed"]},
    "cycle": {"type": "integer"}, "title": {"type": "string"},
    "dispatched_at": LOCAL_TIME, "deadline_at": LOCAL_TIME, "signed_at": LOCAL_TIME, "replied_at": LOCAL_TIME,
    "closed_at": LOCAL_TIME, "channel": {"type": "string", "nullable": True},
    "citizen_name": {"type": "string", "nullable": True}, "citizen_phone": {"type": "string", "nullable": True},
    "address": {"type": "string", "nullable": True}, "content": {"type": "string", "nullable": True},
    "district": {"type": "string", "nullable": True},
    "latitude": {**_NULL_NUMBER, "description": "WGS-84; without personal_data rounded to 0.01° (about 1 km)"},
    "longitude": _NULL_NUMBER,
    "co_units": {"type": "array", "description": "协办单位, each with its own sign-for (签收)", "items": {
        "type": "object", "additionalProperties": False, "required": ["unit_code", "signed", "signed_at"],
        "properties": {"unit_code": {"type": "string"}, "signed": {"type": "boolean"}, "signed_at": LOCAL_TIME}}},
    "hard_case": {"type": "boolean", "description": "疑难工单 (reopened or passed among units often enough)"},
    "hard_case_at": {**LOCAL_TIME, "description": "when it became a hard case (null: it is not one)"},
}

POSSIBLE_DUPLICATES = {"type": "array", "description": "重复诉求: earlier orders this one may repeat, best first",
                       "items": {"type": "object", "properties": {
                           "order": {"type": "string"}, "score": {"type": "number", "minimum": 0, "maximum": 1},
                           "reasons": {"type": "array", "items": {"type": "string"}},
                           "status": {"type": "string", "enum": ["open", "merged", "dismissed"]}}}}

SCHEMAS: dict[str, Any] = {
    "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "reason": {"type": "string"}}}}}},
    "OrderIn": {"type": "object", "additionalProperties": False,
                "required": ["order_no", "category", "dispatched_at"], "properties": {
        "order_no": NUMBER,
        "unit_code": _text(32, "承办单位编码 (a registered handling unit; left out: the dispatch catalogue's unit)", 1),
        "category": {"type": "string", "enum": list(CATEGORIES), "description": "诉求类型"},
        "urgency": {"type": "string", "enum": list(URGENCIES), "default": "一般", "description": "紧急程度"},
        "dispatched_at": TIME, "title": _text(500, "工单标题"), "content": _text(4000, "诉求内容 (personal data inside is masked on export)"),
        "channel": _text(32, "受理渠道"), "address": _text(MAX_ADDRESS, "事发地址 (personal data)"),
        "district": _text(MAX_DISTRICT, "区县 (the area the matter is in)"), "coordinates": COORDINATES,
        "co_units": {"type": "array", "maxItems": 10, "uniqueItems": True, "items": _text(32, "", 1),
                     "description": "协办单位: co-handling unit codes, not the lead unit_code"},
        "citizen": {"type": "object", "additionalProperties": False, "description": "诉求人 (personal data)",
                    "properties": {"name": _text(100), "phone": _text(32)}}}},
    "Order": {"type": "object", "additionalProperties": False, "required": list(ORDER_PROPERTIES),
              "properties": ORDER_PROPERTIES},
    "EventResult": {"type": "object", "additionalProperties": False, "required": ["event", "order"], "properties": {
        "event": {"type": "string", "enum": list(API_EVENT_TYPES)}, "order": {"$ref": "#/components/schemas/Order"}}},
    "IntakeResult": {"type": "object", "properties": {
        "outcome": {"type": "string", "enum": ["created", "existing"]}, "order": {"$ref": "#/components/schemas/Order"},
        "possible_duplicates": POSSIBLE_DUPLICATES}},
    "BatchIn": {"type": "object", "additionalProperties": False, "required": ["orders"], "properties": {
        "orders": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": {"$ref": "#/components/schemas/OrderIn"}}}},
    "BatchResult": {"type": "object", "properties": {
        "results": {"type": "array", "items": {"type": "object", "properties": {
            "index": {"type": "integer"}, "order_no": {"type": "string", "nullable": True},
            "status": {"type": "integer", "description": "201 created, 200 existing, 409 conflict, 422 invalid"},
            "outcome": {"type": "string", "enum": ["created", "existing", "conflict", "invalid"]},
            "possible_duplicates": {**POSSIBLE_DUPLICATES, "description": "created or existing: as the single intake "
                                                                          "answers (earlier items of the batch count)"},
            "errors": {"type": "array", "items": {"type": "object"}}}}},
        "counts": {"type": "object"}}},
    "Order12315In": {"type": "object", "additionalProperties": False, "required": ["tsjbbh", "sqlx", "djsj", "cbdwdm"],
                     "properties": {
        **{key: _text(500, f"→ {target}: {meaning}") for key, (target, meaning) in FIELD_MAP.items()},
        "tsjbbh": {"type": "string", "pattern": NUMBER_PATTERN, "maxLength": 58, "description": FIELD_MAP["tsjbbh"][1]},
        "sqlx": {"type": "string", "enum": ["投诉", "举报", "咨询", "建议", "1", "2", "3", "4"], "description": FIELD_MAP["sqlx"][1]},
        "djsj": TIME, "cbdwdm": _text(32, FIELD_MAP["cbdwdm"][1], 1),
        "jjcd": {"type": "string", "enum": list(URGENCIES)},
        "tsrxm": _text(100, FIELD_MAP["tsrxm"][1]), "tsrdh": _text(32, FIELD_MAP["tsrdh"][1]),
        "sqnr": _text(4000, FIELD_MAP["sqnr"][1]), "sqje": {"type": "number", "minimum": 0, "maximum": 1e12},
        "fsdz": _text(MAX_ADDRESS, FIELD_MAP["fsdz"][1]), "fsqx": _text(MAX_DISTRICT, FIELD_MAP["fsqx"][1]),
        "wd": {**COORDINATES["properties"]["latitude"], "description": FIELD_MAP["wd"][1]},
        "jd": {**COORDINATES["properties"]["longitude"], "description": FIELD_MAP["jd"][1]},
        "zbx": {**_SYSTEM, "description": FIELD_MAP["zbx"][1]}}},
    "EventIn": {"type": "object", "additionalProperties": False, "required": ["type", "at"], "properties": {
        "type": {"type": "string", "enum": list(API_EVENT_TYPES)}, "at": TIME, "actor": _text(64),
        "note": _text(2000), "reason": _text(2000, "returned / extension_requested: required; objected: required, "
                                                   "a reason code of config/rules.toml [objection] reasons"),
        "decision": _text(2000, "objection_decided: required, accepted or rejected; consultation: required, "
                                "the meeting's decision (会商结论)"),
        "unit": _text(32, "objection_decided accepted: the unit to re-dispatch to; co_signed / contributed: "
                          "the co-handling unit; consultation: required, the lead unit the meeting chose"),
        "present": {"type": "array", "maxItems": 10, "items": _text(32), "description":
                    "consultation: required, the units present at the meeting (会商参会单位)"},
        "co_units": {"type": "array", "maxItems": 10, "items": _text(32), "description":
                     "consultation: the co-handling units the meeting chose (units left out stop being chased)"},
        "text": _text(2000, "contributed: the co-handling unit's contribution"),
        "working_days": {"type": "integer", "minimum": 1, "maximum": 180,
                         "description": "extension_requested / extension_approved / consultation: required "
                                        "(consultation: the new deadline in working days after the meeting)"},
        "satisfaction": {"type": "string", "enum": list(SATISFACTION_GRADES), "description": "callback: required"},
        "solved": {"type": "boolean", "description": "callback: required"}}},
    "InstructionIn": {"type": "object", "additionalProperties": False, "required": ["leader", "text", "at"], "properties": {
        "leader": _text(100, "批示领导", 1), "text": _text(4000, "批示内容", 1), "at": TIME}},
}


def _problems(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": "problem details", "content": {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}} for code in codes}


def _json(ref: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _body(ref: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


_NUMBER_PARAM = {"name": "number", "in": "path", "required": True, "schema": NUMBER}
_FORMAT = {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["ndjson", "csv"], "default": "ndjson"}}
_EXPORT_OK = {"description": "records; the header Duban-Next-Cursor says where to continue",
              "headers": {"Duban-Next-Cursor": {"schema": {"type": "string"}}},
              "content": {"application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}}


def document() -> dict[str, Any]:
    security = [{"bearer": []}]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Duban 督办 integration API", "version": "1.0.0", "description": (
            "Intake from the 12345 platform and 12315, lifecycle events, leadership instructions and data sharing. "
            "Every client has its own bearer token with scopes: `intake`, `events`, `export`, `personal_data` "
            "(unmasked citizen data). Errors are `application/problem+json` with field-level reasons.")},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": SCHEMAS},
        "paths": {
            "/api/v1/orders": {"post": {
                "summary": "Create a work order (idempotent on order_no)", "security": security,
                "description": "Scope intake. The same order_no with the same body returns the existing order (200); "
                               "with a different body, 409.",
                "requestBody": _body("OrderIn"),
                "responses": {"201": _json("IntakeResult", "created"), "200": _json("IntakeResult", "existed already"),
                              **_problems(400, 401, 403, 409, 413, 415, 422, 429)}}},
            "/api/v1/orders/batch": {"post": {
                "summary": f"Create up to {MAX_BATCH} work orders; each answered on its own", "security": security,
                "requestBody": _body("BatchIn"),
                "responses": {"200": _json("BatchResult", "one result per item"),
                              **_problems(400, 401, 403, 413, 415, 422, 429)}}},
            "/api/v1/12315/orders": {"post": {
                "summary": "Create a work order from 12315 (its field layout; tagged source 12315)", "security": security,
                "requestBody": _body("Order12315In"),
                "responses": {"201": _json("IntakeResult", "created"), "200": _json("IntakeResult", "existed already"),
                              **_problems(400, 401, 403, 409, 413, 415, 422, 429)}}},
            "/api/v1/orders/{number}": {"get": {
                "summary": "A work order's current state", "security": security, "parameters": [_NUMBER_PARAM],
                "responses": {"200": _json("Order", "the order"), **_problems(401, 403, 404, 429)}}},
            "/api/v1/orders/{number}/events": {"post": {
                "summary": "Record a lifecycle event", "security": security, "parameters": [_NUMBER_PARAM],
                "description": "Scope events. signed 签收, progress_reported 进展, returned 退单, extension_requested "
                               "延期申请, extension_approved 延期, replied 办结回复, closed 办结, callback 回访, reopened 重办, "
                               "objected 退单 (派单异议), objection_decided 退单审核, co_signed 协办签收, contributed "
                               "协办意见, consultation 会商. `duban import` takes the same events as rows.",
                "requestBody": _body("EventIn"),
                "responses": {"201": _json("EventResult", "recorded; the order as it is now"),
                              **_problems(400, 401, 403, 404, 409, 413, 415, 422, 429)}}},
            "/api/v1/orders/{number}/instructions": {"post": {
                "summary": "Add a leadership instruction (领导批示)", "security": security, "parameters": [_NUMBER_PARAM],
                "requestBody": _body("InstructionIn"),
                "responses": {"201": {"description": "added", "content": {"application/json": {"schema": {"type": "object"}}}},
                              **_problems(400, 401, 403, 404, 409, 413, 415, 422, 429)}}},
            "/api/v1/export": {"get": {
                "summary": "Orders, events and actions since a cursor", "security": security,
                "parameters": [{"name": "since", "in": "query", "schema": {"type": "string"},
                                "description": "cursor from Duban-Next-Cursor; empty = from the start"},
                               {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 5000}},
                               _FORMAT],
                "responses": {"200": _EXPORT_OK, **_problems(401, 403, 422, 429)}}},
            "/api/v1/export/full": {"get": {
                "summary": "Everything: every order's state, every event and action", "security": security,
                "parameters": [_FORMAT], "responses": {"200": _EXPORT_OK, **_problems(401, 403, 422, 429)}}},
            "/api/v1/deliveries": {"get": {
                "summary": "Push messages and every delivery attempt", "security": security,
                "parameters": [{"name": "target", "in": "query", "schema": {"type": "string", "enum": ["12315", "export"]}},
                               {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
                "responses": {"200": {"description": "messages", "content": {"application/json": {"schema": {"type": "object"}}}},
                              **_problems(401, 403, 422, 429)}}},
        },
    }
