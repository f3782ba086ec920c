"""The SMS outbox, receipts, inbound replies and failing contact numbers (mixed into SqlTransaction)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.persistence.tables import handling_units, inbound_sms, outbox, sms_receipts, unit_contacts, work_orders

SMS = outbox.c.channel == "sms"
IN_FLIGHT = ("sending", "unknown", "queued", "sent", "delivered")  # a message that went out or may have


class SmsRecords:
    c: sa.Connection
    is_postgres: bool

    def recover_stale_sending(self, started_before: datetime, now: datetime) -> int:
        """Messages left `sending` by a worker that died mid-call: their fate is unknown until checked."""
        result = self.c.execute(outbox.update().where(SMS, outbox.c.status == "sending",
                                                      outbox.c.status_at < started_before)
                                .values(status="unknown", send_at=now, last_error="worker stopped during the call"))
        return result.rowcount or 0

    def claim_sms(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Due messages to send (pending) or to check (unknown), locked; with the order's urgency."""
        query = (sa.select(outbox, work_orders.c.urgency)
                 .outerjoin(work_orders, work_orders.c.number == outbox.c.order_number)
                 .where(SMS, outbox.c.status.in_(("pending", "unknown")), outbox.c.send_at <= now)
                 .order_by(outbox.c.send_at, outbox.c.id).limit(limit))
        if self.is_postgres:
            query = query.with_for_update(of=outbox, skip_locked=True)
        return [dict(r) for r in self.c.execute(query).mappings()]

    def sms_row(self, message_id: int, *, lock: bool = False) -> dict[str, Any] | None:
        query = sa.select(outbox).where(SMS, outbox.c.id == message_id)
        if lock and self.is_postgres:
            query = query.with_for_update()
        row = self.c.execute(query).mappings().first()
        return dict(row) if row else None

    def sms_by_provider_id(self, provider_id: str, *, lock: bool = False) -> dict[str, Any] | None:
        query = sa.select(outbox).where(SMS, outbox.c.provider_id == provider_id)
        if lock and self.is_postgres:
            query = query.with_for_update()
        row = self.c.execute(query).mappings().first()
        return dict(row) if row else None

    def update_sms(self, message_id: int, **values: Any) -> None:
        self.c.execute(outbox.update().where(outbox.c.id == message_id).values(**values))

    def update_sms_if(self, message_id: int, statuses: Iterable[str], **values: Any) -> bool:
        """Update only while the message is still in one of `statuses` (a receipt may have moved it on)."""
        result = self.c.execute(outbox.update().where(outbox.c.id == message_id, outbox.c.status.in_(tuple(statuses)))
                                .values(**values))
        return bool(result.rowcount)

    def insert_sms(self, row: dict[str, Any]) -> int:
        values = {"channel": "sms", "status": "pending", "attempts": 0, **row}
        return int(self.c.execute(outbox.insert().values(**values)).inserted_primary_key[0])

    def same_content_since(self, recipient: str, content_key: str, since: datetime, exclude: int) -> int | None:
        """A message with the same text (link aside) that went, or may have gone, to this number since `since`."""
        return self.c.execute(sa.select(outbox.c.id).where(
            SMS, outbox.c.recipient == recipient, outbox.c.content_key == content_key, outbox.c.id != exclude,
            outbox.c.status.in_(IN_FLIGHT), outbox.c.status_at >= since).limit(1)).scalar()

    def sms_awaiting_receipt(self, sent_since: datetime, limit: int) -> list[dict[str, Any]]:
        """Messages the provider accepted and has not reported on yet, oldest first."""
        return [dict(r) for r in self.c.execute(sa.select(outbox).where(
            SMS, outbox.c.status.in_(("queued", "sent")), outbox.c.provider_id.is_not(None),
            outbox.c.sent_at >= sent_since).order_by(outbox.c.sent_at, outbox.c.id).limit(limit)).mappings()]

    def merged_into(self, digest_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(sa.select(outbox).where(
            SMS, outbox.c.related_id == digest_id, outbox.c.status == "merged").order_by(outbox.c.id)).mappings()]

    # --- contact numbers ---------------------------------------------------------------------
    def failing_numbers(self, phones: Iterable[str]) -> dict[str, str]:
        phones = tuple(set(phones))
        if not phones:
            return {}
        rows = self.c.execute(sa.select(unit_contacts.c.phone, unit_contacts.c.failing_reason).where(
            unit_contacts.c.phone.in_(phones), unit_contacts.c.failing_since.is_not(None)))
        return {phone: reason or "" for phone, reason in rows}

    def flag_failing_number(self, phone: str, reason: str, at: datetime) -> list[str]:
        """Mark every contact entry with this number as failing; returns the units concerned."""
        units = list(self.c.execute(sa.select(unit_contacts.c.unit_code).where(unit_contacts.c.phone == phone)
                                    .order_by(unit_contacts.c.unit_code)).scalars())
        self.c.execute(unit_contacts.update().where(unit_contacts.c.phone == phone,
                                                    unit_contacts.c.failing_since.is_(None))
                       .values(failing_since=at, failing_reason=reason))
        return units

    def is_contact_of_unit(self, phone: str, unit_code: str) -> bool:
        return self.c.execute(sa.select(unit_contacts.c.id).where(
            unit_contacts.c.phone == phone, unit_contacts.c.unit_code == unit_code)).first() is not None

    def failing_contacts(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(
            sa.select(unit_contacts.c.unit_code, handling_units.c.name.label("unit_name"), unit_contacts.c.phone,
                      unit_contacts.c.failing_since, unit_contacts.c.failing_reason)
            .join(handling_units, handling_units.c.code == unit_contacts.c.unit_code)
            .where(unit_contacts.c.failing_since.is_not(None)).order_by(unit_contacts.c.unit_code)).mappings()]

    # --- receipts and replies ----------------------------------------------------------------
    def add_receipt(self, *, outbox_id: int | None, provider_id: str, status: str, error_code: str | None,
                    received_at: datetime, applied: bool) -> bool:
        """Record a receipt; False when this (message, status) was already recorded: a duplicate callback."""
        try:
            with self.c.begin_nested():
                self.c.execute(sms_receipts.insert().values(
                    outbox_id=outbox_id, provider_id=provider_id, status=status, error_code=error_code,
                    received_at=received_at, applied=applied))
            return True
        except sa.exc.IntegrityError:
            return False

    def receipts_of(self, outbox_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(sa.select(sms_receipts).where(sms_receipts.c.outbox_id == outbox_id)
                                                .order_by(sms_receipts.c.received_at, sms_receipts.c.id)).mappings()]

    def add_inbound(self, *, provider_id: str, sender: str, body: str, order_number: str | None, outcome: str,
                    received_at: datetime) -> bool:
        try:
            with self.c.begin_nested():
                self.c.execute(inbound_sms.insert().values(provider_id=provider_id, sender=sender, body=body,
                                                           order_number=order_number, outcome=outcome,
                                                           received_at=received_at))
            return True
        except sa.exc.IntegrityError:
            return False

    def inbound_outcome(self, provider_id: str) -> str | None:
        return self.c.execute(sa.select(inbound_sms.c.outcome).where(inbound_sms.c.provider_id == provider_id)).scalar()

    def unacknowledged_to(self, phone: str, order_number: str) -> list[int]:
        return list(self.c.execute(sa.select(outbox.c.id).where(
            SMS, outbox.c.recipient == phone, outbox.c.order_number == order_number,
            outbox.c.acknowledged_at.is_(None))).scalars())
