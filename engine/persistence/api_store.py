"""Records of the integration API inside one `SqlTransaction`: clients, intake records, export reads and the
push outbox (channel "push", claimed and marked here; the SMS and document channels are not touched)."""
from __future__ import annotations


from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.domain.errors import InvalidInput
from engine.intake.orders import IntakeOrder
from engine.persistence.api_tables import api_clients, api_deliveries, api_intake, api_push_cursors
from engine.persistence.store import SqlTransaction
from engine.persistence.tables import actions, handling_units, order_events, outbox, work_orders

PUSH = "push"
_INTAKE_COLUMNS = [api_intake.c.external_no, api_intake.c.channel, api_intake.c.citizen_name,
                   api_intake.c.citizen_phone, api_intake.c.address, api_intake.c.content, api_intake.c.client]


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
        return bool(self.c.execute(self._insert(api_intake).values(**values).on_conflict_do_nothing()).rowcount)

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

    def drop_intake(self, number: str, body_hash: str) -> None:
        """Forget a claim whose order could not be opened (bad unit, impossible input)."""
        self.c.execute(api_intake.delete().where(api_intake.c.number == number, api_intake.c.body_hash == body_hash))

    def unit_codes(self) -> set[str]:
        return set(self.c.execute(sa.select(handling_units.c.code)).scalars())

    # --- reading orders and the export -----------------------------------------------------
    def _orders(self) -> sa.Select[Any]:
        return (sa.select(work_orders, *_INTAKE_COLUMNS)
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

    def last_ids(self) -> tuple[int, int]:
        return (int(self.c.execute(sa.select(sa.func.max(order_events.c.id))).scalar() or 0),
                int(self.c.execute(sa.select(sa.func.max(actions.c.id))).scalar() or 0))

    def events_after(self, event_id: int, limit: int, settled_before: datetime) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(
            sa.select(order_events).where(order_events.c.id > event_id, order_events.c.recorded_at <= settled_before)
            .order_by(order_events.c.id).limit(limit)).mappings()]

    def actions_after(self, action_id: int, limit: int, settled_before: datetime) -> list[dict[str, Any]]:
        return [dict(r) for r in self.c.execute(
            sa.select(actions.c.id, actions.c.order_number, actions.c.kind, actions.c.at, actions.c.unit_code,
                      actions.c.step, actions.c.details)
            .where(actions.c.id > action_id, actions.c.recorded_at <= settled_before)
            .order_by(actions.c.id).limit(limit)).mappings()]

    def result_events_after(self, event_id: int, source: str, types: tuple[str, ...], limit: int,
                            settled_before: datetime) -> tuple[list[dict[str, Any]], int]:
        """Events of `types` on orders of `source`, after `event_id`; and the last event id looked at."""
        last = self.c.execute(sa.select(sa.func.max(order_events.c.id)).where(
            order_events.c.id > event_id, order_events.c.recorded_at <= settled_before)).scalar()
        if last is None:
            return [], event_id
        upper = min(int(last), event_id + 5000)
        rows = [dict(r) for r in self.c.execute(
            sa.select(order_events, api_intake.c.external_no)
            .join(work_orders, work_orders.c.number == order_events.c.order_number)
            .outerjoin(api_intake, api_intake.c.number == order_events.c.order_number)
            .where(order_events.c.id > event_id, order_events.c.id <= upper, work_orders.c.source == source,
                   order_events.c.type.in_(types))
            .order_by(order_events.c.id).limit(limit)).mappings()]
        return rows, (rows[-1]["id"] if len(rows) == limit else upper)

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
        Only the oldest is ever in flight, so a target receives its messages in order."""
        query = (sa.select(outbox).where(outbox.c.channel == PUSH, outbox.c.recipient == target,
                                         outbox.c.status.in_(("pending", "sending")))
                 .order_by(outbox.c.id).limit(1))
        if self.is_postgres:
            query = query.with_for_update(skip_locked=True)
        row = self.c.execute(query).mappings().first()
        if row is None or row["send_at"] > now:
            return None
        if row["status"] == "sending" and row["status_at"] is not None and row["status_at"] > now - lease:
            return None  # another worker is sending it right now
        self.c.execute(outbox.update().where(outbox.c.id == row["id"]).values(
            status="sending", status_at=now, claimed_by=worker))
        return dict(row)

    def finish_push(self, outbox_id: int, worker: str, *, ok: bool, at: datetime, url: str,
                    status_code: int | None, error: str | None, retry_at: datetime | None) -> bool:
        """Store one delivery attempt; False when the claim was lost (lease ran out) and nothing was changed."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "status_at": at, "claimed_by": None,
                                  "last_error": error}
        if ok:
            values.update(status="sent", sent_at=at)
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


