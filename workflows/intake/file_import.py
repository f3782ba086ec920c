"""`duban import FILE.csv|FILE.xlsx`: work orders from a spreadsheet, for cities without an API.

Every row is checked first and every bad row reported (row number as the spreadsheet shows it, field, reason);
nothing is written unless the whole file is valid, or `skip_bad` says to write the good rows anyway.
"""
from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.clock import LOCAL_TZ
from engine.domain.errors import InvalidInput
from engine.intake.fields import FieldError
from engine.intake.orders import IntakeOrder, parse_order
from engine.persistence.api_store import ApiRecords
from engine.services import Engine
from workflows.intake.service import resolve_unit, submit

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
MAX_ROWS = 100_000


@dataclass
class RowError:
    row: int
    field: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    valid: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    existing: int = 0
    written: bool = False

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


def read_rows(path: Path, headers: Mapping[str, str] = HEADERS) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {header: cell}) for every non-empty data row; the header is row 1, each column one of `headers`.
    A file that cannot be read as a table (broken quotes, a giant cell, not a workbook, a column twice) is
    InvalidInput naming the row."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_table(path)
    elif suffix in (".xlsx", ".xlsm"):
        table = _xlsx_table(path)
    else:
        raise InvalidInput(f"{path}: give a .csv or .xlsx file")
    if not table:
        raise InvalidInput(f"{path}: the file is empty")
    header = [str(h).strip() for h in table[0]]
    unknown = [h for h in header if h and h not in headers]
    if unknown:
        raise InvalidInput(f"{path}: unknown column(s) {', '.join(unknown)}; known: {', '.join(sorted(headers))}")
    first: dict[str, str] = {}
    for h in (h for h in header if h):
        if headers[h] in first:
            same = "twice" if first[headers[h]] == h else f"and {first[headers[h]]} (the same field)"
            raise InvalidInput(f"{path}: row 1: column {h} appears {same}; keep one")
        first[headers[h]] = h
    if len(table) - 1 > MAX_ROWS:
        raise InvalidInput(f"{path}: at most {MAX_ROWS} rows per file")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if all(str(c).strip() == "" for c in cells):
            continue
        rows.append((number, {h: cells[i] if i < len(cells) else "" for i, h in enumerate(header) if h}))
    return rows


def _csv_table(path: Path) -> list[list[str]]:
    """Strict CSV: a quote left open or a stray quote is an error at the row where its cell starts, not a cell
    that swallows the rest of the file."""
    table: list[list[str]] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        while True:
            try:
                table.append(next(reader))
            except StopIteration:
                return table
            except csv.Error as exc:
                raise InvalidInput(f"{path}: row {len(table) + 1}: {_csv_problem(str(exc))}") from None


def _csv_problem(text: str) -> str:
    if "field larger than field limit" in text:
        return f"a cell is longer than {csv.field_size_limit()} characters"
    if "unexpected end of data" in text:
        return 'a quoted cell is never closed (a " without its closing ")'
    if "expected after" in text:
        return 'a quote inside a cell must be written twice ("")'
    return f"not valid CSV ({text})"


def _xlsx_table(path: Path) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            return [["" if c is None else c for c in row] for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    except zipfile.BadZipFile:
        raise InvalidInput(f"{path}: not an Excel workbook (an .xlsx file is a zip archive; this one is not)") from None
    except KeyError as exc:  # a zip, but without the parts of a workbook ("There is no item named '…' in …")
        part = re.search(r"'([^']+)'", str(exc.args[0]) if exc.args else "")
        raise InvalidInput(f"{path}: not an Excel workbook (the archive has no "
                           f"{part.group(1) if part else 'workbook parts'})") from None
    except Exception as exc:  # malformed XML inside, a chart sheet first, …: still the file's fault
        raise InvalidInput(f"{path}: cannot read it as an Excel workbook ({exc.__class__.__name__}: {exc})") from None


def _payload(cells: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for header, value in cells.items():
        target = HEADERS[header]
        if isinstance(value, datetime):  # an Excel date cell: local time unless it says otherwise
            value = (value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)).isoformat()
        text = str(value).strip() if value is not None else ""
        if text == "":
            continue
        if target == "dispatched_at":
            text = _local_if_naive(text)
        if target == "co_units":  # several unit codes in one cell, separated by commas, 、 or spaces
            payload["co_units"] = [c for c in text.replace("、", ",").replace(" ", ",").split(",") if c]
            continue
        if target.startswith(("citizen.", "coordinates.")):
            group, name = target.split(".", 1)
            payload.setdefault(group, {})[name] = _degrees(text) if name in ("latitude", "longitude") else text
        else:
            payload[target] = text
    return payload


def _degrees(text: str) -> float | str:
    """A coordinate cell as a number; text that is not one is passed on for the order's check to name."""
    try:
        return float(text)
    except ValueError:
        return text


def _local_if_naive(text: str) -> str:
    """Spreadsheets write local times without an offset: read them as Asia/Shanghai."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return text
    return at.replace(tzinfo=LOCAL_TZ).isoformat() if at.tzinfo is None else text


def _field_name(error: FieldError) -> str:
    reverse = {v: k for k, v in HEADERS.items() if k.isascii()}
    return reverse.get(error.field, error.field)


def check_file(engine: Engine, path: Path) -> tuple[ImportReport, list[IntakeOrder]]:
    report = ImportReport()
    rows = read_rows(path)
    report.rows = len(rows)
    with engine.store.reading() as tx:
        records = ApiRecords(tx)
        units = records.unit_codes()
    parsed: list[tuple[int, IntakeOrder]] = []
    seen: dict[str, int] = {}
    now = engine.clock.now()
    for row, cells in rows:
        order, errors = parse_order(_payload(cells), now=now)
        report.errors += [RowError(row, _field_name(e), e.reason) for e in errors]
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
        good.append(order)
    report.valid = len(good)
    return report, good


def import_file(engine: Engine, path: Path, *, dry_run: bool = False, skip_bad: bool = False,
                client: str = "file-import") -> ImportReport:
    report, good = check_file(engine, path)
    if dry_run or (report.errors and not skip_bad):
        return report
    for order in good:
        result = submit(engine, order, client, actor=f"import:{path.name}")
        if result.outcome == "created":
            report.created += 1
        elif result.outcome == "existing":
            report.existing += 1
        else:
            report.errors.append(RowError(0, "order_no", f"{order.number}: {result.detail or result.errors}"))
    report.written = True
    return report
