"""Push delivery through the outbox (channel "push"): 12315 results back to the 12315 system, and export batches
to the big-data centre. Messages are derived from the stored events (a cursor per target, so every path that
records an event is covered), signed with HMAC-SHA256, sent oldest first per target, and retried with
exponential backoff; every attempt is stored (api_deliveries). A message that keeps failing for longer than
`park_after` is parked (status "parked"): its target stops until a supervisor retries or releases it by hand."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from engine.domain.errors import InvalidInput
from engine.intake import export
from engine.intake.s12315 import RESULT_EVENTS, SOURCE, result_message
from engine.persistence.api_store import ApiRecords
from engine.services import Engine
from workflows.intake.service import export_page

log = logging.getLogger("duban.push")
RESULTS_12315, EXPORT = "12315", "export"
FIRST_RETRY, MAX_RETRY = timedelta(seconds=30), timedelta(minutes=10)
LEASE = timedelta(minutes=2)
DEFAULT_PARK_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class PushSettings:
    result_url_12315: str = ""
    secret_12315: str = ""
    export_url: str = ""
    export_secret: str = ""
    export_personal_data: bool = False
    export_batch: int = 500
    timeout: float = 10.0
    park_after: timedelta = DEFAULT_PARK_AFTER  # a message failing this long is parked for a person to look at

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PushSettings:
        """:raises InvalidInput: when DUBAN_PUSH_PARK_AFTER_MINUTES is not a whole number from 1 to 10080."""
        park = env.get("DUBAN_PUSH_PARK_AFTER_MINUTES", "") or str(int(DEFAULT_PARK_AFTER.total_seconds() // 60))
        if not park.isdigit() or not 1 <= int(park) <= 10080:
            raise InvalidInput(f"DUBAN_PUSH_PARK_AFTER_MINUTES must be a whole number from 1 to 10080, not {park!r}")
        return cls(result_url_12315=env.get("DUBAN_12315_RESULT_URL", ""),
                   secret_12315=env.get("DUBAN_12315_SECRET", ""),
                   export_url=env.get("DUBAN_EXPORT_PUSH_URL", ""),
                   export_secret=env.get("DUBAN_EXPORT_PUSH_SECRET", ""),
                   export_personal_data=env.get("DUBAN_EXPORT_PUSH_PERSONAL_DATA", "") in ("1", "true", "yes"),
                   park_after=timedelta(minutes=int(park)))

    def targets(self) -> dict[str, tuple[str, str]]:
        found = {}
        if self.result_url_12315:
            found[RESULTS_12315] = (self.result_url_12315, self.secret_12315)
        if self.export_url:
            found[EXPORT] = (self.export_url, self.export_secret)
        return found


class PushTransport(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        """POST and return the HTTP status; raise OSError (or a requests error) when nothing came back."""


class RequestsTransport:
    def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        import requests

        return int(requests.post(url, data=body, headers=headers, timeout=timeout).status_code)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` under the target's secret."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min, 8 min, then every 10 min until the target answers."""
    return min(FIRST_RETRY * (2 ** min(attempts, 10)), MAX_RETRY)


def _position(records: ApiRecords, stored: str | None) -> int:
    cursor = export.decode_cursor(stored) or export.Cursor()
    return records.resolve(cursor)


def enqueue(engine: Engine, settings: PushSettings) -> int:
    """Turn newly committed events into push messages for each configured target; returns how many were queued."""
    queued = 0
    if settings.result_url_12315:
        while True:
            with engine.store.transaction() as tx:
                records = ApiRecords(tx)
                after = _position(records, records.get_cursor(RESULTS_12315, lock=True))
                rows, last = records.result_events_after(after, SOURCE, RESULT_EVENTS, 200)
                for row in rows:  # keyed by event id: a message is never queued twice
                    records.add_push(f"12315:{row['id']}", RESULTS_12315, "12315_result",
                                     result_message(row["external_no"] or row["order_number"], row),
                                     row["order_number"], engine.clock.now())
                if last != after:
                    records.set_cursor(RESULTS_12315, export.encode_cursor(last), engine.clock.now())
            queued += len(rows)
            if last == after:
                break
    if settings.export_url:
        while True:
            with engine.store.reading() as tx:
                start = ApiRecords(tx).get_cursor(EXPORT) or export.encode_cursor(0)
            page, end = export_page(engine, export.decode_cursor(start) or export.Cursor(), settings.export_batch,
                                    personal_data=settings.export_personal_data)
            if end == start:
                break
            with engine.store.transaction() as tx:
                records = ApiRecords(tx)
                if (records.get_cursor(EXPORT, lock=True) or export.encode_cursor(0)) != start:
                    continue  # another worker queued this batch a moment ago
                if page:  # (a page of rows deleted since, e.g. by replay's archiving, only moves the cursor)
                    records.add_push(f"export:{start}", EXPORT, "export_batch",
                                     {"cursor_from": start, "cursor_to": end, "records": page}, None,
                                     engine.clock.now())
                    queued += 1
                records.set_cursor(EXPORT, end, engine.clock.now())
    return queued


