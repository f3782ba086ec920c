"""Issuing documents: the consumer of `document` outbox rows, and corrections.

A document is issued in two short transactions with the rendering between them, outside any transaction
(rendering a PDF takes a second or more; on SQLite a transaction holds the database's write lock):

1. *reserve*: claim a pending outbox row, read the facts, take the next number of the kind and year, build
   the content (number, issue date = the rule step's time, facts) and insert the document in state
   `rendering` with that content as its snapshot, claimed by this worker; the outbox row becomes `issuing`.
   A failure here (bad data) rolls the row's savepoint back, number included: no gap. The row is retried on
   the next run, then marked failed after three attempts.
2. render DOCX and PDF from the snapshot.
3. *finish*: store the files with their sha256, mark the document issued, queue the leaders' SMS and mark
   the outbox row sent — only if this worker's claim still holds.

A worker that dies while rendering leaves the document `rendering` with its number; once its lease
(`LEASE`, judged against the engine's clock) has run out the next pass claims it and renders it from the
same snapshot, so its number is neither lost nor given twice. A rendering that fails with an exception is
recorded on the document (`last_error`, `render_attempts`) and on the outbox row, and retried after the lease.
"""
from __future__ import annotations

import dataclasses
import logging
import traceback
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from config.documents import DocumentSettings, load_document_settings
from engine.documents import order_documents
from engine.documents.model import KIND_NAMES, DocumentContent, Paragraph, content_from_json, content_to_json
from engine.documents.numbering import document_number, local_day
from engine.documents.quarterly import compute_figures
from engine.documents.quarterly_report import QuarterRanking, quarterly_report
from engine.domain.errors import DubanError, StoreUnavailable
from engine.persistence.document_store import DocumentRecords, record_values
from engine.persistence.store import SqlTransaction
from engine.services import Engine
from workflows.documents.docx_render import render_docx
from workflows.documents.fonts import CjkFontMissing, find_cjk_fonts
from workflows.documents.pdf_render import render_pdf_and_layout
from workflows.documents.quarter_inputs import quarter_ranking, quarter_rankings, short_names
from workflows.hotspots import quarter_hotspots

log = logging.getLogger("duban.documents")
MAX_ATTEMPTS = 3
LEASE = timedelta(minutes=5)  # a document claimed longer ago than this is taken to be abandoned by its worker
ORDER_BUILDERS = {"urge_notice": order_documents.urge_notice,
                  "supervision_letter": order_documents.supervision_letter,
                  "special_report": order_documents.special_report}
Renderer = Callable[[DocumentContent, DocumentSettings], "tuple[dict[str, bytes], str | None]"]


@lru_cache(maxsize=1)
def default_settings() -> DocumentSettings:
    return load_document_settings()


def render_files(content: DocumentContent, settings: DocumentSettings) -> tuple[dict[str, bytes], str | None]:
    """DOCX always; PDF when a CJK font is installed, else the reason it is missing."""
    try:
        fonts = find_cjk_fonts(settings.font_dirs)
    except CjkFontMissing as exc:
        return {"docx": render_docx(content, settings.docx_fonts)}, str(exc)
    pdf, layout = render_pdf_and_layout(content, fonts)
    return {"docx": render_docx(content, settings.docx_fonts, layout=layout), "pdf": pdf}, None


@dataclasses.dataclass(frozen=True)
class _Subject:
    """What a document is about, and how to word it once its number is known."""

    kind: str
    build: Callable[[str], DocumentContent]
    order_number: str | None
    quarter: str | None
    unit_code: str | None
    order_numbers: list[str]
    recipients: list[dict[str, str]]


