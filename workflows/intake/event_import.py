"""`duban import` of an events file: dispatch objections (退单) and their decisions (退单审核: accepted → 改派 to a
unit, rejected), coordination meetings (会商) and every other event the API takes, one a row.

A row is the body of `POST /api/v1/orders/{order_no}/events` in columns: read by the API's parser
(`engine.intake.orders.parse_event`) and recorded by the API's engine calls (`service.record_event`), so it is
refused with the API's words. The whole file is checked before anything is written: each row's fields, its order
and units, and whether it can happen after the rows before it, with the replay's pre-check (the engine's own rule
checks) started from each order's stored state. A row whose event is already recorded (same order, type and time)
counts as already there, so importing a file again changes nothing.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from engine.domain.errors import InvalidInput, UnknownWorkOrder
from engine.domain.event_words import event_types_by_word
from engine.domain.work_order import WorkOrder
from engine.intake.fields import FieldError
from engine.intake.orders import API_EVENT_TYPES, EventInput, parse_event
from engine.persistence import objection_store
from engine.persistence.api_store import ApiRecords
from engine.services import Engine
from workflows import replay_national as national
from workflows.intake.service import record_event, refusal
from workflows.intake.sheet import ImportReport, RowError, column_of, payload

# column header (English key or Chinese name) → the API event's field
HEADERS = {
    "order_no": "order_no", "工单编号": "order_no", "type": "type", "事件类型": "type", "at": "at", "发生时间": "at",
    "actor": "actor", "操作人": "actor", "note": "note", "说明": "note", "reason": "reason", "理由": "reason",
    "decision": "decision", "结论": "decision", "unit": "unit", "单位编码": "unit",
    "present": "present", "参会单位编码": "present", "co_units": "co_units", "协办单位编码": "co_units",
    "working_days": "working_days", "工作日数": "working_days", "text": "text", "协办意见": "text",
    "satisfaction": "satisfaction", "满意度": "satisfaction", "solved": "solved", "是否解决": "solved",
}
TYPE_HEADERS = {"type", "事件类型"}  # a file with one of these columns holds events
# a clerk's words for an event's type (the API's names are taken as they are)
TYPE_WORDS = event_types_by_word(API_EVENT_TYPES)
# a dispatch objection's decision in words (a meeting's decision is its own text and stays as written)
DECISION_WORDS = {"同意": "accepted", "接受": "accepted", "同意改派": "accepted", "驳回": "rejected",
                  "不同意": "rejected"}

Row = tuple[int, str, EventInput]  # (row number, order number, event)


def _row_error(row: int, error: FieldError) -> RowError:
    return RowError(row, "(row)" if error.field == "(body)" else column_of(error, HEADERS), error.reason)


def _in_api_words(body: dict[str, Any]) -> dict[str, Any]:
    """The row with a type and an objection decision written in Chinese turned into the API's names."""
    kind = body.get("type")
    if isinstance(kind, str) and kind.strip() in TYPE_WORDS:
        body["type"] = kind = TYPE_WORDS[kind.strip()]
    decision = body.get("decision")
    if kind == "objection_decided" and isinstance(decision, str) and decision.strip() in DECISION_WORDS:
        body["decision"] = DECISION_WORDS[decision.strip()]
    return body


def _utc(at: datetime) -> datetime:
    return at.astimezone(timezone.utc)


def _refused(precheck: national.Precheck, number: str, order: WorkOrder | None, event: EventInput,
             units: set[str]) -> FieldError | None:
    """Why the event cannot happen after the rows before it (None: it can; the pre-check order then has it)."""
    if order is None:
        return FieldError("order_no", str(UnknownWorkOrder(number)))
    record: dict[str, Any] = {"order": number, **event.details, "note": event.note, "working_days": event.working_days}
    try:
        if event.type in national.EVENTS:
            precheck.check(event.type, record, order, event.at, units)
        else:
            precheck.lifecycle(event.type, record, order, event.at, details=event.details)
    except InvalidInput as exc:
        return refusal(exc)
    return None


def check_events(engine: Engine, rows: list[tuple[int, dict[str, Any]]]) -> tuple[ImportReport, list[Row]]:
    """Every row checked, in file order; the report and the rows to record."""
    report = ImportReport(rows=len(rows), kind="events")
    now = engine.clock.now()
    parsed: list[Row] = []
    for row, cells in rows:
        body = _in_api_words(payload(cells, HEADERS))
        number = body.pop("order_no", None)
        event, errors = parse_event(body, now=now)
        if not number:
            errors.insert(0, FieldError("order_no", "required"))
        report.errors += [_row_error(row, e) for e in errors]
        if event is not None and number:
            parsed.append((row, number, event))
    numbers = sorted({number for _, number, _ in parsed})
    precheck = national.Precheck(engine.rules, engine.calendar)
    orders: dict[str, WorkOrder] = {}
    with engine.store.reading() as tx:
        records = ApiRecords(tx)
        units, recorded = records.unit_codes(), records.event_keys(numbers)
        for number in numbers:
            order = tx.get_order(number)
            if order is not None:
                orders[number] = order
                precheck.stored(order, objection_store.units_dispatched(tx.c, number),
                                objection_store.objection_open(tx.c, number))
    good: list[Row] = []
    for row, number, event in parsed:
        if (number, event.type, _utc(event.at)) in recorded:
            report.existing += 1
            continue
        problem = _refused(precheck, number, orders.get(number), event, units)
        if problem is not None:
            report.errors.append(_row_error(row, problem))
            continue
        good.append((row, number, event))
    report.valid = len(good) + report.existing
    return report, good


def import_events(engine: Engine, path: Path, rows: list[tuple[int, dict[str, Any]]], *, dry_run: bool,
                  skip_bad: bool) -> ImportReport:
    report, good = check_events(engine, rows)
    if dry_run or (report.errors and not skip_bad):
        return report
    for row, number, event in good:
        try:
            record_event(engine, number, event, default_actor=f"import:{path.name}")
        except InvalidInput as exc:  # the order changed since the check (a user, the worker): this row only
            error = refusal(exc)
            report.errors.append(_row_error(row, FieldError(error.field, f"not written: {error.reason}")))
            report.refused_on_write += 1
        else:
            report.recorded += 1
    report.written = True
    return report
