"""`/metrics` in the Prometheus text format, for `duban web` and `duban worker` (prometheus-client).

Two kinds of numbers:
- what the database says (timer backlog and the age of the oldest due timer, SMS by state, documents by state,
  push backlog): read at scrape time by `DatabaseCollector`, so every process reports the same values;
- what this process did (timer firings and their lateness, failures, HTTP latency): counters and histograms
  kept in the process, summed across processes by Prometheus (`sum by (step) (rate(...))`).

Each process has its own registry (no global state: tests build many apps in one process).
"""
from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.persistence import queries
from engine.persistence.api_store import ApiRecords
from engine.persistence.document_tables import documents
from engine.persistence.tables import outbox
from engine.services import Engine

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# a timer fires within a tick or two of falling due; minutes mean a backlog, hours a stopped worker
LATENESS_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class DatabaseCollector(Collector):
    """Gauges computed from the database when Prometheus scrapes, on the engine's clock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.engine.clock.now()
        with self.engine.store.reading() as tx:
            backlog = tx.backlog(now)
            sms = _by(tx.c, outbox.c.status, outbox.c.channel == "sms")
            sms_due = queries.sms_backlog(tx.c, now)["due_now"]
            docs = _by(tx.c, documents.c.state)
            requests = _by(tx.c, outbox.c.status, outbox.c.channel == "document")
            push = ApiRecords(tx).push_backlog()
        yield _gauge("duban_timer_backlog", "timers due now and not yet fired", backlog["due_now"])
        yield _gauge("duban_timer_oldest_due_age_seconds", "how long the oldest due timer has waited (0: none due)",
                     _age(now, backlog["oldest_due_at"]))
        yield _gauge("duban_timer_waiting_instances", "workflow instances waiting on a timer",
                     backlog["waiting_instances"])
        yield _gauge("duban_timer_failed_instances", "workflow instances parked after failing", backlog["failed_instances"])
        yield _labelled("duban_sms_messages", "SMS in the outbox by state", "state", sms)
        yield _gauge("duban_sms_due_now", "SMS waiting to be sent now", sms_due)
        # a document request not yet numbered is `waiting`; one that could not be numbered counts as failed
        states = {**docs, "waiting": requests.get("pending", 0),
                  "failed": docs.get("failed", 0) + requests.get("failed", 0)}
        yield _labelled("duban_documents", "documents by state (waiting, rendering, issued, failed)", "state", states)
        yield _gauge("duban_push_backlog_waiting", "push messages not yet delivered", push["waiting"])
        yield _gauge("duban_push_backlog_parked", "push messages a receiving system refused for too long",
                     push["parked"])


def _by(connection: sa.Connection, column: Any, *where: Any) -> dict[str, int]:
    query = sa.select(column, sa.func.count()).where(*where).group_by(column)
    return {str(key): int(n) for key, n in connection.execute(query)}


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since else 0.0


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _labelled(name: str, doc: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family


class FiringMetrics:
    """The engine's FiringObserver for the worker: firings and failures by step, lateness of each firing."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.firings = Counter("duban_timer_firings", "timers fired by this process, by rule step", ["step"],
                               registry=registry)
        self.failures = Counter("duban_timer_firing_failures", "timer firings that failed in this process, by step",
                                ["step"], registry=registry)
        self.lateness = Histogram("duban_timer_firing_lateness_seconds", "how long after its due time a timer fired",
                                  buckets=LATENESS_BUCKETS, registry=registry)

    def fired(self, step: str, due_at: datetime, fired_at: datetime) -> None:
        self.firings.labels(step).inc()
        self.lateness.observe(_age(fired_at, due_at))

    def failed(self, step: str) -> None:
        self.failures.labels(step).inc()


def registry_for(engine: Engine) -> CollectorRegistry:
    """A registry with the database gauges; the caller adds what its process counts."""
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(engine))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def authorized(token: str, authorization: str | None, address: str | None) -> bool:
    """Who may read /metrics: with DUBAN_METRICS_TOKEN set, whoever sends `Authorization: Bearer <token>`;
    without it, only this machine (a Prometheus on the same host, or an SSH tunnel)."""
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    return address in ("127.0.0.1", "::1", "::ffff:127.0.0.1")
