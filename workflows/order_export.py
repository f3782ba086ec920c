"""The work-order list as a file: CSV (UTF-8 with BOM, for Excel) or XLSX, from the rows of
engine.persistence.order_search.iter_orders. One column list serves both formats."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from engine.clock import LOCAL_TZ
from engine.intake.cells import formula_safe
from engine.domain.work_order import STATUS_LABELS

Row = Mapping[str, Any]
Value = str | datetime | None

CARD_LABELS = {"yellow": "黄牌", "red": "红牌"}
TIME_FORMAT = "%Y-%m-%d %H:%M"
EXCEL_TIME_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_TITLE = "工单列表"


@dataclass(frozen=True)
class Column:
    """One exported column: its Chinese header, the value of a row (text or an aware datetime), its XLSX width."""

    header: str
    value: Callable[[Row], Value]
    width: float = 12


def _field(name: str) -> Callable[[Row], Value]:
    def get(row: Row) -> Value:
        value = row.get(name)
        return value if value is None or isinstance(value, datetime) else str(value)
    return get


def _yes_no(name: str) -> Callable[[Row], Value]:
    return lambda row: "是" if row.get(name) else "否"


def _status(row: Row) -> Value:
    return STATUS_LABELS.get(row.get("status", ""), row.get("status"))


def _cards(row: Row) -> Value:
    return "、".join(CARD_LABELS.get(color, color) for color in row.get("cards") or ())


COLUMNS: tuple[Column, ...] = (
    Column("工单编号", _field("number"), 20),
    Column("标题", _field("title"), 40),
    Column("承办单位", _field("unit_name"), 24),
    Column("单位代码", _field("unit_code"), 10),
    Column("类别", _field("category"), 6),
    Column("紧急程度", _field("urgency"), 8),
    Column("来源", _field("source"), 8),
    Column("状态", _status, 8),
    Column("派发时间", _field("dispatched_at"), 17),
    Column("办理时限", _field("deadline_at"), 17),
    Column("时限待定", _yes_no("deadline_provisional"), 8),
    Column("签收时间", _field("signed_at"), 17),
    Column("回复时间", _field("replied_at"), 17),
    Column("办结时间", _field("closed_at"), 17),
    Column("退单时间", _field("returned_at"), 17),
    Column("是否超期", _yes_no("overdue"), 8),
    Column("下次提醒", _field("next_due_at"), 17),
    Column("有效红黄牌", _cards, 10),
    Column("领导批示", _yes_no("instructed"), 8),
)


def _local(at: datetime) -> datetime:
    """Asia/Shanghai wall-clock time without a zone (what a spreadsheet shows)."""
    return at.astimezone(LOCAL_TZ).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------- CSV
def csv_text(value: Value) -> str:
    """A CSV cell: local times as YYYY-MM-DD HH:MM, and text that could run as a formula behind a quote."""
    if isinstance(value, str):
        return formula_safe(value)
    if value is None:
        return ""
    t = value.astimezone(LOCAL_TZ)  # TIME_FORMAT, written out: strftime was a tenth of an export's time
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"


def csv_chunks(rows: Iterable[Row], *, rows_per_chunk: int = 500, first_chunk: int = 100) -> Iterator[bytes]:
    """The CSV as UTF-8 bytes with a BOM (for Excel) and Chinese headers, the first `first_chunk` rows, then a few
    hundred rows at a time: a download starts at once and never holds the whole file in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([column.header for column in COLUMNS])
    for index, row in enumerate(rows, start=1):
        writer.writerow([csv_text(column.value(row)) for column in COLUMNS])
        if index % rows_per_chunk == 0 or index == first_chunk:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def write_csv(rows: Iterable[Row], out: BinaryIO) -> int:
    """Write the rows as CSV to the binary stream `out` (UTF-8 with BOM, Chinese headers); returns the row count."""
    count = 0

    def counted() -> Iterator[Row]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for chunk in csv_chunks(counted()):
        out.write(chunk)
    return count


# ---------------------------------------------------------------------------------------- XLSX
def xlsx_value(value: Value) -> str | datetime | None:
    """An XLSX cell: local times as real (zone-less) Excel datetimes; text without the characters XML forbids."""
    if isinstance(value, datetime):
        return _local(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if value else value


def write_xlsx(rows: Iterable[Row], out: BinaryIO) -> int:
    """Write the rows as one XLSX sheet (streamed: write-only workbook), header frozen; returns the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    sheet.append([_header_cell(sheet, column.header, bold) for column in COLUMNS])
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, xlsx_value(column.value(row))) for column in COLUMNS])
        count += 1
    workbook.save(out)
    return count


def _header_cell(sheet: Any, header: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=header)
    cell.font = font
    return cell


def _cell(sheet: Any, value: str | datetime | None) -> WriteOnlyCell | str | datetime | None:
    """Text is always stored as text (never as a formula, whatever it starts with); times get a date format."""
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = EXCEL_TIME_FORMAT
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