def _subject(records: DocumentRecords, engine: Engine, settings: DocumentSettings, kind: str,
             order_number: str | None, params: dict[str, Any], at: datetime,
             rankings: Mapping[str, QuarterRanking] | None = None) -> _Subject:
    head = settings.letterhead
    if kind == "quarterly_report":
        label = str(params["quarter"])
        figures = compute_figures(records.quarter_data(label), engine.calendar,
                                  sign_working_days=engine.rules.sign_for_working_days)
        ranking, short = (rankings or {}).get(label), short_names(engine)
        hotspots = quarter_hotspots(records, label)
        return _Subject(kind, lambda number: quarterly_report(figures, at=at, number=number, letterhead=head,
                                                              calendar=engine.calendar, ranking=ranking, short=short,
                                                              hotspots=hotspots),
                        None, label, None, [c.order_number for c in figures.cases],
                        [{"role": "主送", "name": head.report_addressee}])
    if kind not in ORDER_BUILDERS:
        raise DubanError(f"unknown document kind {kind!r}")
    if order_number is None or (facts := records.order_facts(order_number)) is None:
        raise DubanError(f"{KIND_NAMES[kind]}: work order {order_number!r} not found")
    extra = {} if kind == "urge_notice" else {"instruction_id": params.get("instruction_id")}
    if kind == "supervision_letter" and params.get("reply_by"):
        extra["reply_by"] = params["reply_by"]  # the written-reply date the rules will escalate after
    recipients = ([{"role": "主送", "name": head.report_addressee}] if kind == "special_report" else
                  [{"role": "主送", "name": facts.unit_name, "code": facts.unit_code}]
                  + [{"role": "抄送", "name": name} for name in head.cc])
    return _Subject(kind, lambda number: ORDER_BUILDERS[kind](facts, at=at, number=number, letterhead=head,
                                                             calendar=engine.calendar, **extra),
                    order_number, None, facts.unit_code, [order_number], recipients)


@dataclasses.dataclass(frozen=True)
class _Job:
    """A numbered document this worker has claimed and must render and finish."""

    document_id: int
    claim: str
    content: DocumentContent
    kind: str
    number: str
    order_number: str | None
    source_key: str | None
    recipients: list[dict[str, str]]
    corrects_number: str | None = None


def _new_claim(engine: Engine) -> str:
    return f"{engine.worker_id[:30]}:{uuid.uuid4().hex}"


def _reserve(tx: SqlTransaction, engine: Engine, settings: DocumentSettings, subject: _Subject, *, at: datetime,
             params: dict[str, Any], source_key: str | None, claim: str, corrects: dict[str, Any] | None = None,
             reason: str | None = None) -> _Job:
    """Take the number and store the document's content snapshot (state `rendering`). Milliseconds."""
    records = DocumentRecords(tx)
    now = engine.clock.now()
    year = local_day(at).year
    serial = records.next_serial(subject.kind, year)
    number = document_number(settings.letterhead.prefixes[subject.kind], year, serial)
    content = subject.build(number)
    if corrects is not None:
        content = dataclasses.replace(content, blocks=(*content.blocks, Paragraph(
            f"本件更正{corrects['number']}，原件作废。更正原因：{reason}。", "note")))
    notify = subject.kind in settings.letterhead.notify_kinds
    leaders = [{"role": "领导", "name": leader.name, "phone": leader.phone}
               for leader in settings.letterhead.leaders] if notify else []
    recipients = subject.recipients + leaders
    document_id = records.reserve(
        {**record_values(kind=subject.kind, year=year, serial=serial, number=number, title=content.title,
                         issued_at=at, recorded_at=now, order_number=subject.order_number, quarter=subject.quarter,
                         unit_code=subject.unit_code, order_numbers=subject.order_numbers, recipients=recipients,
                         params=params, source_key=source_key, corrects_id=corrects["id"] if corrects else None,
                         correction_reason=reason),
         "content": content_to_json(content)}, claim=claim, at=now)
    tx.audit(now, "documents", "document.numbered", subject.order_number,
             {"document": document_id, "kind": subject.kind, "number": number})
    return _Job(document_id, claim, content, subject.kind, number, subject.order_number, source_key, recipients,
                corrects["number"] if corrects else None)


def _job_from_row(records: DocumentRecords, row: dict[str, Any], claim: str) -> _Job:
    corrects = records.get(row["corrects_id"]) if row["corrects_id"] is not None else None
    return _Job(int(row["id"]), claim, content_from_json(row["content"]), row["kind"], row["number"],
                row["order_number"], row["source_key"], list(row["recipients"] or []),
                corrects["number"] if corrects else None)


