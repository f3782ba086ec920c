"""Outbox delivery: every SMS ends delivered, failed with a reason, or waiting — never silently dropped, never sent
twice blindly.

One pass (`SmsDelivery.run`, called by the worker's outbox job):
1. messages a dead worker left `sending` become `unknown`;
2. due `unknown` messages are checked with the provider before anything is re-sent;
3. due `pending` messages are claimed: to a number marked failing → failed; several for one number → one digest;
   the same text carrying the same reminders to the same number within 24 hours → suppressed (a digest of the
   same text with a new reminder goes); the rest are rendered and marked `sending`, and that is committed
   *before* the provider is called;
4. each call's outcome is stored at once in its own transaction (provider id, retry time, failure reason).
"""
from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.clock import Clock
from engine.domain.deadlines import sms_send_at
from engine.domain.errors import InvalidInput
from engine.domain.phones import mask
from engine.domain.rules import ROUTINE, RuleTable
from engine.persistence.store import SqlStore, SqlTransaction
from engine.ports import ACCEPTED, AMBIGUOUS, REJECTED, RETRY, GatewayUnavailable, SmsGateway, SmsMessage, SmsResult
from engine.sms.links import AckLinks
from engine.sms.templates import PLACEHOLDER_WIDTHS, SmsTemplates

log = logging.getLogger("duban.sms")

DIGEST = "digest"
NOT_DIGESTED = {"document_issued", "hotspot"}  # notices to leaders stand on their own
WAITING = ("pending", "sending", "unknown", "queued", "sent")
FINAL = ("delivered", "undelivered", "failed", "suppressed", "merged")
# The provider's view of a message, in the only order it may move (callbacks can arrive in any order).
PROVIDER_RANK = {"pending": 0, "sending": 0, "unknown": 0, "queued": 1, "sent": 2,
                 "delivered": 3, "undelivered": 3, "failed": 3, "suppressed": 3, "merged": 3}
PROVIDER_STATUS = {"accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "queued",
                   "sent": "sent", "delivered": "delivered", "undelivered": "undelivered", "failed": "failed",
                   "read": "delivered"}


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 5
    backoff: tuple[timedelta, ...] = tuple(timedelta(minutes=m) for m in (1, 5, 15, 30, 60))
    check_ambiguous_after: timedelta = timedelta(minutes=10)
    give_up_unconfirmed_after: timedelta = timedelta(hours=24)
    sending_lease: timedelta = timedelta(minutes=5)
    duplicate_window: timedelta = timedelta(hours=24)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or not self.backoff or any(d <= timedelta(0) for d in self.backoff):
            raise InvalidInput("sms delivery: max_attempts ≥ 1 and positive backoff steps are required")

    def retry_delay(self, attempts: int) -> timedelta:
        return self.backoff[min(max(attempts, 1), len(self.backoff)) - 1]


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    ambiguous: int = 0
    merged: int = 0
    suppressed: int = 0
    confirmed: int = 0  # ambiguous attempts found at the provider

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def content_key(template: str, text_without_link: str, carried: Sequence[str] = ()) -> str:
    """What the 24-hour rule compares: the template and its text without the link, and for a digest the reminders it
    carries, so that only a true repeat (the same reminders again) is held back, never a new reminder."""
    return hashlib.sha256("\x00".join((template, text_without_link, *carried)).encode()).hexdigest()


@dataclass
class _Send:
    row: dict[str, Any]
    message: SmsMessage


@dataclass
class _Batch:
    sends: list[_Send] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)


