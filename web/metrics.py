"""The web process's /metrics: the database gauges every process shares, and this process's HTTP latency by route
(the route's rule, e.g. /orders/<number>, so the label set stays small). Who may read it: workflows.metrics.authorized."""
from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, abort, g, request
from prometheus_client import Histogram

from config.settings import Settings
from engine.services import Engine
from workflows.metrics import CONTENT_TYPE, HTTP_BUCKETS, authorized, exposition, registry_for


def init_metrics(app: Flask, settings: Settings, engine: Engine) -> None:
    registry = registry_for(engine)
    latency = Histogram("duban_http_request_duration_seconds", "time to answer a request, by route, method and status",
                        ["route", "method", "status"], buckets=HTTP_BUCKETS, registry=registry)

    @app.before_request
    def started() -> None:
        g.duban_started = time.perf_counter()

    @app.after_request
    def observed(response: Response) -> Response:
        started_at = g.pop("duban_started", None)
        if started_at is not None:
            route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
            latency.labels(route, request.method, str(response.status_code)).observe(time.perf_counter() - started_at)
        return response

    @app.get("/metrics")
    def metrics() -> Any:
        if not authorized(settings.metrics_token, request.headers.get("Authorization"), request.remote_addr):
            abort(403)
        return Response(exposition(registry), content_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
