"""`duban documents list|show|export|issue|correct`: issued documents from the command line."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.clock import format_local
from engine.documents.model import KIND_NAMES
from engine.domain.errors import DubanError
from web.cli.support import Add, command_group, engine_for
from workflows.argtypes import output_file, positive_int


def _get(engine: Any, document_id: int) -> dict[str, Any]:
    from engine.persistence.document_store import DocumentRecords

    with engine.store.reading() as tx:
        document = DocumentRecords(tx).get(document_id)
    if document is None:
        raise DubanError(f"document {document_id} not found")
    return document


def cmd_list(args: argparse.Namespace) -> int:
    from engine.persistence.document_store import DocumentRecords

    engine = engine_for(args)
    with engine.store.reading() as tx:
        total, rows = DocumentRecords(tx).listing(kind=args.kind, order_number=args.order, limit=args.limit)
    for row in rows:
        if args.json:
            print(json.dumps({**row, "issued_at": format_local(row["issued_at"])}, ensure_ascii=False))
        else:
            where = row["order_number"] or row["quarter"] or ""
            corrected = f"  (corrected by {row['corrected_by_number']})" if row["corrected_by_number"] else ""
            failed = (f"  FAILED after {row['render_attempts']} attempt(s), retried: {row['last_error']}"
                      if row["state"] == "failed" else "")
            print(f"{row['id']:>6}  {format_local(row['issued_at'])}  {row['number']}  {KIND_NAMES[row['kind']]}  "
                  f"{where}{corrected}{failed}")
    if not args.json:
        print(f"{len(rows)} of {total} document(s)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    document = _get(engine_for(args), args.id)
    document["issued_at"], document["recorded_at"] = (format_local(document["issued_at"]),
                                                      format_local(document["recorded_at"]))
    print(json.dumps(document, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from engine.persistence.document_store import DocumentRecords

    engine = engine_for(args)
    with engine.store.reading() as tx:
        found = DocumentRecords(tx).file(args.id, args.format)
    if found is None:
        raise DubanError(f"document {args.id} has no {args.format} file")
    Path(args.out).write_bytes(found[0])
    print(f"{args.out}  sha256 {found[1]}")
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    from workflows.documents.issuing import issue_all_pending

    print(f"{issue_all_pending(engine_for(args))} document(s) issued")
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    from workflows.documents.issuing import correct_document

    engine = engine_for(args)
    new_id = correct_document(engine, args.id, args.reason)
    print(f"document {args.id} corrected by {new_id} ({_get(engine, new_id)['number']})")
    return 0


def add_commands(add: Add) -> None:
    """Define `duban documents …` with the CLI's `add(name, fn, help)` helper."""
    action = command_group(add, "documents", "list, show, export, issue and correct official documents (督办函, 专报…)")

    p = action("list", cmd_list, "list issued documents and those whose rendering failed, newest first")
    p.add_argument("--kind", choices=sorted(KIND_NAMES))
    p.add_argument("--order", help="only documents about this work order")
    p.add_argument("--limit", type=positive_int, default=100)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p = action("show", cmd_show, "print one document's record (number, recipients, files and sha256) as JSON")
    p.add_argument("id", type=int)
    p = action("export", cmd_export, "write a document's DOCX or PDF to a file")
    p.add_argument("id", type=int)
    p.add_argument("--format", choices=["docx", "pdf"], default="pdf")
    p.add_argument("--out", required=True, type=output_file)
    action("issue", cmd_issue, "issue every pending document now (the worker does this on its own)")
    p = action("correct", cmd_correct, "issue a correction: a new document that replaces (and names) the old one")
    p.add_argument("id", type=int)
    p.add_argument("--reason", required=True)
