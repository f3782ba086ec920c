"""Reading the facts documents state, and storing documents in two steps: `reserve` (number and content
snapshot, state `rendering`) and `finish` (files with their sha256, state `issued`). Issued documents are
never updated: they are immutable."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.documents.model import ActionFact, EventFact, InstructionFact, IssuedRef, OrderFacts
from engine.documents.quarterly import QuarterData, quarter_bounds
from engine.documents.typical_cases import NARRATED
from engine.persistence.document_tables import document_counters, document_files, documents
from engine.persistence.store import SqlTransaction
from engine.persistence.tables import (actions, handling_units, instructions, order_events, outbox, supervisor_tasks,
                                       work_orders)

RENDERING, ISSUED, FAILED = "rendering", "issued", "failed"
DIGEST = outbox.alias("digest")  # the digest an SMS went out merged into
UNFINISHED = (RENDERING, FAILED)  # numbered, no files yet: rendered (again) once the lease has run out


class DocumentRecords:
    """Document reads and writes inside one `SqlTransaction`."""

    def __init__(self, tx: SqlTransaction) -> None:
        self.c = tx.c
        self.is_postgres = tx.is_postgres

    # --- numbering --------------------------------------------------------------------------
    def next_serial(self, kind: str, year: int) -> int:
        """Take the next serial of (kind, year). The counter row stays locked until the transaction ends
        (row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already serializes writers), so two workers can
        neither take the same serial nor leave a gap: a rolled-back issue rolls its serial back too."""
        insert = (postgresql.insert if self.is_postgres else sqlite.insert)(document_counters)
        self.c.execute(insert.values(kind=kind, year=year, last_serial=0).on_conflict_do_nothing())
        return int(self.c.execute(
            document_counters.update()
            .where(document_counters.c.kind == kind, document_counters.c.year == year)
            .values(last_serial=document_counters.c.last_serial + 1)
            .returning(document_counters.c.last_serial)).scalar_one())

    # --- reserving, rendering, issuing ----------------------------------------------------------
    def reserve(self, values: dict[str, Any], *, claim: str, at: datetime) -> int:
        """Insert a numbered document in state `rendering`, claimed by `claim` from `at` (its lease)."""
        return int(self.c.execute(documents.insert().values(
            **values, state=RENDERING, claim=claim, claimed_at=at, render_attempts=0)).inserted_primary_key[0])

    def claim_unfinished(self, now: datetime, lease: timedelta, limit: int, claim: str) -> list[dict[str, Any]]:
        """Claim up to `limit` documents left `rendering` whose lease ran out (a worker died while rendering them,
        or their rendering failed): the caller renders them from their stored content. Rows another transaction
        is claiming are skipped on PostgreSQL (SQLite serializes writers)."""
        if limit <= 0:
            return []
        query = (sa.select(documents.c.id).where(
            documents.c.state.in_(UNFINISHED),
            sa.or_(documents.c.claimed_at.is_(None), documents.c.claimed_at <= now - lease))
            .order_by(documents.c.id).limit(limit))
        if self.is_postgres:
            query = query.with_for_update(skip_locked=True)
        ids = list(self.c.execute(query).scalars())
        if not ids:
            return []
        self.c.execute(documents.update().where(documents.c.id.in_(ids)).values(claim=claim, claimed_at=now))
        return [dict(r) for r in self.c.execute(
            sa.select(documents).where(documents.c.id.in_(ids)).order_by(documents.c.id)).mappings()]

    def finish(self, document_id: int, claim: str, files: dict[str, bytes], at: datetime) -> bool:
        """Store the files and mark the document issued, if `claim` still holds it; False (nothing written)
        when the lease ran out and another worker claimed it since."""
        taken = self.c.execute(documents.update().where(
            documents.c.id == document_id, documents.c.state.in_(UNFINISHED), documents.c.claim == claim)
            .values(state=ISSUED, recorded_at=at, claim=None, claimed_at=None, last_error=None)).rowcount
        if taken != 1:
            return False
        if files:
            self.c.execute(document_files.insert(), [
                {"document_id": document_id, "format": fmt, "sha256": hashlib.sha256(data).hexdigest(),
                 "size": len(data), "content": data} for fmt, data in files.items()])
        return True

    def render_failed(self, document_id: int, claim: str, at: datetime, error: str) -> int | None:
        """Record a rendering failure: the document becomes `failed` (listed with its error; its number stays
        taken) and is claimed again when the lease from `at` runs out. Returns the attempts so far (None: no
        longer ours)."""
        taken = self.c.execute(documents.update().where(
            documents.c.id == document_id, documents.c.state.in_(UNFINISHED), documents.c.claim == claim)
            .values(state=FAILED, claim=None, claimed_at=at, last_error=error,
                    render_attempts=documents.c.render_attempts + 1)).rowcount
        if taken != 1:
            return None
        return int(self.c.execute(sa.select(documents.c.render_attempts)
                                  .where(documents.c.id == document_id)).scalar_one())

    def open_failure_task(self, document_id: int, at: datetime, error: str) -> bool:
        """A supervisor task `document_failed` for a document whose rendering failed (one per document, while
        it stays unrendered); False when the document already has one open."""
        key = f"document_failed:{document_id}"
        if self.c.execute(sa.select(supervisor_tasks.c.id).where(supervisor_tasks.c.action_key == key,
                                                                 supervisor_tasks.c.status == "open")).first():
            return False
        row = self.c.execute(sa.select(documents.c.number, documents.c.order_number, documents.c.unit_code)
                             .where(documents.c.id == document_id)).one()
        if self.c.execute(sa.select(actions.c.id).where(actions.c.key == key)).first() is None:
            self.c.execute(actions.insert().values(
                key=key, kind="document_failed", at=at, order_number=row.order_number, unit_code=row.unit_code,
                step=None, details={"document": document_id, "number": row.number, "error": error},
                instance_id=None, recorded_at=at))
        self.c.execute(supervisor_tasks.delete().where(supervisor_tasks.c.action_key == key))
        self.c.execute(supervisor_tasks.insert().values(
            kind="document_failed", action_key=key, order_number=row.order_number, unit_code=row.unit_code,
            status="open", created_at=at))
        return True

    def close_failure_task(self, document_id: int, at: datetime) -> None:
        """The document was rendered after all: its failure task is done."""
        self.c.execute(supervisor_tasks.update().where(
            supervisor_tasks.c.action_key == f"document_failed:{document_id}", supervisor_tasks.c.status == "open")
            .values(status="done", outcome="重新生成成功，公文已印发", completed_at=at, completed_by="documents"))

    def outbox_issuing(self, outbox_id: int, document_id: int, at: datetime) -> None:
        """The outbox row now has its numbered document: no other pass picks it up as pending."""
        self.c.execute(outbox.update().where(outbox.c.id == outbox_id).values(
            status="issuing", provider_id=f"document:{document_id}", status_at=at, last_error=None))

    def outbox_issued(self, key: str, document_id: int, at: datetime, *, error: str | None = None) -> None:
        self.c.execute(outbox.update().where(outbox.c.key == key, outbox.c.channel == "document").values(
            status="sent", attempts=outbox.c.attempts + 1, provider_id=f"document:{document_id}", sent_at=at,
            status_at=at, last_error=error))

    def outbox_render_failed(self, key: str, at: datetime, error: str) -> None:
        self.c.execute(outbox.update().where(outbox.c.key == key, outbox.c.channel == "document").values(
            attempts=outbox.c.attempts + 1, status_at=at, last_error=error))

    # --- issued documents -------------------------------------------------------------------
    def pending_quarters(self, now: datetime) -> list[str]:
        """Quarters whose report is waiting to be issued."""
        rows = self.c.execute(sa.select(outbox.c.params).where(
            outbox.c.channel == "document", outbox.c.template == "quarterly_report", outbox.c.status == "pending",
            outbox.c.send_at <= now))
        return sorted({str(params["quarter"]) for (params,) in rows if params and params.get("quarter")})

    def get(self, document_id: int, *, unfinished: bool = False) -> dict[str, Any] | None:
        """An issued document (or one whose rendering failed) with its files and correction links (`unfinished`:
        also one still rendering)."""
        where = [documents.c.id == document_id] + ([] if unfinished else [documents.c.state.in_((ISSUED, FAILED))])
        row = self.c.execute(sa.select(documents).where(*where)).mappings().first()
        if row is None:
            return None
        found = dict(row)
        found["files"] = self.files(document_id)
        found["corrected_by"] = self.c.execute(sa.select(documents.c.id, documents.c.number).where(
            documents.c.corrects_id == document_id)).mappings().first()
        if found["corrects_id"] is not None:
            found["corrects_number"] = self.c.execute(sa.select(documents.c.number).where(
                documents.c.id == found["corrects_id"])).scalar()
        return found

    def by_source_key(self, key: str) -> dict[str, Any] | None:
        """The document (issued or still rendering) made for an outbox row."""
        document_id = self.c.execute(sa.select(documents.c.id).where(documents.c.source_key == key)).scalar()
        return self.get(document_id, unfinished=True) if document_id is not None else None

    def files(self, document_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(
            sa.select(document_files.c.format, document_files.c.sha256, document_files.c.size)
            .where(document_files.c.document_id == document_id).order_by(document_files.c.format)).mappings()]

    def file(self, document_id: int, fmt: str) -> tuple[bytes, str] | None:
        row = self.c.execute(sa.select(document_files.c.content, document_files.c.sha256).where(
            document_files.c.document_id == document_id, document_files.c.format == fmt)).first()
        return (bytes(row.content), row.sha256) if row else None

    def listing(self, *, kind: str | None = None, order_number: str | None = None, limit: int = 100,
                offset: int = 0, states: tuple[str, ...] = (ISSUED, FAILED)) -> tuple[int, list[dict[str, Any]]]:
        """Issued documents and, by default, those whose rendering failed (with their error), newest first."""
        where = [documents.c.state.in_(states)]
        if kind:
            where.append(documents.c.kind == kind)
        if order_number:
            where.append(documents.c.order_number == order_number)
        total = int(self.c.execute(sa.select(sa.func.count()).select_from(documents).where(*where)).scalar() or 0)
        corrector = documents.alias("corrector")
        query = (sa.select(documents.c.id, documents.c.kind, documents.c.number, documents.c.title,
                           documents.c.order_number, documents.c.quarter, documents.c.unit_code,
                           documents.c.issued_at, documents.c.corrects_id, documents.c.state,
                           documents.c.last_error, documents.c.render_attempts,
                           corrector.c.number.label("corrected_by_number"))
                 .outerjoin(corrector, corrector.c.corrects_id == documents.c.id)
                 .where(*where).order_by(documents.c.issued_at.desc(), documents.c.id.desc()).limit(limit).offset(offset))
        return total, [dict(r) for r in self.c.execute(query).mappings()]

    def count_by_kind_year(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(
            sa.select(documents.c.kind, documents.c.year, sa.func.count().label("count"),
                      sa.func.min(documents.c.serial).label("first"), sa.func.max(documents.c.serial).label("last"))
            .group_by(documents.c.kind, documents.c.year)).mappings()]

    # --- the facts --------------------------------------------------------------------------
    def order_facts(self, number: str) -> OrderFacts | None:
        row = self.c.execute(sa.select(work_orders, handling_units.c.name.label("unit_name"))
                             .join(handling_units, handling_units.c.code == work_orders.c.unit_code)
                             .where(work_orders.c.number == number)).mappings().first()
        if row is None:
            return None
        events = tuple(EventFact(r.type, r.at, r.actor, dict(r.details or {})) for r in self.c.execute(
            sa.select(order_events).where(order_events.c.order_number == number)
            .order_by(order_events.c.at, order_events.c.id)))
        done = tuple(ActionFact(r.kind, r.at, r.step, _with_sending(r)) for r in self.c.execute(
            sa.select(actions.c.kind, actions.c.at, actions.c.step, actions.c.details, outbox.c.status,
                      outbox.c.sent_at, DIGEST.c.sent_at.label("digest_sent_at"), DIGEST.c.status.label("digest_status"))
            .outerjoin(outbox, sa.and_(actions.c.kind == "sms", outbox.c.key == actions.c.key))
            .outerjoin(DIGEST, sa.and_(outbox.c.status == "merged", DIGEST.c.id == outbox.c.related_id))
            .where(actions.c.order_number == number).order_by(actions.c.at, actions.c.id)))
        given = tuple(InstructionFact(r.id, r.leader, r.text, r.instructed_at) for r in self.c.execute(
            sa.select(instructions).where(instructions.c.order_number == number).order_by(instructions.c.id)))
        issued = tuple(IssuedRef(r.kind, r.number, r.issued_at) for r in self.c.execute(
            sa.select(documents.c.kind, documents.c.number, documents.c.issued_at)
            .where(documents.c.order_number == number).order_by(documents.c.id)))
        return OrderFacts(
            number=number, title=row["title"], category=row["category"], urgency=row["urgency"],
            source=row["source"], status=row["status"], unit_code=row["unit_code"], unit_name=row["unit_name"],
            dispatched_at=row["dispatched_at"], deadline_at=row["deadline_at"],
            deadline_provisional=bool(row["deadline_provisional"]), signed_at=row["signed_at"],
            replied_at=row["replied_at"], closed_at=row["closed_at"], events=events, actions=done,
            instructions=given, documents=issued,
            request=str(row.get("content") or ""), address=str(row.get("address") or ""))  # when the intake has them

    def quarter_data(self, label: str) -> QuarterData:
        start, end = quarter_bounds(label)
        units = {r.code: r.name for r in self.c.execute(sa.select(handling_units.c.code, handling_units.c.name))}
        orders = [dict(r) for r in self.c.execute(
            sa.select(work_orders.c.number, work_orders.c.unit_code, work_orders.c.dispatched_at,
                      work_orders.c.signed_at, work_orders.c.replied_at, work_orders.c.deadline_at)
            .where(work_orders.c.dispatched_at >= start, work_orders.c.dispatched_at < end)).mappings()]
        in_window = (order_events.c.at >= start) & (order_events.c.at < end)
        dispatched = list(self.c.execute(sa.select(order_events.c.at).where(
            in_window, order_events.c.type == "dispatched")).scalars())
        callbacks = [{"order_number": r.order_number, "at": r.at, "satisfaction": (r.details or {}).get("satisfaction")}
                     for r in self.c.execute(sa.select(order_events.c.order_number, order_events.c.at,
                                                       order_events.c.details)
                                             .where(in_window, order_events.c.type == "callback"))]
        cases = [dict(r) for r in self.c.execute(
            sa.select(instructions.c.id, instructions.c.order_number, instructions.c.leader, instructions.c.text,
                      work_orders.c.title, instructions.c.instructed_at, work_orders.c.unit_code, work_orders.c.signed_at,
                      work_orders.c.replied_at, work_orders.c.closed_at)
            .join(work_orders, work_orders.c.number == instructions.c.order_number)
            .where(instructions.c.instructed_at < end,
                   sa.or_(work_orders.c.closed_at.is_(None), work_orders.c.closed_at >= start))).mappings()]
        kinds = ("urge_notice", "yellow_card", "red_card", "supervision_letter", "special_report")
        done = {r.id: {"kind": r.kind, "unit_code": r.unit_code, "order_number": r.order_number, "at": r.at,
                       "details": dict(r.details or {})}
                for r in self.c.execute(sa.select(actions.c.id, actions.c.kind, actions.c.unit_code,
                                                  actions.c.order_number, actions.c.at, actions.c.details)
                                        .where(actions.c.kind.in_(kinds), actions.c.at < end,
                                               sa.or_(actions.c.at >= start,
                                                      actions.c.order_number.in_(sorted({c["order_number"] for c in cases})))))}
        escalated = self._escalated(start, end)
        told = [*dict.fromkeys(c["order_number"] for c in sorted(cases, key=lambda c: (c["instructed_at"], c["id"])))
                ][:NARRATED] + [n for n in escalated if n not in {c["order_number"] for c in cases}][:NARRATED]
        facts = tuple(f for n in told if (f := self.order_facts(n)) is not None)
        return QuarterData(label, units, orders, dispatched, callbacks, list(done.values()), cases,
                           escalated=escalated, case_facts=facts)

    def _escalated(self, start: datetime, end: datetime) -> tuple[str, ...]:
        """Orders escalated (提级督办) in [start, end), by the rules (an action) or by hand (an event), first first."""
        by_rule = sa.select(actions.c.order_number, actions.c.at).where(
            actions.c.kind == "escalated", actions.c.at >= start, actions.c.at < end)
        by_hand = sa.select(order_events.c.order_number, order_events.c.at).where(
            order_events.c.type == "escalated", order_events.c.at >= start, order_events.c.at < end)
        rows = self.c.execute(sa.union_all(by_rule, by_hand)).all()
        return tuple(dict.fromkeys(n for n, _ in sorted(rows, key=lambda r: (r[1], r[0])) if n))


def _with_sending(row: Any) -> dict[str, Any]:
    """An action's details; for an SMS, its outbox status and when it actually left (a merged one: its digest)."""
    details = dict(row.details or {})
    if row.kind == "sms" and row.status is not None:
        # merged into a digest that was itself held back as a repeat: this reminder did not go either
        suppressed = row.status == "merged" and row.digest_status == "suppressed"
        details["sms_status"] = "suppressed" if suppressed else row.status
        details["sent_at"] = row.digest_sent_at if row.status == "merged" else row.sent_at
    return details


def record_values(*, kind: str, year: int, serial: int, number: str, title: str, issued_at: datetime,
                  recorded_at: datetime, order_number: str | None = None, quarter: str | None = None,
                  unit_code: str | None = None, order_numbers: list[str] | None = None,
                  recipients: list[dict[str, str]] | None = None, params: dict[str, Any] | None = None,
                  source_key: str | None = None,
                  corrects_id: int | None = None, correction_reason: str | None = None) -> dict[str, Any]:
    return {"kind": kind, "year": year, "serial": serial, "number": number, "title": title,
            "order_number": order_number, "quarter": quarter, "unit_code": unit_code,
            "order_numbers": order_numbers or ([order_number] if order_number else []),
            "recipients": recipients or [], "params": params or {}, "issued_at": issued_at, "recorded_at": recorded_at,
            "source_key": source_key, "corrects_id": corrects_id, "correction_reason": correction_reason}
