"""Records of the integration API inside one `SqlTransaction`: clients, intake records, export reads and the
push outbox (channel "push", claimed, marked and parked here; the SMS and document channels are not touched)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.domain.errors import InvalidInput
from engine.intake import export
from engine.intake.orders import IntakeOrder
from engine.persistence import change_log
from engine.persistence.api_tables import api_clients, api_deliveries, api_intake, api_push_cursors
from engine.persistence.store import SqlTransaction
from engine.persistence.tables import actions, handling_units, order_events, outbox, work_orders

PUSH = "push"
PARKED = "parked"  # failed for longer than the configured time: held for a person (the target waits behind it)
_UNSENT = ("pending", "sending", PARKED)
# the request as the intake record has it, else as the order keeps it (orders replayed, imported before the intake
# record existed, or opened by the demo: issue 19 put content, address and caller on every order)
_INTAKE_COLUMNS = [api_intake.c.external_no, api_intake.c.channel, api_intake.c.citizen_name,
                   sa.func.coalesce(api_intake.c.citizen_phone, work_orders.c.caller_phone).label("citizen_phone"),
                   sa.func.coalesce(api_intake.c.address, work_orders.c.address).label("address"),
                   sa.func.coalesce(api_intake.c.content, work_orders.c.content).label("content"), api_intake.c.client]
_ORDER_COLUMNS = [c for c in work_orders.c if c.name not in ("content", "address")]


class ApiRecords:
    def __init__(self, tx: SqlTransaction) -> None:
        self.c = tx.c
        self.is_postgres = tx.is_postgres

    def _insert(self, table: sa.Table) -> Any:
        return (postgresql.insert if self.is_postgres else sqlite.insert)(table)

    # --- clients ---------------------------------------------------------------------------
    def create_client(self, name: str, token_hash: str, hint: str, scopes: list[str], rate_per_minute: int,
                      at: datetime) -> int:
        if self.c.execute(sa.select(api_clients.c.id).where(api_clients.c.name == name)).first():
            raise InvalidInput(f"an API client named {name!r} exists already (revoke it or pick another name)")
        return int(self.c.execute(api_clients.insert().values(
            name=name, token_hash=token_hash, token_hint=hint, scopes=scopes, rate_per_minute=rate_per_minute,
            created_at=at)).inserted_primary_key[0])

    def revoke_client(self, name: str, at: datetime) -> bool:
        return bool(self.c.execute(api_clients.update().where(
            api_clients.c.name == name, api_clients.c.revoked_at.is_(None)).values(revoked_at=at)).rowcount)

    def list_clients(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(sa.select(
            api_clients.c.name, api_clients.c.token_hint, api_clients.c.scopes, api_clients.c.rate_per_minute,
            api_clients.c.created_at, api_clients.c.revoked_at).order_by(api_clients.c.id)).mappings()]

    def client_by_token_hash(self, token_hash: str) -> dict[str, Any] | None:
        row = self.c.execute(sa.select(api_clients).where(api_clients.c.token_hash == token_hash)).mappings().first()
        return dict(row) if row else None

    # --- intake ----------------------------------------------------------------------------
    def claim_intake(self, order: IntakeOrder, client: str, at: datetime) -> bool:
        """Record that `order` arrived; False when its number was recorded before (by this or another request)."""
        values = {"number": order.number, "client": client, "source": order.source, "body_hash": order.body_hash,
                  "external_no": order.external_no, "channel": order.channel, "citizen_name": order.citizen_name,
                  "citizen_phone": order.citizen_phone, "address": order.address, "content": order.content,
                  "extra": order.extra, "received_at": at}
        # RETURNING, not rowcount: psycopg reports -1 (true) for an INSERT … ON CONFLICT DO NOTHING that inserted nothing
        statement = self._insert(api_intake).values(**values).on_conflict_do_nothing().returning(api_intake.c.number)
        return self.c.execute(statement).first() is not None

    def get_intake(self, number: str) -> dict[str, Any] | None:
        row = self.c.execute(sa.select(api_intake).where(api_intake.c.number == number)).mappings().first()
        return dict(row) if row else None

    def intake_hashes(self, numbers: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            found.update((r[0], r[1]) for r in self.c.execute(
                sa.select(api_intake.c.number, api_intake.c.body_hash).where(api_intake.c.number.in_(chunk))))
        return found

    def existing_orders(self, numbers: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            found.update(self.c.execute(sa.select(work_orders.c.number)
                                        .where(work_orders.c.number.in_(chunk))).scalars())
        return found

    def event_keys(self, numbers: list[str]) -> set[tuple[str, str, datetime]]:
        """(order number, event type, time in UTC) of every event of these orders: an event imported again is
        recognised by them."""
        found: set[tuple[str, str, datetime]] = set()
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            found.update((r[0], r[1], r[2].astimezone(timezone.utc)) for r in self.c.execute(
                sa.select(order_events.c.order_number, order_events.c.type, order_events.c.at)
                .where(order_events.c.order_number.in_(chunk))))
        return found

    def unit_codes(self) -> set[str]:
        return set(self.c.execute(sa.select(handling_units.c.code)).scalars())

    # --- reading orders and the export -----------------------------------------------------
    def _orders(self) -> sa.Select[Any]:
        return (sa.select(*_ORDER_COLUMNS, *_INTAKE_COLUMNS)
                .outerjoin(api_intake, api_intake.c.number == work_orders.c.number))

    def order_view(self, number: str) -> dict[str, Any] | None:
        row = self.c.execute(self._orders().where(work_orders.c.number == number)).mappings().first()
        return dict(row) if row else None

    def orders_by_number(self, numbers: list[str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for start in range(0, len(numbers), 500):
            chunk = numbers[start:start + 500]
            rows.extend(dict(r) for r in self.c.execute(
                self._orders().where(work_orders.c.number.in_(chunk)).order_by(work_orders.c.number)).mappings())
        return rows

    def all_order_numbers(self) -> list[str]:
        return list(self.c.execute(sa.select(work_orders.c.number).order_by(work_orders.c.number)).scalars())

    def last_position(self) -> int:
        return change_log.last_position(self.c)

    def resolve(self, cursor: export.Cursor) -> int:
        """The change-log position a cursor stands for (an old `e…-a…` cursor: see change_log.py)."""
        if cursor.legacy is not None:
            return change_log.position_before_legacy(self.c, *cursor.legacy)
        return cursor.position

    def changes_after(self, position: int, limit: int, upto: int | None = None
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
        """Events and actions committed after `position` (at most `limit` of them together, none past `upto`),
        each list in commit order; and the last position read."""
        entries = change_log.entries_after(self.c, position, limit, upto=upto)
        if not entries:
            return [], [], position
        events = self._by_id(sa.select(order_events), order_events.c.id,
                             [e["row_id"] for e in entries if e["kind"] == change_log.EVENT])
        acts = self._by_id(sa.select(actions.c.id, actions.c.order_number, actions.c.kind, actions.c.at,
                                     actions.c.unit_code, actions.c.step, actions.c.details), actions.c.id,
                           [e["row_id"] for e in entries if e["kind"] == change_log.ACTION])
        ordered = [(e["kind"], e["row_id"]) for e in entries]
        return ([events[i] for k, i in ordered if k == change_log.EVENT and i in events],
                [acts[i] for k, i in ordered if k == change_log.ACTION and i in acts], entries[-1]["position"])

    def _by_id(self, query: sa.Select[Any], id_column: sa.ColumnElement[Any], ids: list[int]
               ) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            found.update((r["id"], dict(r)) for r in self.c.execute(
                query.where(id_column.in_(ids[start:start + 500]))).mappings())
        return found

    def result_events_after(self, position: int, source: str, types: tuple[str, ...], limit: int
                            ) -> tuple[list[dict[str, Any]], int]:
        """Events of `types` on orders of `source` committed after `position`; and the last position looked at."""
        upper = min(self.last_position(), position + 5000)
        if upper <= position:
            return [], position
        log = change_log.change_log
        rows = [dict(r) for r in self.c.execute(
            sa.select(order_events, api_intake.c.external_no, log.c.position).select_from(log)
            .join(order_events, (log.c.kind == change_log.EVENT) & (order_events.c.id == log.c.row_id))
            .join(work_orders, work_orders.c.number == order_events.c.order_number)
            .outerjoin(api_intake, api_intake.c.number == order_events.c.order_number)
            .where(log.c.position > position, log.c.position <= upper, work_orders.c.source == source,
                   order_events.c.type.in_(types))
            .order_by(log.c.position).limit(limit)).mappings()]
        return rows, (rows[-1]["position"] if len(rows) == limit else upper)

    # --- push cursors and the push outbox --------------------------------------------------
    def get_cursor(self, name: str, *, lock: bool = False) -> str | None:
        query = sa.select(api_push_cursors.c.cursor).where(api_push_cursors.c.name == name)
        if lock and self.is_postgres:
            query = query.with_for_update()
        return self.c.execute(query).scalar()

    def set_cursor(self, name: str, cursor: str, at: datetime) -> None:
        statement = self._insert(api_push_cursors).values(name=name, cursor=cursor, updated_at=at)
        self.c.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                       set_={"cursor": cursor, "updated_at": at}))

    def add_push(self, key: str, target: str, template: str, body: dict[str, Any], order_number: str | None,
                 at: datetime) -> None:
        self.c.execute(self._insert(outbox).values(
            key=key, channel=PUSH, order_number=order_number, recipient=target, template=template, params=body,
            send_at=at, status="pending", attempts=0, created_at=at).on_conflict_do_nothing())

    def claim_next_push(self, target: str, now: datetime, lease: timedelta, worker: str) -> dict[str, Any] | None:
        """The oldest message for `target` not yet sent, claimed for `worker`, if it is due; None otherwise.
        Only the oldest is ever in flight, so a target receives its messages in order; while the oldest is parked,
        nothing is sent to that target."""
        query = (sa.select(outbox).where(outbox.c.channel == PUSH, outbox.c.recipient == target,
                                         outbox.c.status.in_(_UNSENT))
                 .order_by(outbox.c.id).limit(1))
        if self.is_postgres:
            query = query.with_for_update(skip_locked=True)
        row = self.c.execute(query).mappings().first()
        if row is None or row["status"] == PARKED or row["send_at"] > now:
            return None  # nothing to send, the target waits for a person, or not yet due
        if row["status"] == "sending" and row["status_at"] is not None and row["status_at"] > now - lease:
            return None  # another worker is sending it right now
        self.c.execute(outbox.update().where(outbox.c.id == row["id"]).values(
            status="sending", status_at=now, claimed_by=worker))
        return dict(row)

    def finish_push(self, outbox_id: int, worker: str, *, ok: bool, at: datetime, url: str,
                    status_code: int | None, error: str | None, retry_at: datetime | None,
                    failing_since: datetime | None = None, park: bool = False) -> bool:
        """Store one delivery attempt; False when the claim was lost (lease ran out) and nothing was changed.
        A failed message is retried at `retry_at`, or parked when `park`."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "status_at": at, "claimed_by": None,
                                  "last_error": error, "failing_since": failing_since}
        if ok:
            values.update(status="sent", sent_at=at)
        elif park:
            values.update(status=PARKED)
        else:
            values.update(status="pending", send_at=retry_at)
        changed = self.c.execute(outbox.update().where(
            outbox.c.id == outbox_id, outbox.c.status == "sending", outbox.c.claimed_by == worker)
            .values(**values)).rowcount
        if not changed:
            return False
        attempt = self.c.execute(sa.select(outbox.c.attempts).where(outbox.c.id == outbox_id)).scalar_one()
        self.c.execute(api_deliveries.insert().values(outbox_id=outbox_id, attempt=attempt, at=at, url=url[:500],
                                                      status_code=status_code, error=error, ok=ok))
        return True

    def unpark(self, outbox_id: int, at: datetime, *, fresh: bool) -> dict[str, Any] | None:
        """Put a parked message back in its queue, due now (`fresh`: its failing clock starts again); None when
        no parked push message has that id."""
        values: dict[str, Any] = {"status": "pending", "send_at": at, "status_at": at}
        if fresh:
            values["failing_since"] = None
        parked = (outbox.c.id == outbox_id) & (outbox.c.channel == PUSH) & (outbox.c.status == PARKED)
        row = self.c.execute(sa.select(outbox.c.order_number, outbox.c.recipient, outbox.c.key)
                             .where(parked)).mappings().first()
        if row is None or not self.c.execute(outbox.update().where(parked).values(**values)).rowcount:
            return None
        return dict(row)

    def parked_pushes(self) -> list[dict[str, Any]]:
        """Parked messages, oldest first, each with how many messages of its target wait behind it."""
        rows = [dict(r) for r in self.c.execute(
            sa.select(outbox.c.id, outbox.c.key, outbox.c.recipient, outbox.c.template, outbox.c.order_number,
                      outbox.c.attempts, outbox.c.last_error, outbox.c.failing_since, outbox.c.status_at,
                      outbox.c.created_at)
            .where(outbox.c.channel == PUSH, outbox.c.status == PARKED).order_by(outbox.c.id)).mappings()]
        waiting = dict(self.c.execute(
            sa.select(outbox.c.recipient, sa.func.count()).where(outbox.c.channel == PUSH,
                                                                 outbox.c.status.in_(("pending", "sending")))
            .group_by(outbox.c.recipient)).all())
        for row in rows:
            row["waiting_behind"] = waiting.get(row["recipient"], 0)
        return rows

    def push_backlog(self) -> dict[str, Any]:
        """For /healthz: messages not yet delivered, how many are parked and since when the oldest has failed."""
        by_status = dict(self.c.execute(sa.select(outbox.c.status, sa.func.count()).where(
            outbox.c.channel == PUSH, outbox.c.status.in_(_UNSENT)).group_by(outbox.c.status)).all())
        oldest = self.c.execute(sa.select(sa.func.min(outbox.c.failing_since)).where(
            outbox.c.channel == PUSH, outbox.c.status == PARKED)).scalar()
        return {"waiting": by_status.get("pending", 0) + by_status.get("sending", 0),
                "parked": by_status.get(PARKED, 0),
                "oldest_parked_failing_since": oldest.isoformat() if oldest else None}

    def push_messages(self, target: str | None, limit: int) -> list[dict[str, Any]]:
        query = (sa.select(outbox.c.id, outbox.c.key, outbox.c.recipient, outbox.c.template, outbox.c.order_number,
                           outbox.c.status, outbox.c.attempts, outbox.c.send_at, outbox.c.sent_at,
                           outbox.c.last_error, outbox.c.created_at)
                 .where(outbox.c.channel == PUSH).order_by(outbox.c.id.desc()).limit(limit))
        if target:
            query = query.where(outbox.c.recipient == target)
        return [dict(r) for r in self.c.execute(query).mappings()]

    def deliveries_of(self, outbox_ids: list[int]) -> list[dict[str, Any]]:
        if not outbox_ids:
            return []
        return [dict(r) for r in self.c.execute(sa.select(api_deliveries).where(
            api_deliveries.c.outbox_id.in_(outbox_ids)).order_by(api_deliveries.c.id)).mappings()]