def _finish(engine: Engine, job: _Job, files: dict[str, bytes], pdf_error: str | None) -> bool:
    """Store the files, mark the document issued, queue the leaders' SMS, mark the outbox row sent. Milliseconds."""
    with engine.store.transaction() as tx:
        records = DocumentRecords(tx)
        now = engine.clock.now()
        if not records.finish(job.document_id, job.claim, files, now):
            log.warning("document rendered, but another worker claimed it meanwhile; its files are discarded",
                        extra={"order": job.order_number, "number": job.number})
            return False
        leaders = [r for r in job.recipients if r.get("role") == "领导" and r.get("phone")]
        tx.add_outbox([{"key": f"doc:{job.document_id}:{leader['phone']}", "channel": "sms",
                        "order_number": job.order_number, "recipient": leader["phone"],
                        "template": "document_issued",
                        "params": {"kind": KIND_NAMES[job.kind], "number": job.number,
                                   "link": f"/documents/{job.document_id}"},
                        "send_at": now, "created_at": now} for leader in leaders])
        if job.source_key is not None:
            records.outbox_issued(job.source_key, job.document_id, now)
        records.close_failure_task(job.document_id, now)
        tx.audit(now, "documents", "document.issued", job.order_number,
                 {"document": job.document_id, "kind": job.kind, "number": job.number, "formats": sorted(files),
                  **({"corrects": job.corrects_number} if job.corrects_number else {})})
        if pdf_error:
            tx.audit(now, "documents", "document.pdf_missing", job.order_number,
                     {"document": job.document_id, "error": pdf_error})
    if pdf_error:
        log.error("document issued without PDF", extra={"order": job.order_number, "number": job.number,
                                                        "error": pdf_error})
    log.info("document issued", extra={"order": job.order_number, "number": job.number, "kind": job.kind})
    return True


def _render_and_finish(engine: Engine, settings: DocumentSettings, job: _Job, render: Renderer) -> bool:
    """Render outside any transaction, then finish. An exception while rendering is recorded and the document
    retried after the lease; a BaseException (the worker is dying) leaves the claim to run out."""
    try:
        files, pdf_error = render(job.content, settings)
    except Exception as exc:  # a rendering fault: the number stays taken, the document is rendered again later
        error = "".join(traceback.format_exception_only(exc)).strip()
        with engine.store.transaction() as tx:
            records = DocumentRecords(tx)
            now = engine.clock.now()
            attempts = records.render_failed(job.document_id, job.claim, now, error)
            if attempts is not None:
                if job.source_key is not None:
                    records.outbox_render_failed(job.source_key, now, error)
                if records.open_failure_task(job.document_id, now, error):
                    tx.audit(now, "documents", "document.failed", job.order_number,
                             {"document": job.document_id, "number": job.number, "error": error})
        log.error("document numbered but its rendering failed; marked failed, retried after the lease",
                  extra={"order": job.order_number, "number": job.number, "error": error, "attempt": attempts})
        return False
    return _finish(engine, job, files, pdf_error)


def issue_from_outbox(tx: SqlTransaction, engine: Engine, settings: DocumentSettings, row: dict[str, Any],
                      claim: str, rankings: Mapping[str, QuarterRanking] | None = None) -> _Job | None:
    """Number the document one outbox row asks for (once: None when the row already has its document)."""
    records = DocumentRecords(tx)
    existing = records.by_source_key(row["key"])
    if existing is not None:  # numbered before (the row was not marked): the lease path renders it if needed
        if existing["state"] == "issued":
            records.outbox_issued(row["key"], int(existing["id"]), engine.clock.now())
        else:
            records.outbox_issuing(row["id"], int(existing["id"]), engine.clock.now())
        return None
    params = dict(row["params"] or {})
    at = row["send_at"]
    subject = _subject(records, engine, settings, row["template"], row["order_number"], params, at, rankings)
    return _reserve(tx, engine, settings, subject, at=at, params=params, source_key=row["key"], claim=claim)


def issue_pending_documents(engine: Engine, settings: DocumentSettings | None = None, *, limit: int = 5,
                            lease: timedelta = LEASE, render: Renderer | None = None) -> int:
    """Issue the documents whose rule step has fired, and finish those left numbered but unrendered (a dead
    worker's, or a failed rendering's, once the lease has run out); returns how many were issued."""
    return _issue_pass(engine, settings, limit=limit, lease=lease, render=render)[0]


