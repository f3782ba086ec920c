"""Delivery receipts: each recorded once, statuses only ever move forward, failures acted on."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from engine.clock import Clock
from engine.domain.errors import InvalidInput
from engine.persistence.store import SqlStore
from engine.ports import DeliveryReceipt, ReceiptPoller
from engine.sms.delivery import PROVIDER_RANK, PROVIDER_STATUS, SmsDelivery, raise_failure

log = logging.getLogger("duban.sms")

APPLIED, STALE, DUPLICATE, UNKNOWN_MESSAGE = "applied", "stale", "duplicate", "unknown message"


class ReceiptBook:
    def __init__(self, *, store: SqlStore, clock: Clock, delivery: SmsDelivery) -> None:
        self.store, self.clock, self.delivery = store, clock, delivery

    def apply(self, receipt: DeliveryReceipt) -> str:
        """Record one receipt. Duplicates are ignored; a status older than the one known is kept as evidence
        but changes nothing; an undelivered message is resent (passing cause), or its number is marked failing
        and a supervisor task raised (lasting cause)."""
        status = PROVIDER_STATUS.get(receipt.status)
        if status is None:
            raise InvalidInput(f"unknown message status {receipt.status!r}")
        now = self.clock.now()
        with self.store.transaction() as tx:
            row = tx.sms_by_provider_id(receipt.provider_id, lock=True)
            if row is None and receipt.message_id is not None:
                candidate = tx.sms_row(receipt.message_id, lock=True)
                if candidate is not None and candidate["provider_id"] in (None, receipt.provider_id):
                    row = candidate  # the callback came before we stored the provider's id (or we never got it)
            forward = row is not None and PROVIDER_RANK[status] > PROVIDER_RANK[row["status"]]
            if not tx.add_receipt(outbox_id=row["id"] if row else None, provider_id=receipt.provider_id,
                                  status=receipt.status, error_code=receipt.error_code, received_at=now,
                                  applied=forward):
                return DUPLICATE
            if row is None:
                log.warning("receipt for a message we do not know", extra={"provider_id": receipt.provider_id})
                return UNKNOWN_MESSAGE
            if row["provider_id"] is None:
                tx.update_sms(row["id"], provider_id=receipt.provider_id)
            if not forward:
                return STALE
            values: dict[str, Any] = {"status": status, "status_at": now}
            if status == "delivered":
                values["delivered_at"] = now
            if receipt.error_code:
                values["error_code"] = receipt.error_code
            tx.update_sms(row["id"], **values)
            log.info("sms receipt", extra={"order": row["order_number"], "sms_id": row["id"], "status": status,
                                           "error_code": receipt.error_code})
            if status in ("undelivered", "failed"):
                self._undelivered(tx, row, receipt, now)
        return APPLIED

    def poll(self, poller: ReceiptPoller, *, within: timedelta = timedelta(days=3), limit: int = 500) -> int:
        """Ask the provider for reports on messages still awaiting one (sent within `within`), and record them as
        if they had been pushed. Returns how many changed a message. GatewayUnavailable propagates."""
        with self.store.reading() as tx:
            awaiting = tx.sms_awaiting_receipt(self.clock.now() - within, limit)
        if not awaiting:
            return 0
        return sum(self.apply(receipt) == APPLIED for receipt in poller.poll_receipts(awaiting))

    def _undelivered(self, tx: Any, row: dict[str, Any], receipt: DeliveryReceipt, now: datetime) -> None:
        reason = f"{'未送达' if receipt.status == 'undelivered' else '发送失败'}（错误码 {receipt.error_code or '无'}）"
        policy = self.delivery.policy
        if receipt.retry and not receipt.bad_number and row["attempts"] < policy.max_attempts:
            again = {**row, "urgency": None}
            resend_id = tx.insert_sms({
                "key": f"{row['key'].split('#')[0]}#{row['attempts'] + 1}"[:200], "order_number": row["order_number"],
                "recipient": row["recipient"], "template": row["template"], "params": row["params"],
                "send_at": self.delivery.retry_time(again, now), "created_at": now, "attempts": row["attempts"],
                "related_id": row["id"]})
            tx.update_sms(row["id"], related_id=resend_id, last_error=f"{reason}，已安排重发（短信#{resend_id}）")
            return
        tx.update_sms(row["id"], last_error=reason)
        raise_failure(tx, row, reason, now, bad_number=receipt.bad_number)
