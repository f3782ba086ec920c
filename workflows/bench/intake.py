"""Intake throughput through the API (orders per second, one order per request and batches of 100).

`duban api-benchmark [--orders N] [--postgres-url URL]` prints the figures (web/cli/api.py passes the app
factory in: workflows/ does not import web/). Requests go through the Flask app in-process (WSGI test client): routing, auth, validation, idempotency claim, the engine's
open_work_order with its BPMN process start, and the response; no network stack.
"""
from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from config.settings import Settings
from engine.clock import VirtualClock
from engine.services import Engine
from workflows.bootstrap import build_engine
from workflows.intake.service import create_client


def _order(n: int, prefix: str) -> dict[str, Any]:
    return {"order_no": f"{prefix}{n:07d}", "unit_code": "BENCH", "category": ("咨询", "求助", "投诉")[n % 3],
            "dispatched_at": "2026-06-01T09:00:00+08:00", "title": "基准测试", "content": "联系电话13900000000",
            "citizen": {"name": "张三", "phone": "13900000000"}}


def measure(database_url: str, orders: int, make_app: Callable[[Settings, Engine], Any]) -> dict[str, float]:
    clock = VirtualClock(datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc))
    settings = Settings(worker_id="bench", secret_key="bench-secret-key-0123456789", database_url=database_url)
    engine = build_engine(settings, clock=clock)
    engine.register_unit("BENCH", "基准单位", ["+8613800138000"])
    client = make_app(settings, engine).test_client()
    headers = {"Authorization": "Bearer " + create_client(engine, f"bench-{time.monotonic_ns()}", ["intake"], 100_000)}
    figures: dict[str, float] = {}
    start = time.perf_counter()
    for n in range(orders):
        assert client.post("/api/v1/orders", json=_order(n, "S"), headers=headers).status_code == 201
    figures["single"] = orders / (time.perf_counter() - start)
    start = time.perf_counter()
    for first in range(0, orders, 100):
        body = {"orders": [_order(n, "B") for n in range(first, min(first + 100, orders))]}
        response = client.post("/api/v1/orders/batch", json=body, headers=headers)
        assert response.get_json()["counts"]["created"] == len(body["orders"])
    figures["batch"] = orders / (time.perf_counter() - start)
    start = time.perf_counter()
    repeats = min(orders, 500)
    for n in range(repeats):
        assert client.post("/api/v1/orders", json=_order(n, "S"), headers=headers).status_code == 200
    figures["repeat"] = repeats / (time.perf_counter() - start)
    clock.advance(seconds=1)
    engine.store.engine.dispose()
    return figures


def run(orders: int, postgres_url: str | None, make_app: Callable[[Settings, Engine], Any]) -> int:
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("SQLite (WAL, file)", f"sqlite:///{tmp}/bench.db"))
        if postgres_url:
            targets.append(("PostgreSQL", postgres_url))
        for name, url in targets:
            f = measure(url, orders, make_app)
            print(f"{name}: {orders} orders — single {f['single']:.0f} orders/s, "
                  f"batch of 100 {f['batch']:.0f} orders/s, idempotent repeat {f['repeat']:.0f} requests/s")
    return 0

