"""The `/api/v1` endpoints. Scopes: intake (create orders), events (lifecycle events, instructions), export
(data sharing), personal_data (unmasked citizen data in reads and exports)."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, jsonify, request

from engine.domain.errors import InvalidInput, InvalidTransition, UnknownWorkOrder
from engine.intake import export
from engine.intake.fields import FieldError, is_order_number
from engine.intake.orders import batch_items, parse_event, parse_instruction, parse_order
from engine.intake.s12315 import parse_12315
from engine.persistence.api_store import ApiRecords
from web.api.auth import current_client, requires
from web.api.problems import ApiProblem
from web.context import duban
from workflows.intake import service

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
SINGLE_LIMIT = 64 * 1024
BATCH_LIMIT = 4 * 1024 * 1024
EXPORT_MAX = 5000



def _json_body(limit: int) -> Any:
    request.max_content_length = limit
    if request.mimetype != "application/json":
        raise ApiProblem(415, "send the body as application/json")
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiProblem(400, f"the body is not valid JSON: {str(exc)[:200]}") from None


def _invalid(errors: list[FieldError]) -> ApiProblem:
    return ApiProblem(422, "the request has invalid fields", errors)


def _order_or_404(number: str) -> dict[str, Any]:
    personal = "personal_data" in current_client()["scopes"]
    view = service.order_view(duban(), number, personal_data=personal) if is_order_number(number) else None
    if view is None:
        raise ApiProblem(404, f"no work order {number}")
    return view


def _intake_response(result: service.IntakeResult) -> Response:
    if result.outcome == "conflict":
        raise ApiProblem(409, result.detail, [FieldError("order_no", "already received with a different body")])
    if result.outcome == "invalid":
        raise _invalid(result.errors)
    response = jsonify({"outcome": result.outcome, "order": _order_or_404(result.number),
                        "possible_duplicates": service.possible_duplicates(duban(), result.number)})
    response.status_code = result.status
    response.headers["Location"] = f"/api/v1/orders/{result.number}"
    return response


@bp.post("/orders")
@requires("intake")
def create_order() -> Response:
    order, errors = parse_order(_json_body(SINGLE_LIMIT), now=duban().clock.now())
    if order is None:
        raise _invalid(errors)
    return _intake_response(service.submit(duban(), order, current_client()["name"]))


@bp.post("/orders/batch")
@requires("intake")
def create_orders() -> Response:
    items, errors = batch_items(_json_body(BATCH_LIMIT))
    if items is None:
        raise _invalid(errors)
    now, client = duban().clock.now(), current_client()["name"]
    results = []
    for index, item in enumerate(items):
        order, item_errors = parse_order(item, now=now)
        number = item.get("order_no") if isinstance(item, dict) and isinstance(item.get("order_no"), str) else None
        if order is None:
            results.append({"index": index, "order_no": number, "status": 422, "outcome": "invalid",
                            "errors": [e.as_dict() for e in item_errors]})
            continue
        result = service.submit(duban(), order, client)
        entry: dict[str, Any] = {"index": index, "order_no": order.number, "status": result.status,
                                 "outcome": result.outcome}
        if result.errors:
            entry["errors"] = [e.as_dict() for e in result.errors]
        if result.outcome == "conflict":
            entry["errors"] = [{"field": "order_no", "reason": result.detail}]
        if result.outcome in ("created", "existing"):  # as the single intake answers (issue 19)
            entry["possible_duplicates"] = service.possible_duplicates(duban(), result.number)
        results.append(entry)
    counts = {k: sum(1 for r in results if r["outcome"] == k) for k in ("created", "existing", "conflict", "invalid")}
    return jsonify({"results": results, "counts": counts})


@bp.post("/12315/orders")
@requires("intake")
def create_12315_order() -> Response:
    order, errors = parse_12315(_json_body(SINGLE_LIMIT), now=duban().clock.now())
    if order is None:
        raise _invalid(errors)
    return _intake_response(service.submit(duban(), order, current_client()["name"]))


@bp.get("/orders/<number>")
@requires("intake", "events", "export")
def get_order(number: str) -> Response:
    return jsonify(_order_or_404(number))


@bp.post("/orders/<number>/events")
@requires("events")
def post_event(number: str) -> Response:
    body = _json_body(SINGLE_LIMIT)
    _order_or_404(number)
    event, errors = parse_event(body, now=duban().clock.now())
    if event is None:
        raise _invalid(errors)
    try:
        service.record_event(duban(), number, event, default_actor=f"api:{current_client()['name']}")
    except UnknownWorkOrder:
        raise ApiProblem(404, f"no work order {number}") from None
    except InvalidTransition as exc:
        raise ApiProblem(409, str(exc), [service.refusal(exc)]) from None
    except InvalidInput as exc:
        raise _invalid([service.refusal(exc)]) from None
    response = jsonify({"event": event.type, "order": _order_or_404(number)})
    response.status_code = 201
    return response


@bp.post("/orders/<number>/instructions")
@requires("events")
def post_instruction(number: str) -> Response:
    body = _json_body(SINGLE_LIMIT)
    _order_or_404(number)
    values, errors = parse_instruction(body, now=duban().clock.now())
    if values is None:
        raise _invalid(errors)
    try:
        instruction = service.add_instruction(duban(), number, values, current_client()["name"])
    except UnknownWorkOrder:
        raise ApiProblem(404, f"no work order {number}") from None
    except InvalidTransition as exc:
        raise ApiProblem(409, str(exc)) from None
    except InvalidInput as exc:
        raise _invalid([FieldError("(body)", str(exc))]) from None
    response = jsonify({"id": instruction.id, "order_number": number, "leader": instruction.leader,
                        "instructed_at": instruction.instructed_at.isoformat(),
                        "letter_due_at": instruction.letter_due_at.isoformat(),
                        "report_due_at": instruction.report_due_at.isoformat()})
    response.status_code = 201
    return response


def _export_format() -> str:
    fmt = request.args.get("format", "ndjson")
    if fmt not in ("ndjson", "csv"):
        raise _invalid([FieldError("format", "ndjson or csv")])
    return fmt


def _stream(pages: Iterator[list[dict[str, Any]]], fmt: str) -> Iterator[str]:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(export.CSV_COLUMNS)
        for page in pages:
            for record in page:
                writer.writerow(export.csv_row(record))
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()
    else:
        for page in pages:
            yield "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in page)


def _export_response(body: Iterator[str], fmt: str, cursor: str) -> Response:
    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    response = Response(body, mimetype=mimetype)
    response.headers["Duban-Next-Cursor"] = cursor
    return response


@bp.get("/export")
@requires("export")
def export_since() -> Response:
    fmt = _export_format()
    cursor = export.decode_cursor(request.args.get("since"))
    if cursor is None:
        raise _invalid([FieldError("since", "a cursor from Duban-Next-Cursor, like p1200")])
    limit = request.args.get("limit", "1000")
    if not limit.isdigit() or not 1 <= int(limit) <= EXPORT_MAX:
        raise _invalid([FieldError("limit", f"a whole number from 1 to {EXPORT_MAX}")])
    personal = "personal_data" in current_client()["scopes"]
    records, next_cursor = service.export_page(duban(), cursor, int(limit), personal_data=personal)
    return _export_response(_stream(iter([records]), fmt), fmt, next_cursor)


@bp.get("/export/full")
@requires("export")
def export_full() -> Response:
    """Every order (current state), event and action, streamed page by page."""
    fmt = _export_format()
    pages, cursor = service.full_export(duban(), personal_data="personal_data" in current_client()["scopes"])
    return _export_response(_stream(pages, fmt), fmt, cursor)


@bp.get("/deliveries")
@requires("export")
def deliveries() -> Response:
    """Push messages (12315 results, export batches) with every delivery attempt."""
    target = request.args.get("target")
    if target is not None and target not in ("12315", "export"):
        raise _invalid([FieldError("target", "12315 or export")])
    limit = request.args.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise _invalid([FieldError("limit", "a whole number from 1 to 1000")])
    with duban().store.reading() as tx:
        records = ApiRecords(tx)
        messages = records.push_messages(target, int(limit))
        attempts = records.deliveries_of([m["id"] for m in messages])
    by_message: dict[int, list[dict[str, Any]]] = {}
    for attempt in attempts:
        by_message.setdefault(attempt["outbox_id"], []).append({
            "attempt": attempt["attempt"], "at": attempt["at"].isoformat(), "ok": attempt["ok"],
            "status_code": attempt["status_code"], "error": attempt["error"]})
    return jsonify({"messages": [{
        "id": m["id"], "key": m["key"], "target": m["recipient"], "kind": m["template"],
        "order_number": m["order_number"], "status": m["status"], "attempts": m["attempts"],
        "next_attempt_at": m["send_at"].isoformat() if m["status"] != "sent" else None,
        "sent_at": m["sent_at"].isoformat() if m["sent_at"] else None, "last_error": m["last_error"],
        "deliveries": by_message.get(m["id"], [])} for m in messages]})
