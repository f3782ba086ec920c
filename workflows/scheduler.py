"""`duban worker`: APScheduler ticks that drive the engine. The database holds every timer;
APScheduler only says "look now". Jobs are static and rebuilt at start, so a restart loses nothing,
and the first tick runs at once so timers that fell due while no worker ran fire on start."""
from __future__ import annotations

import functools
import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from engine.persistence import queries
from engine.persistence.api_store import ApiRecords
from engine.services import Engine
from config.assessment_loader import load_assessment
from config.hotspot_loader import HotspotConfig, load_hotspots
from engine.clock import LOCAL_TZ
from config.settings import Settings
from workflows.assessment.service import build_assessment
from workflows.bootstrap import SmsServices
from workflows.documents.issuing import issue_all_pending
from workflows.hotspots import run_hotspots
from workflows.intake.push import push_all
from workflows.metrics import CONTENT_TYPE, FiringMetrics, authorized, exposition, registry_for

log = logging.getLogger("duban.worker")


@dataclass
class WorkerHealth:
    tick_seconds: float
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    last_tick_at: datetime | None = None
    fired_total: int = 0
    sms_total: int = 0
    last_error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)  # set on Ctrl-C/SIGTERM: jobs end early
    running: Counter[str] = field(default_factory=Counter)  # the jobs running now, by id
    changed: threading.Condition = field(default_factory=threading.Condition)  # a job started or ended

    def job(self, job_id: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn` as a scheduler job whose run is counted in `running` (the stop waits for those briefly)."""
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self.changed:
                self.running[job_id] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                with self.changed:
                    self.running[job_id] -= 1
                    self.changed.notify_all()
        return run

    def wait_idle(self, seconds: float) -> list[str]:
        """Wait up to `seconds` for the running jobs to end; the ids of those still running."""
        with self.changed:
            self.changed.wait_for(lambda: not +self.running, timeout=seconds)
            return sorted(+self.running)

    def stale(self, now: datetime) -> bool:
        return now - (self.last_tick_at or self.started_at) > timedelta(seconds=max(3 * self.tick_seconds, 30))

    def report(self, engine: Engine) -> tuple[int, dict[str, Any]]:
        now = datetime.now(timezone.utc)
        stale = self.stale(now)
        backlog = engine.backlog()
        with engine.store.reading() as tx:
            sms_backlog = queries.sms_backlog(tx.c, engine.clock.now())
            document_backlog = queries.document_backlog(tx.c)
            push_backlog = ApiRecords(tx).push_backlog()
        failing = document_backlog["failed"] > 0  # a document the rules asked for does not exist
        body = {
            "status": "stale" if stale else "failing" if failing else "ok",
            "last_tick_at": self.last_tick_at.isoformat() if self.last_tick_at else None,
            "fired_total": self.fired_total,
            "sms_total": self.sms_total,
            "last_error": self.last_error,
            "sms_backlog": sms_backlog,
            "document_backlog": document_backlog,
            "push_backlog": push_backlog,  # "parked" > 0: a receiving system has refused for too long (see /push)
            "timer_backlog": {**backlog, "oldest_due_at": backlog["oldest_due_at"].isoformat()
                              if backlog["oldest_due_at"] else None},
        }
        return (503 if stale or failing else 200), body


def tick(engine: Engine, health: WorkerHealth, batch: int) -> int:
    """Fire due timers, `batch` instances a transaction, until none is due or a batch makes no progress
    (what is left is held by another worker or a request, and the next tick takes it)."""
    fired = 0
    try:
        while not health.stopping.is_set():
            count = engine.fire_due_timers(limit=batch)
            fired += count
            if count == 0 or engine.backlog()["due_now"] == 0:
                break
        health.last_error = None
    except Exception as exc:  # keep ticking; the health endpoint shows it
        health.last_error = f"{type(exc).__name__}: {exc}"
        log.exception("tick failed")
    with health.lock:
        health.last_tick_at = datetime.now(timezone.utc)
        health.fired_total += fired
    return fired


def guarded(what: str, health: WorkerHealth, job: Callable[[], Any]) -> None:
    """Run one outbox job; a failure is logged and shown by the health check, and the worker keeps going."""
    if health.stopping.is_set():
        return
    try:
        job()
    except Exception as exc:
        health.last_error = f"{type(exc).__name__}: {exc}"
        log.exception("%s failed", what)


def deliver_sms(sms: SmsServices, health: WorkerHealth) -> None:
    """One outbox pass: check ambiguous sends, send what is due, store each outcome."""
    def run() -> None:
        report = sms.delivery.run(sms.gateway)
        with health.lock:
            health.sms_total += report.sent
        if any(report.as_dict().values()):
            log.info("sms outbox pass", extra=report.as_dict())

    guarded("sms delivery", health, run)


def poll_receipts(sms: SmsServices, health: WorkerHealth) -> None:
    """Ask the provider for delivery reports it cannot push to us (Aliyun without a push URL)."""
    def run() -> None:
        changed = sms.receipts.poll(sms.gateway)  # type: ignore[arg-type]  # only scheduled for pollers
        if changed:
            log.info("sms reports polled", extra={"changed": changed})

    guarded("sms report polling", health, run)


def polls_receipts(sms: SmsServices, settings: Settings) -> bool:
    return hasattr(sms.gateway, "poll_receipts") and not settings.aliyun_push_token


def issue_documents(engine: Engine, health: WorkerHealth, budget: float) -> None:
    """Render and issue the documents the rules asked for (numbered in a short transaction, rendered outside) for
    at most `budget` seconds: half the job's interval, so a pass never runs into the next one (APScheduler would
    skip it with a warning) and a stopping worker waits for one document at most. The next pass goes on."""
    until = time.monotonic() + budget
    guarded("document issuing", health, lambda: issue_all_pending(
        engine, keep_going=lambda: time.monotonic() < until and not health.stopping.is_set()))


def push_outbox(engine: Engine, health: WorkerHealth) -> None:
    """Deliver 12315 results and export batches to their endpoints (signed, in order, retried)."""
    guarded("push delivery", health, lambda: push_all(engine))


def refresh_assessment(engine: Engine, health: WorkerHealth) -> None:
    """Recompute the kept assessment months whose facts changed since they were computed (issue 21)."""
    def run() -> None:
        recomputed = build_assessment(engine).refresh()
        if recomputed:
            log.info("assessment months recomputed", extra={"months": recomputed})

    guarded("assessment refresh", health, run)


def compute_hotspots(engine: Engine, config: HotspotConfig, health: WorkerHealth) -> None:
    """The day's hotspot flags (热点预警), stored, and the leaders' SMS for a 严重 one (idempotent per window)."""
    guarded("hotspot warning", health, lambda: run_hotspots(engine, config))


def build_scheduler(engine: Engine, sms: SmsServices, settings: Settings, health: WorkerHealth, *,
                    blocking: bool = True) -> BaseScheduler:
    # a year added to config/calendar.toml takes effect at start: provisional deadlines are redone before the
    # first tick (a one-shot job would race APScheduler's own removal of it when the scheduler stops at once)
    engine.recompute_provisional_deadlines()
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(timezone=timezone.utc, job_defaults={
        "misfire_grace_time": None, "coalesce": True, "max_instances": 1})
    now = datetime.now(timezone.utc)

    def add(fn: Callable[..., Any], trigger: str, job_id: str, **options: Any) -> None:
        scheduler.add_job(health.job(job_id, fn), trigger, id=job_id, replace_existing=True, **options)

    add(tick, "interval", "timers.fire", seconds=settings.tick_seconds, next_run_time=now,
        args=[engine, health, settings.batch_size])
    add(deliver_sms, "interval", "outbox.sms", seconds=settings.outbox_seconds,
        next_run_time=now + timedelta(seconds=1), args=[sms, health])
    add(engine.ensure_quarterly_report, "cron", "quarterly.ensure", hour="*", minute=7, next_run_time=now)
    add(issue_documents, "interval", "outbox.documents", seconds=settings.outbox_seconds,
        next_run_time=now + timedelta(seconds=2), args=[engine, health, settings.outbox_seconds / 2])
    add(push_outbox, "interval", "outbox.push", seconds=settings.outbox_seconds,
        next_run_time=now + timedelta(seconds=3), args=[engine, health])
    if polls_receipts(sms, settings):
        add(poll_receipts, "interval", "sms.receipts.poll", seconds=settings.aliyun_poll_seconds,
            next_run_time=now + timedelta(seconds=5), args=[sms, health])
    add(refresh_assessment, "interval", "assessment.refresh", minutes=load_assessment().refresh_minutes,
        next_run_time=now + timedelta(seconds=5), args=[engine, health])
    hotspots = load_hotspots(settings.hotspots_file)
    add(compute_hotspots, "cron", "hotspots.compute", hour=hotspots.run_at.hour, minute=hotspots.run_at.minute,
        timezone=LOCAL_TZ, next_run_time=now + timedelta(seconds=7), args=[engine, hotspots, health])
    return scheduler


def stop(scheduler: BaseScheduler, health: WorkerHealth, grace: float = 0.0) -> list[str]:
    """Ctrl-C or SIGTERM: no job starts any more, running ones end after their current step; waits up to `grace`
    seconds for them and returns the ids of those still running (their work is crash-safe: left to the next worker)."""
    health.stopping.set()
    if scheduler.running:
        scheduler.shutdown(wait=False)
    return health.wait_idle(grace)


def run_until_signalled(scheduler: BaseScheduler, health: WorkerHealth, started: Callable[[], None]) -> list[str]:
    """The worker's main thread: jobs run on the scheduler's threads until SIGTERM or Ctrl-C, which lands here —
    never inside APScheduler, which would log and swallow it — and stops them, waiting JOB_GRACE_SECONDS at most
    for the running ones (returned: those still running). `started()` runs once the signals are handled.

    The main thread wakes every SIGNAL_CHECK_SECONDS: Python runs a signal's handler (KeyboardInterrupt) only when
    the main thread executes Python code, and a signal that arrives just before the thread blocks in a wait —
    after its last check, before the lock's system call — does not interrupt that wait. With one long wait such a
    stop was lost until the wait ended (an hour; the worker ignored Ctrl-C); now it is taken within the interval."""
    interrupt_on_signals()
    try:
        scheduler.start()
        started()
        while not health.stopping.wait(SIGNAL_CHECK_SECONDS):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        exit_by(STOP_DEADLINE_SECONDS)
        abandoned = stop(scheduler, health, JOB_GRACE_SECONDS)
    return abandoned


SIGNAL_CHECK_SECONDS = 0.2
JOB_GRACE_SECONDS = 1.5  # a running job's current step (a batch of timers, a document, an SMS pass) ends within it
STOP_DEADLINE_SECONDS = 2.5


def exit_now(code: int) -> None:
    """End the process once its work is stopped: logs and output flushed, no interpreter teardown (half a second of
    CPU freeing what the exit frees anyway) and no waiting for job threads left running (their work is crash-safe:
    claims and leases bring it back)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def exit_by(seconds: float) -> None:
    """Whatever a job thread is doing (a signal can land while a lock is held), the process ends within `seconds`
    of a stop: the work is crash-safe (claims and leases bring it back), so it is not waited for."""
    def force() -> None:
        os.write(2, b"duban worker: a job did not end within the stop deadline; exiting without it\n")
        os._exit(0)
    timer = threading.Timer(seconds, force)
    timer.daemon = True
    timer.start()


def interrupt_on_signals() -> None:
    """SIGTERM (systemd's stop) ends the process like Ctrl-C: KeyboardInterrupt in the main thread. SIGINT too,
    also when the process was started with it ignored (in the background of a script)."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.default_int_handler)


class WorkerCollector(Collector):
    """This worker's own state: `duban_up` (0 when its last tick is older than three intervals) and the age of
    that tick."""

    def __init__(self, health: WorkerHealth) -> None:
        self.health = health

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = datetime.now(timezone.utc)
        age = (now - (self.health.last_tick_at or self.health.started_at)).total_seconds()
        yield GaugeMetricFamily("duban_up", "1 while this worker ticks on time", value=int(not self.health.stale(now)))
        yield GaugeMetricFamily("duban_worker_last_tick_age_seconds", "seconds since this worker's last timer tick",
                                value=age)


def worker_registry(engine: Engine, health: WorkerHealth) -> CollectorRegistry:
    """The worker's /metrics: the database gauges, its own state, and its firings (the engine tells them)."""
    registry = registry_for(engine)
    registry.register(WorkerCollector(health))
    engine.observer = FiringMetrics(registry)
    return registry


def serve_health(engine: Engine, health: WorkerHealth, port: int, host: str = "127.0.0.1", *,
                 metrics_token: str = "") -> ThreadingHTTPServer:
    """/healthz (JSON, 503 when stale or failing) and /metrics (Prometheus; see workflows.metrics.authorized)."""
    registry = worker_registry(engine, health)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            if self.path not in ("/healthz", "/health", "/metrics"):
                self.send_error(404)
                return
            if self.path == "/metrics":
                if not authorized(metrics_token, self.headers.get("Authorization"), self.client_address[0]):
                    self.send_error(403)
                    return
                status, payload, kind = 200, exposition(registry), CONTENT_TYPE
            else:
                status, body = health.report(engine)
                payload, kind = json.dumps(body, ensure_ascii=False).encode(), "application/json; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    log.info("worker health endpoint", extra={"url": f"http://{host}:{server.server_address[1]}/healthz"})
    return server
