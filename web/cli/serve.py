"""`duban worker` and `duban web`: the two long-running processes of a deployment."""
from __future__ import annotations

import argparse
import logging
import os
from dataclasses import replace

from web.cli.support import Add, add_database, settings_for
from workflows.argtypes import port_number, positive_int

log = logging.getLogger("duban.cli")


def cmd_worker(args: argparse.Namespace) -> int:
    from workflows.bootstrap import build_engine, build_sms
    from workflows.documents.issuing import default_settings
    from workflows.scheduler import WorkerHealth, build_scheduler, exit_now, run_until_signalled, serve_health

    settings = settings_for(args)
    default_settings()  # a bad documents.toml stops the start, not the first document hours later
    if not os.environ.get("DUBAN_PUBLIC_URL"):
        log.warning("DUBAN_PUBLIC_URL is not set: links in SMS point to %s, which units cannot open unless the web "
                    "server is there", settings.public_url, extra={"public_url": settings.public_url})
    engine = build_engine(settings)
    health = WorkerHealth(settings.tick_seconds)
    port = args.health_port if args.health_port is not None else settings.health_port
    if port:
        serve_health(engine, health, port, args.health_host, metrics_token=settings.metrics_token)
    scheduler = build_scheduler(engine, build_sms(settings, engine), settings, health, blocking=False)
    backlog = engine.backlog()["due_now"]  # read before the signals are taken over: a stop never lands mid-query
    abandoned = run_until_signalled(scheduler, health, lambda: log.info("worker started", extra={
        "worker": engine.worker_id, "tick_seconds": settings.tick_seconds, "backlog": backlog}))
    log.info("worker stopped", extra={"worker": engine.worker_id, "left_running": abandoned})
    exit_now(0)  # not after the jobs left running, nor after the interpreter's teardown
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    from waitress import serve

    from web import create_app
    from web.proxy import waitress_proxy_options

    settings = settings_for(args)
    settings = replace(settings, public_url=public_url(settings.public_url, args.host, args.port))
    app = create_app(settings)
    log.info("web started", extra={"url": f"http://{args.host}:{args.port}/",
                                   "trusted_proxies": settings.trusted_proxies})
    serve(app, host=args.host, port=args.port, threads=args.threads, **waitress_proxy_options(settings))
    return 0


def public_url(configured: str, host: str, port: int) -> str:
    """Where units' links and Twilio's callbacks reach this server: DUBAN_PUBLIC_URL when set, otherwise the
    address `duban web` was started on (a wildcard address names no host: the configured default stays)."""
    if os.environ.get("DUBAN_PUBLIC_URL") or host in ("0.0.0.0", "::", ""):
        return configured
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def add_commands(add: Add) -> None:
    p = add("worker", cmd_worker, "run the timer worker: APScheduler ticks that fire due timers, deliver SMS "
            "(retries, checks, digests), issue documents, push 12315 results and export batches and refresh the "
            "assessment; any number on PostgreSQL, one on SQLite; SIGTERM or Ctrl-C stops it")
    add_database(p)
    p.add_argument("--health-port", type=port_number, default=None, help="serve /healthz with the timer backlog here")
    p.add_argument("--health-host", default="127.0.0.1")

    p = add("web", cmd_web, "serve the web app (waitress): the pages behind a login, the units' "
            "acknowledgement pages /a/…, the SMS webhooks, the API /api/v1, /healthz and /metrics")
    add_database(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port_number, default=8000)
    p.add_argument("--threads", type=positive_int, default=8)
