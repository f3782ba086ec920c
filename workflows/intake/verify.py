"""`duban export verify`: compare a receiver's copy of the export (a folder of NDJSON batches) with the database
and name every order, event and action that is missing, different, or in the copy only.

A batch file is NDJSON: one export record per line, or one push body (`{"cursor_from", "cursor_to", "records"}`)
per line. Files are read in name order; for an order, its last record in the copy is compared with the order's
current state. A copy may be masked or not: a record equal to either rendering counts as the same.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.domain.errors import InvalidInput
from engine.intake import export
from engine.services import Engine
from workflows.intake.service import change_pages, everything_now, order_pages

KINDS = ("order", "event", "action")
BATCH_SUFFIXES = (".ndjson", ".jsonl", ".json")
Key = tuple[str, str]  # (record_type, order number or id)


@dataclass
class VerifyReport:
    files: int = 0
    records: int = 0
    missing: list[Key] = field(default_factory=list)
    different: list[tuple[Key, list[str]]] = field(default_factory=list)  # with the fields that differ
    extra: list[Key] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # "file:line: reason"
    described: dict[Key, str] = field(default_factory=dict)  # what a missing row is, in a few words

    @property
    def ok(self) -> bool:
        return not (self.missing or self.different or self.extra or self.unreadable)


def _key(record: dict[str, Any]) -> Key | None:
    kind = record.get("record_type")
    if kind == "order" and isinstance(record.get("order_number"), str):
        return kind, record["order_number"]
    if kind in ("event", "action") and isinstance(record.get("id"), int):
        return kind, str(record["id"])
    return None


def read_copy(folder: Path, report: VerifyReport) -> dict[Key, dict[str, Any]]:
    """The copy's records by key (an order's last record wins); bad lines go to `report.unreadable`."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: not a folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in BATCH_SUFFIXES)
    if not files:
        raise InvalidInput(f"{folder}: no batch files ({', '.join(BATCH_SUFFIXES)})")
    copy: dict[Key, dict[str, Any]] = {}
    for path in files:
        report.files += 1
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                report.unreadable.append(f"{path.name}:{number}: not JSON ({exc.msg})")
                continue
            records = item.get("records") if isinstance(item, dict) and "records" in item else [item]
            for record in records if isinstance(records, list) else [None]:
                key = _key(record) if isinstance(record, dict) else None
                if key is None:
                    report.unreadable.append(f"{path.name}:{number}: not an export record")
                    continue
                report.records += 1
                copy[key] = record
    return copy


def _renderings(engine: Engine) -> Iterator[tuple[Key, list[dict[str, Any]], str]]:
    """Every order, event and action in the database: its key, its masked and unmasked records (as JSON would
    give them back) and a few words saying what it is."""
    def as_json(record: dict[str, Any]) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(json.dumps(record, ensure_ascii=False))
        return parsed

    numbers, upto = everything_now(engine)
    for rows in order_pages(engine, numbers):
        for row in rows:
            yield (("order", row["number"]), [as_json(export.order_record(row, personal_data=p)) for p in (False, True)],
                   f"order {row['number']}")
    for events, acts in change_pages(engine, upto):
        for e in events:
            yield (("event", str(e["id"])), [as_json(export.event_record(e, personal_data=p)) for p in (False, True)],
                   f"{e['type']} of {e['order_number']}")
        for a in acts:
            yield ("action", str(a["id"])), [as_json(export.action_record(a))], f"{a['kind']} of {a['order_number']}"


def verify_copy(engine: Engine, folder: Path) -> VerifyReport:
    """:raises InvalidInput: when `folder` is not a folder of batch files."""
    report = VerifyReport()
    copy = read_copy(folder, report)
    for key, renderings, what in _renderings(engine):
        received = copy.pop(key, None)
        if received is None:
            report.missing.append(key)
            report.described[key] = what
        elif received not in renderings:
            fields = sorted(f for f in set(received) | set(renderings[0]) if received.get(f) != renderings[0].get(f)
                            and all(received.get(f) != r.get(f) for r in renderings))
            report.different.append((key, fields or ["(masking)"]))
            report.described[key] = what
    report.extra = sorted(copy)
    return report


def describe(report: VerifyReport, *, most: int = 50) -> list[str]:
    """The report as lines for a person: counts, then each missing, different and extra row."""
    lines = [f"copy: {report.files} file(s), {report.records} record(s)"]
    if report.ok:
        return lines + ["nothing missing, nothing different: the copy matches the database"]
    for title, keys in (("missing from the copy", report.missing),
                        ("different in the copy", [k for k, _ in report.different]),
                        ("in the copy but not in the database", report.extra)):
        counts = ", ".join(f"{sum(1 for k in keys if k[0] == kind)} {kind}(s)" for kind in KINDS)
        lines.append(f"{title}: {counts}" if keys else f"{title}: none")
        fields = dict(report.different)
        for key in keys[:most]:
            detail = report.described.get(key, "")
            changed = f"; fields: {', '.join(fields[key])}" if key in fields else ""
            lines.append(f"  {key[0]} {key[1]}" + (f" ({detail}{changed})" if detail else ""))
        if len(keys) > most:
            lines.append(f"  … and {len(keys) - most} more")
    lines += [f"unreadable: {u}" for u in report.unreadable[:most]]
    return lines