class SmsDelivery:
    def __init__(self, *, store: SqlStore, clock: Clock, rules: RuleTable, templates: SmsTemplates,
                 links: AckLinks, policy: DeliveryPolicy | None = None, worker_id: str = "engine") -> None:
        self.store, self.clock, self.rules, self.templates, self.links = store, clock, rules, templates, links
        self.policy = policy or DeliveryPolicy()
        self.worker_id = worker_id

    # ------------------------------------------------------------------ one pass
    def run(self, gateway: SmsGateway, *, limit: int = 100) -> DeliveryReport:
        report = DeliveryReport()
        now = self.clock.now()
        with self.store.transaction() as tx:
            recovered = tx.recover_stale_sending(now - self.policy.sending_lease, now)
            if recovered:
                log.warning("messages left sending by a stopped worker will be checked", extra={"count": recovered})
            batch = self._claim(tx, now, limit, report)
        for row in batch.checks:
            self._check(gateway, row, report)
        for send in batch.sends:
            result = gateway.send(send.message)
            self._record(send.row, result, report)
        return report

    # ------------------------------------------------------------------ step 3: claim and prepare
    def _claim(self, tx: SqlTransaction, now: datetime, limit: int, report: DeliveryReport) -> _Batch:
        batch = _Batch()
        rows = tx.claim_sms(now, limit=limit)
        pending = [r for r in rows if r["status"] == "pending"]
        batch.checks = [r for r in rows if r["status"] == "unknown"]
        failing = tx.failing_numbers(r["recipient"] for r in pending)
        by_recipient: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in pending:
            if row["recipient"] in failing:
                tx.update_sms(row["id"], status="failed", status_at=now, error_code="number",
                              last_error=f"号码已标记失效，未发送: {failing[row['recipient']]}")
                report.failed += 1
            else:
                by_recipient[row["recipient"]].append(row)
        for recipient, group in by_recipient.items():
            for row in self._digest(tx, recipient, group, now, report):
                send = self._prepare(tx, row, now, report)
                if send is not None:
                    batch.sends.append(send)
        return batch

    def _digest(self, tx: SqlTransaction, recipient: str, group: list[dict[str, Any]], now: datetime,
                report: DeliveryReport) -> list[dict[str, Any]]:
        """Several reminders for one number in one pass become one message listing them."""
        alone = [r for r in group if r["template"] in NOT_DIGESTED or r["template"] == DIGEST or not r["order_number"]]
        merge = [r for r in group if r not in alone]
        if len(merge) < 2:
            return group
        numbers = list(dict.fromkeys(r["order_number"] for r in merge))
        shown = whole_numbers(numbers, PLACEHOLDER_WIDTHS["orders"])
        urgent = any(r.get("urgency") not in (None, ROUTINE) for r in merge)
        digest = {"key": f"digest:{recipient}:{merge[0]['key']}"[:200], "order_number": None,
                  "recipient": recipient, "template": DIGEST,
                  "params": {"count": str(len(numbers)), "orders": shown, "order_numbers": numbers},
                  "send_at": now, "created_at": now}
        digest_id = tx.insert_sms(digest)
        for row in merge:
            tx.update_sms(row["id"], status="merged", related_id=digest_id, status_at=now)
        report.merged += len(merge)
        log.info("reminders merged into one digest", extra={"to": mask(recipient), "count": len(merge)})
        digest.update(id=digest_id, attempts=0, urgency="紧急" if urgent else ROUTINE)
        return [*alone, digest]

    def _prepare(self, tx: SqlTransaction, row: dict[str, Any], now: datetime,
                 report: DeliveryReport) -> _Send | None:
        params = self._params(row)
        # every attempt sends the same text, link included, so a check after an ambiguous attempt recognises it
        body = row.get("body") if row["attempts"] and row.get("body") else self.templates.render(row["template"], params)
        key = content_key(row["template"], self.templates.render(row["template"], {**params, "link": ""}),
                          carried=self._carried(tx, row))
        earlier = tx.same_content_since(row["recipient"], key, now - self.policy.duplicate_window, row["id"])
        if earlier is not None:
            tx.update_sms(row["id"], status="suppressed", related_id=earlier, status_at=now, body=body,
                          content_key=key, last_error=f"同一内容24小时内已发送过（短信#{earlier}）")
            report.suppressed += 1
            return None
        attempts = row["attempts"] + 1
        tx.update_sms(row["id"], status="sending", body=body, content_key=key, attempts=attempts, status_at=now,
                      claimed_by=self.worker_id)
        row = {**row, "attempts": attempts, "body": body, "status_at": now}
        return _Send(row, SmsMessage(to=row["recipient"], template=row["template"], params=params, body=body,
                                     idempotency_key=row["key"], message_id=row["id"]))

    @staticmethod
    def _carried(tx: SqlTransaction, row: dict[str, Any]) -> list[str]:
        """The reminders a digest carries (kind and order): its text names only the orders, so two digests of one
        text may carry different reminders (the 临期提醒, then a day later the 签收超时 of the same orders)."""
        if row["template"] != DIGEST:
            return []
        return sorted({f"{r['template']}:{r['order_number']}" for r in tx.merged_into(row["id"])})

    def _params(self, row: dict[str, Any]) -> dict[str, Any]:
        """The template's values; the link's validity counts from the message's creation, so it is the same on
        every attempt."""
        params = dict(row["params"] or {})
        link = params.get("link")
        if isinstance(link, str) and link.startswith("/"):
            params["link"] = self.links.public_url.rstrip("/") + link
        elif "link" in self.templates.placeholders_of(row["template"]):
            params["link"] = self.links.url(row["id"], row["created_at"])
        return params

    # ------------------------------------------------------------------ step 4: record the outcome
    def _record(self, row: dict[str, Any], result: SmsResult, report: DeliveryReport) -> None:
        now = self.clock.now()
        extra = {"order": row["order_number"], "to": mask(row["recipient"]), "sms_id": row["id"],
                 "template": row["template"], "attempt": row["attempts"]}
        with self.store.transaction() as tx:
            if result.outcome == ACCEPTED:
                status = PROVIDER_STATUS.get(result.provider_status or "queued", "queued")
                tx.update_sms_if(row["id"], ("sending", "unknown"), status=status, provider_id=result.provider_id,
                                 sent_at=now, status_at=now, last_error=None, error_code=None,
                                 delivered_at=now if status == "delivered" else None)
                # a receipt may have come first and moved it on: then only the provider id is missing
                tx.update_sms_if(row["id"], FINAL + ("sent",), provider_id=result.provider_id, sent_at=now)
                report.sent += 1
                log.info("sms accepted by the provider", extra={**extra, "provider_id": result.provider_id})
            elif result.outcome == RETRY:
                self._retry_or_fail(tx, row, result.error or "provider busy", result.error_code, now, report)
            elif result.outcome == AMBIGUOUS:
                tx.update_sms(row["id"], status="unknown", status_at=now, last_error=result.error,
                              send_at=now + self.policy.check_ambiguous_after)
                report.ambiguous += 1
                log.warning("sms outcome unknown; will check with the provider before any resend",
                            extra={**extra, "error": result.error})
            elif result.outcome == REJECTED:
                self._fail(tx, row, result.error or "rejected", result.error_code, now, bad_number=result.bad_number)
                report.failed += 1
            else:
                raise InvalidInput(f"gateway returned an unknown outcome {result.outcome!r}")

    def _retry_or_fail(self, tx: SqlTransaction, row: dict[str, Any], error: str, code: str | None,
                       now: datetime, report: DeliveryReport) -> None:
        if row["attempts"] >= self.policy.max_attempts:
            self._fail(tx, row, f"{row['attempts']}次尝试后仍未发出: {error}", code, now, bad_number=False)
            report.failed += 1
            return
        retry_at = self.retry_time(row, now)
        tx.update_sms(row["id"], status="pending", send_at=retry_at, status_at=now, last_error=error, error_code=code)
        report.retrying += 1
        log.warning("sms not sent; retrying later", extra={"order": row["order_number"], "sms_id": row["id"],
                                                           "error": error, "retry_at": retry_at.isoformat()})

    def retry_time(self, row: dict[str, Any], now: datetime) -> datetime:
        urgent = row.get("urgency") not in (None, ROUTINE)
        return sms_send_at(self.rules, now + self.policy.retry_delay(row["attempts"]), urgent=urgent)

    def _fail(self, tx: SqlTransaction, row: dict[str, Any], reason: str, code: str | None, now: datetime, *,
              bad_number: bool) -> None:
        tx.update_sms(row["id"], status="failed", status_at=now, last_error=reason, error_code=code)
        raise_failure(tx, row, reason, now, bad_number=bad_number)

    # ------------------------------------------------------------------ step 2: check before resending
    def _check(self, gateway: SmsGateway, row: dict[str, Any], report: DeliveryReport) -> None:
        now = self.clock.now()
        since = row["created_at"] - timedelta(minutes=1)
        try:
            provider_id = gateway.find_sent(row["recipient"], row["body"] or "", since)
        except GatewayUnavailable as exc:
            with self.store.transaction() as tx:
                if now - (row["status_at"] or row["created_at"]) >= self.policy.give_up_unconfirmed_after:
                    self._fail(tx, row, f"无法向服务商确认是否已发送: {exc}", None, now, bad_number=False)
                    report.failed += 1
                else:
                    tx.update_sms(row["id"], send_at=now + self.policy.check_ambiguous_after, last_error=str(exc))
            return
        with self.store.transaction() as tx:
            if provider_id is not None:
                tx.update_sms_if(row["id"], ("unknown",), status="queued", provider_id=provider_id, sent_at=now,
                                 status_at=now, last_error=None)
                report.confirmed += 1
                log.info("ambiguous sms found at the provider; not resent",
                         extra={"order": row["order_number"], "sms_id": row["id"], "provider_id": provider_id})
            elif now - (row["status_at"] or row["created_at"]) >= self.policy.check_ambiguous_after:
                # the provider has no such message well after the attempt: it never arrived there; send it
                tx.update_sms_if(row["id"], ("unknown",), status="pending", send_at=now, status_at=now,
                                 last_error="服务商处无此短信，重新发送")
                log.warning("ambiguous sms not at the provider; sending again",
                            extra={"order": row["order_number"], "sms_id": row["id"]})
            else:
                tx.update_sms(row["id"], send_at=(row["status_at"] or now) + self.policy.check_ambiguous_after)