def deliver(engine: Engine, settings: PushSettings, transport: PushTransport, *, limit: int = 1000) -> dict[str, int]:
    """Send due messages, oldest first per target; a failure stops that target until its retry time, and a
    message failing for longer than `settings.park_after` is parked (its target waits for a person)."""
    report = {"sent": 0, "failed": 0, "parked": 0}
    for target, (url, secret) in settings.targets().items():
        for _ in range(limit):
            now = engine.clock.now()
            with engine.store.transaction() as tx:
                row = ApiRecords(tx).claim_next_push(target, now, LEASE, engine.worker_id)
            if row is None:
                break
            ok, code, error = _send(transport, url, secret, row, now, settings.timeout)
            at = engine.clock.now()
            failing_since = None if ok else (row["failing_since"] or now)
            park = failing_since is not None and at - failing_since >= settings.park_after
            with engine.store.transaction() as tx:
                ApiRecords(tx).finish_push(row["id"], engine.worker_id, ok=ok, at=at, url=url, status_code=code,
                                           error=error, retry_at=None if ok else at + retry_delay(row["attempts"]),
                                           failing_since=failing_since, park=park)
            report["sent" if ok else "failed"] += 1
            if park:
                report["parked"] += 1
                log.error("push parked", extra={"target": target, "outbox": row["id"], "error": error,
                                                "failing_since": failing_since.isoformat()})
            elif not ok:
                log.warning("push failed", extra={"target": target, "outbox": row["id"], "error": error})
            if not ok:
                break
    return report


def retry_parked(engine: Engine, outbox_id: int, actor: str) -> bool:
    """A parked message gets one more attempt on the worker's next pass; failing again, it is parked again at
    once. False when no parked message has that id."""
    return _unpark(engine, outbox_id, actor, fresh=False)


def release_parked(engine: Engine, outbox_id: int, actor: str) -> bool:
    """A parked message goes back to the queue with a fresh failing clock (the usual retries, then parked again
    after `park_after`). False when no parked message has that id."""
    return _unpark(engine, outbox_id, actor, fresh=True)


def _unpark(engine: Engine, outbox_id: int, actor: str, *, fresh: bool) -> bool:
    now = engine.clock.now()
    with engine.store.transaction() as tx:
        row = ApiRecords(tx).unpark(outbox_id, now, fresh=fresh)
        if row is not None:
            tx.audit(now, actor, "push.released" if fresh else "push.retried", row["order_number"],
                     {"outbox": outbox_id, "target": row["recipient"], "key": row["key"]})
    return row is not None


def _send(transport: PushTransport, url: str, secret: str, row: dict[str, Any], now: datetime,
          timeout: float) -> tuple[bool, int | None, str | None]:
    body = json.dumps(row["params"], ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Duban-Delivery": row["key"],
               "X-Duban-Timestamp": timestamp, "X-Duban-Signature": sign(secret, timestamp, body)}
    try:
        code = transport.post(url, body, headers, timeout)
    except Exception as exc:  # connection refused, timeout, DNS: the target is down; retry later
        return False, None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= code < 300:
        return True, code, None
    return False, code, f"HTTP {code}"


def push_all(engine: Engine, settings: PushSettings | None = None, transport: PushTransport | None = None
             ) -> dict[str, int]:
    """The worker's job: queue what is new, then deliver what is due."""
    settings = settings or PushSettings.from_env(os.environ)
    if not settings.targets():
        return {"queued": 0, "sent": 0, "failed": 0, "parked": 0}
    try:
        queued = enqueue(engine, settings)
        return {"queued": queued, **deliver(engine, settings, transport or RequestsTransport())}
    except Exception:
        log.exception("push pass failed")
        raise