def _issue_pass(engine: Engine, settings: DocumentSettings | None, *, limit: int, lease: timedelta,
                render: Renderer | None) -> tuple[int, int]:
    """One pass: (documents issued, outbox rows and documents tried). A failure is recorded and the pass
    goes on with the next document."""
    settings = settings or default_settings()
    render = render or render_files
    now = engine.clock.now()
    claim = _new_claim(engine)
    jobs: list[_Job] = []
    tried = 0
    with engine.store.reading() as tx:  # the assessment ranking a quarterly report states, read before numbering
        quarters = DocumentRecords(tx).pending_quarters(now)
    rankings, broken = quarter_rankings(engine, quarters)
    with engine.store.transaction() as tx:  # 1. reserve: milliseconds
        records = DocumentRecords(tx)
        jobs += [_job_from_row(records, row, claim) for row in records.claim_unfinished(now, lease, limit, claim)]
        tried += len(jobs)
        for row in tx.claim_outbox("document", now, limit - len(jobs)) if len(jobs) < limit else []:
            tried += 1
            try:
                with tx.savepoint():
                    if row["template"] == "quarterly_report" and (row["params"] or {}).get("quarter") in broken:
                        raise DubanError(broken[row["params"]["quarter"]])
                    job = issue_from_outbox(tx, engine, settings, row, claim, rankings)
                    if job is not None:
                        records.outbox_issuing(row["id"], job.document_id, now)
            except StoreUnavailable:
                raise
            except Exception as exc:  # bad data: nothing numbered (savepoint); retry, then park the row as failed
                attempts = int(row["attempts"] or 0) + 1
                error = "".join(traceback.format_exception_only(exc)).strip()
                tx.mark_outbox(row["id"], "failed" if attempts >= MAX_ATTEMPTS else "pending", now, error=error)
                log.error("document not issued", extra={"order": row["order_number"], "error": error,
                                                        "attempt": attempts})
                continue
            if job is not None:
                jobs.append(job)
    issued = 0
    for job in jobs:  # 2. render, no transaction open; 3. finish: milliseconds
        if _render_and_finish(engine, settings, job, render):
            issued += 1
    return issued, tried


def issue_all_pending(engine: Engine, settings: DocumentSettings | None = None, *, limit: int = 1,
                      render: Renderer | None = None, keep_going: Callable[[], bool] | None = None) -> int:
    """Issue until nothing is left that can be tried now (CLI, demo, tests), or until `keep_going()` says stop
    (the worker's time budget, a stopping worker). A document whose rendering fails does not stop the others: it is
    marked failed and tried again after the lease."""
    total = 0
    while keep_going is None or keep_going():
        issued, tried = _issue_pass(engine, settings, limit=limit, lease=LEASE, render=render)
        total += issued
        if tried == 0:
            return total
    return total


def correct_document(engine: Engine, document_id: int, reason: str, settings: DocumentSettings | None = None,
                     *, render: Renderer | None = None) -> int:
    """Issue a correction: a new document (new number, today's date, today's facts) that names the old one.
    The old document stays as it was. Numbered in one short transaction, rendered outside it, stored in another;
    if rendering fails the correction keeps its number and the worker renders it after the lease."""
    if not reason.strip():
        raise DubanError("a correction needs a reason")
    settings = settings or default_settings()
    claim = _new_claim(engine)
    with engine.store.reading() as tx:
        before = DocumentRecords(tx).get(document_id)
    quarter = before["quarter"] if before is not None and before["kind"] == "quarterly_report" else None
    rankings = {quarter: ranking} if quarter and (ranking := quarter_ranking(engine, quarter)) else {}
    with engine.store.transaction() as tx:
        records = DocumentRecords(tx)
        old = records.get(document_id)
        if old is None:
            raise DubanError(f"document {document_id} not found")
        if old["state"] != "issued":
            raise DubanError(f"{old['number']} is not issued yet (its rendering failed: {old['last_error']}); "
                             "it is rendered again with its number, not corrected")
        if old["corrected_by"] is not None:
            raise DubanError(f"{old['number']} was already corrected by {old['corrected_by']['number']}; "
                             "correct that one")
        at = engine.clock.now()
        params = dict(old["params"] or {})
        subject = _subject(records, engine, settings, old["kind"], old["order_number"], params, at, rankings)
        job = _reserve(tx, engine, settings, subject, at=at, params=params, source_key=None, claim=claim,
                       corrects=old, reason=reason.strip())
    if not _render_and_finish(engine, settings, job, render or render_files):
        raise DubanError(f"correction {job.number} is numbered but could not be rendered now; "
                         "the worker renders it again later (see the log)")
    return job.document_id