def raise_failure(tx: SqlTransaction, row: dict[str, Any], reason: str, at: datetime, *, bad_number: bool) -> None:
    """A message that will not arrive: a task for the supervisor, and the number marked when it is the cause."""
    units: Sequence[str] = ()
    if bad_number:
        units = tx.flag_failing_number(row["recipient"], reason, at)
    key = f"sms_failed:{row['key']}"[:200]
    tx.add_actions([{"key": key, "kind": "sms_failed", "at": at, "order_number": row["order_number"],
                     "unit_code": units[0] if units else None, "step": None,
                     "details": {"sms_id": row["id"], "to": row["recipient"], "reason": reason,
                                 "bad_number": bad_number, "units": list(units)},
                     "instance_id": None, "recorded_at": at}])
    tx.add_supervisor_tasks([{"kind": "sms_failed", "action_key": key, "order_number": row["order_number"],
                              "unit_code": units[0] if units else None, "created_at": at}])
    log.error("sms failed; supervisor task raised", extra={"order": row["order_number"], "sms_id": row["id"],
                                                            "to": mask(row["recipient"]), "reason": reason})


def whole_numbers(numbers: list[str], width: int) -> str:
    """As many whole order numbers as fit in `width` characters, then 等 if some were left out (never a cut number)."""
    shown: list[str] = []
    for i, number in enumerate(numbers):
        more = "等" if i + 1 < len(numbers) else ""
        if len("、".join([*shown, number]) + more) > width:
            break
        shown.append(number)
    if not shown:
        return f"{len(numbers)}件" if len(numbers) > 1 else numbers[0][:width]
    return "、".join(shown) + ("等" if len(shown) < len(numbers) else "")
