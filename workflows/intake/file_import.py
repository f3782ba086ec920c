"""`duban import FILE.csv|FILE.xlsx`: work orders, or events on them, from a spreadsheet, for cities without an API.

A file with a `type` / 事件类型 column holds events (workflows/intake/event_import.py); any other holds orders.
Every row is checked first and every bad row reported (row number as the spreadsheet shows it, field, reason);
nothing is written unless the whole file is valid, or `skip_bad` says to write the good rows anyway.
"""
from __future__ import annotations

from pathlib import Path

from engine.intake.fields import FieldError
from engine.intake.orders import IntakeOrder, parse_order
from engine.persistence.api_store import ApiRecords
from engine.services import Engine
from workflows.intake import event_import
from workflows.intake.service import resolve_unit, submit
from workflows.intake.sheet import ImportReport, RowError, column_of, header_of, payload, read_table, rows_of

# column header (English key or Chinese name) → payload field
HEADERS = {
    "order_no": "order_no", "工单编号": "order_no", "unit_code": "unit_code", "承办单位编码": "unit_code",
    "category": "category", "诉求类型": "category", "urgency": "urgency", "紧急程度": "urgency",
    "dispatched_at": "dispatched_at", "派单时间": "dispatched_at", "title": "title", "工单标题": "title",
    "content": "content", "诉求内容": "content", "channel": "channel", "受理渠道": "channel",
    "address": "address", "事发地址": "address", "citizen_name": "citizen.name", "诉求人姓名": "citizen.name",
    "citizen_phone": "citizen.phone", "联系电话": "citizen.phone",
    "co_units": "co_units", "协办单位编码": "co_units", "district": "district", "区县": "district",
    "latitude": "coordinates.latitude", "纬度": "coordinates.latitude",
    "longitude": "coordinates.longitude", "经度": "coordinates.longitude",
    "coord_system": "coordinates.system", "坐标系": "coordinates.system",
}


def check_file(engine: Engine, rows: list[tuple[int, dict[str, object]]]
               ) -> tuple[ImportReport, list[tuple[int, IntakeOrder]]]:
    """Every row checked; the report and the good (row, order)s."""
    report = ImportReport(rows=len(rows))
    with engine.store.reading() as tx:
        records = ApiRecords(tx)
        units = records.unit_codes()
    parsed: list[tuple[int, IntakeOrder]] = []
    seen: dict[str, int] = {}
    now = engine.clock.now()
    for row, cells in rows:
        order, errors = parse_order(payload(cells, HEADERS), now=now)
        report.errors += [RowError(row, column_of(e, HEADERS), e.reason) for e in errors]
        if order is None:
            continue
        resolved = resolve_unit(engine, order)
        if isinstance(resolved, FieldError):
            report.errors.append(RowError(row, "unit_code", resolved.reason))
            continue
        order = resolved
        if order.unit_code not in units:
            report.errors.append(RowError(row, "unit_code", f"unknown handling unit {order.unit_code!r}"))
            continue
        unknown_co = [c for c in order.co_units if c not in units]
        if unknown_co:
            report.errors.append(RowError(row, "co_units", f"unknown handling unit(s) {', '.join(unknown_co)}"))
            continue
        if order.number in seen:
            report.errors.append(RowError(row, "order_no", f"repeats row {seen[order.number]}"))
            continue
        seen[order.number] = row
        parsed.append((row, order))
    with engine.store.reading() as tx:
        records = ApiRecords(tx)
        hashes = records.intake_hashes([o.number for _, o in parsed])
        existing = records.existing_orders([o.number for _, o in parsed])
    good = []
    for row, order in parsed:
        if order.number in existing and hashes.get(order.number) != order.body_hash:
            report.errors.append(RowError(row, "order_no", "a different work order with this number exists"))
            continue
        good.append((row, order))
    report.valid = len(good)
    return report, good


def import_file(engine: Engine, path: Path, *, dry_run: bool = False, skip_bad: bool = False,
                client: str = "file-import") -> ImportReport:
    table = read_table(path)
    if event_import.TYPE_HEADERS & set(header_of(table)):
        return event_import.import_events(engine, path, rows_of(path, table, event_import.HEADERS), dry_run=dry_run,
                                          skip_bad=skip_bad)
    report, good = check_file(engine, rows_of(path, table, HEADERS))
    if dry_run or (report.errors and not skip_bad):
        return report
    for row, order in good:
        result = submit(engine, order, client, actor=f"import:{path.name}")
        if result.outcome == "created":
            report.created += 1
        elif result.outcome == "existing":
            report.existing += 1
        else:
            reason = result.detail or "; ".join(f"{e.field}: {e.reason}" for e in result.errors)
            report.errors.append(RowError(row, "order_no", f"{order.number} not written: {reason}"))
            report.refused_on_write += 1
    report.written = True
    return report
