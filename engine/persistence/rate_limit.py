"""The API's per-client rate limit as a token bucket kept in the database, so that every web process spends
from the same bucket: each client may make `rate_per_minute` requests a minute on average, in bursts of up to
that many. The row is locked for the read-refill-write (FOR UPDATE on PostgreSQL; SQLite's writers hold the
write lock from BEGIN IMMEDIATE), so two processes cannot both spend the last token."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.persistence.api_tables import api_rate_buckets
from engine.persistence.store import SqlTransaction


def take(tx: SqlTransaction, client: str, rate_per_minute: int, now: datetime) -> float:
    """Spend one request of `client`'s bucket: 0 when it may go on, otherwise the seconds to wait."""
    insert = (postgresql.insert if tx.is_postgres else sqlite.insert)(api_rate_buckets)
    tx.c.execute(insert.values(client=client, tokens=float(rate_per_minute), updated_at=now)
                 .on_conflict_do_nothing(index_elements=["client"]))
    row = tx.c.execute(sa.select(api_rate_buckets.c.tokens, api_rate_buckets.c.updated_at)
                       .where(api_rate_buckets.c.client == client).with_for_update()).one()
    elapsed = max((now - row.updated_at).total_seconds(), 0.0)
    tokens = min(float(rate_per_minute), row.tokens + elapsed * rate_per_minute / 60.0)
    wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) * 60.0 / rate_per_minute
    tx.c.execute(api_rate_buckets.update().where(api_rate_buckets.c.client == client)
                 .values(tokens=tokens - 1.0 if wait == 0.0 else tokens, updated_at=max(now, row.updated_at)))
    return wait
