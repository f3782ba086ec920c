"""Reading a spreadsheet for `duban import` and `duban unit import`: a strict CSV or the first sheet of an .xlsx,
its header row mapped to fields (English key or Chinese name), each data row a payload in the API's layout, and
the report of what was checked and written."""
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

MAX_ROWS = 100_000
LIST_FIELDS = ("co_units", "present")  # several unit codes in one cell, separated by commas, 、 or spaces
TIME_FIELDS = ("dispatched_at", "at")  # local time when the cell gives no offset
_YES_NO = {"是": True, "true": True, "1": True, "否": False, "false": False, "0": False}


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
    created: int = 0  # orders opened (an orders file)
    existing: int = 0  # orders, or events, already there: the same file imported again changes nothing
    recorded: int = 0  # events recorded (an events file)
    written: bool = False
    refused_on_write: int = 0  # rows good when checked, refused when written (the order changed in between)
    kind: str = "orders"  # or "events": a file with a type / 事件类型 column

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


def read_table(path: Path) -> list[list[Any]]:
    """Every row of the file, the header first. A file that cannot be read as a table (broken quotes, a giant cell,
    not a workbook) is InvalidInput naming the row."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table: list[list[Any]] = _csv_table(path)  # type: ignore[assignment]
    elif suffix in (".xlsx", ".xlsm"):
        table = _xlsx_table(path)
    else:
        raise InvalidInput(f"{path}: give a .csv or .xlsx file")
    if not table:
        raise InvalidInput(f"{path}: the file is empty")
    return table


def header_of(table: list[list[Any]]) -> list[str]:
    return [str(h).strip() for h in table[0]]


def rows_of(path: Path, table: list[list[Any]], headers: Mapping[str, str]) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {header: cell}) for every non-empty data row; the header is row 1, each column one of `headers`
    (a column given twice, also under its other name, is InvalidInput)."""
    header = header_of(table)
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


def read_rows(path: Path, headers: Mapping[str, str]) -> list[tuple[int, dict[str, Any]]]:
    return rows_of(path, read_table(path), headers)


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


def payload(cells: dict[str, Any], headers: Mapping[str, str]) -> dict[str, Any]:
    """A row as the API's JSON body: empty cells left out, Excel dates and times without an offset read as local
    time, unit-code lists split, whole numbers and yes/no as JSON would give them (a cell that is neither stays text,
    and the API's check refuses it)."""
    body: dict[str, Any] = {}
    for header, value in cells.items():
        target = headers[header]
        if isinstance(value, datetime):  # an Excel date cell: local time unless it says otherwise
            value = (value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)).isoformat()
        if isinstance(value, float) and value.is_integer():  # Excel keeps every number as a float
            value = int(value)
        text = str(value).strip() if value is not None else ""
        if text == "":
            continue
        if target in TIME_FIELDS:
            text = _local_if_naive(text)
        if target in LIST_FIELDS:
            body[target] = [c for c in text.replace("、", ",").replace("，", ",").replace(" ", ",").split(",") if c]
        elif target == "working_days":
            body[target] = int(text) if text.isdigit() else text
        elif target == "solved":
            body[target] = _YES_NO.get(text.lower(), text)
        elif target.startswith(("citizen.", "coordinates.")):
            group, name = target.split(".", 1)
            body.setdefault(group, {})[name] = _degrees(text) if name in ("latitude", "longitude") else text
        else:
            body[target] = text
    return body


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


def column_of(error: FieldError, headers: Mapping[str, str]) -> str:
    """The column a field error is about, by its English header."""
    reverse = {v: k for k, v in headers.items() if k.isascii()}
    return reverse.get(error.field, error.field)
