"""The production layout of config/deploy/, run for real: Debian's nginx (the shipped site, TLS with a throw-away
certificate), two `duban web` and two `duban worker` processes on one PostgreSQL database, SMS through the real
twilio client to the fake Twilio.

Chromium signs in through nginx; orders arrive through the API via nginx; the API rate limit holds across both web
processes; the processes' clock (a file, tests/integration/_clocked_duban.py) moves so each order's reminder and
sign-for chase fall due; one worker is killed with SIGKILL while firing and a fresh one started; then every due
timer has fired exactly once, every SMS row is unique and reached Twilio once, and /metrics of each process
agrees with the database. Screenshots through nginx go to test-artifacts/.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from engine.clock import VirtualClock
from engine.persistence.tables import outbox, timer_firings, workflow_instances
from tests.conftest import ROOT
from tests.integration._clocked_duban import set_clock
from tests.integration.browser_support import launch_chromium, log_in, need_browser, shot
from tests.integration.nginx_support import Nginx, free_port, need_nginx, render_site, self_signed, stop_process
from tests.metrics_support import scrape, value
from tests.timeline import DISPATCH, DUE_SOON, SIGN_OVERDUE
from tests.web_login import ensure_user
from workflows.bootstrap import build_engine
from workflows.dev.fake_twilio import FakeTwilio
from workflows.intake.service import create_client

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
LAUNCHER = Path(__file__).with_name("_clocked_duban.py")
ORDERS, UNITS, BATCH, SINGLE = 100, 5, 40, 20  # 80 orders in two batches, 20 one by one
FIRING = DISPATCH.replace(day=3)  # 06-03 10:00: each order's reminder (06-02 09:00) and sign-for chase (06-03 09:00)
SENT = ("queued", "sent", "delivered", "undelivered", "failed")


class Processes:
    """`duban web` / `duban worker` processes on the test's clock; logs kept for the failure message."""

    def __init__(self, folder: Path, clock_file: Path, env: dict[str, str]) -> None:
        self.folder, self.clock_file, self.env = folder, clock_file, env
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *argv: str, **env: str) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, str(LAUNCHER), str(self.clock_file), *argv], cwd=ROOT,
                                   env={**self.env, **env}, stdout=log, stderr=subprocess.STDOUT)
        self.running[name] = process
        return process

    def wait_healthy(self, name: str, port: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.running[name].poll() is None, f"{name} exited:\n{self.log(name)[-3000:]}"
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code in (200, 503):
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{name} did not answer on {port}:\n{self.log(name)[-3000:]}")

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.running.values():
            stop_process(process)


def wait_until(what: str, condition: Callable[[], bool], seconds: float = 60) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s: {what}"
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def topology(pg_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    need_browser()
    need_nginx()
    https, upstreams = free_port(), (free_port(), free_port())
    health = (free_port(), free_port(), free_port())
    cert, key = self_signed(tmp_path)
    clock_file = tmp_path / "clock"
    set_clock(clock_file, DISPATCH)
    setup = build_engine(_settings_env_free(), clock=VirtualClock(DISPATCH), database_url=pg_url)
    for u in range(UNITS):
        setup.register_unit(f"U{u:02d}", f"测试单位{u}", [f"+86139000000{u:02d}"])
    ensure_user(setup, "supervisor1", "supervisor")
    with FakeTwilio() as fake:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DUBAN_DATABASE_URL": pg_url,
               "DUBAN_SECRET_KEY": "topology-test-secret-0123456789",
               "DUBAN_PUBLIC_URL": f"https://localhost:{https}", "DUBAN_TRUSTED_PROXIES": "1",
               "DUBAN_SMS_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": fake.account_sid,
               "TWILIO_AUTH_TOKEN": fake.auth_token, "TWILIO_FROM": "+15005550006", "DUBAN_TWILIO_API_URL": fake.url,
               "DUBAN_TICK_SECONDS": "0.2", "DUBAN_OUTBOX_SECONDS": "0.5", "DUBAN_BATCH_SIZE": "5",
               "DUBAN_LOG_FORMAT": "json"}
        processes = Processes(tmp_path, clock_file, env)
        try:
            for i, port in enumerate(upstreams, 1):
                processes.start(f"web{i}", "web", "--port", str(port), "--threads", "4")
            for i in (1, 2):
                processes.start(f"worker{i}", "worker", "--health-port", str(health[i - 1]),
                                DUBAN_WORKER_ID=f"worker-{i}")
            for i, port in enumerate(upstreams, 1):
                processes.wait_healthy(f"web{i}", port)
            for i in (1, 2):
                processes.wait_healthy(f"worker{i}", health[i - 1])
            site = render_site(https, free_port(), upstreams, cert, key)
            with Nginx([], workdir=tmp_path / "nginx", port=https, site=site):
                yield {"engine": setup, "fake": fake, "processes": processes, "upstreams": upstreams,
                       "health": health, "base": f"https://localhost:{https}", "cert": str(cert),
                       "clock_file": clock_file}
        finally:
            processes.stop_all()
            setup.store.engine.dispose()


def _settings_env_free() -> Any:
    from config.settings import Settings

    return Settings(worker_id="topology-setup", secret_key="topology-test-secret-0123456789")


def test_two_webs_two_workers_behind_nginx_lose_and_double_nothing(topology: dict[str, Any]) -> None:
    engine, fake, processes, upstreams = (topology[k] for k in ("engine", "fake", "processes", "upstreams"))
    base, cert = topology["base"], topology["cert"]
    started = time.monotonic()

    # the API's rate limit is one bucket for both web processes (asked directly, alternating)
    slow = create_client(engine, "slow", ["intake"], 4)
    codes = [requests.get(f"http://127.0.0.1:{upstreams[i % 2]}/api/v1/orders/X", timeout=10,
                          headers={"Authorization": f"Bearer {slow}"}).status_code for i in range(6)]
    assert codes == [404, 404, 404, 404, 429, 429]

    # orders arrive through nginx (TLS), in batches and one by one
    token = create_client(engine, "hotline", ["intake"], 10_000)
    api = requests.Session()
    api.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would override `verify`
    api.verify, api.headers["Authorization"] = cert, f"Bearer {token}"
    numbers = [f"GD20260601{i:04d}" for i in range(ORDERS)]
    bodies = [{"order_no": n, "unit_code": f"U{i % UNITS:02d}", "category": "咨询", "urgency": "一般",
               "dispatched_at": DISPATCH.isoformat(), "title": f"拓扑测试{i}", "content": "路灯不亮",
               "channel": "phone"} for i, n in enumerate(numbers)]
    for chunk in range(0, ORDERS - SINGLE, BATCH):
        answer = api.post(f"{base}/api/v1/orders/batch", json={"orders": bodies[chunk:chunk + BATCH]}, timeout=60)
        assert answer.status_code == 200 and answer.json()["counts"]["created"] == BATCH, answer.text[:500]
    for body in bodies[ORDERS - SINGLE:]:
        assert api.post(f"{base}/api/v1/orders", json=body, timeout=30).status_code == 201
    assert api.get(f"{base}/metrics", timeout=10).status_code == 404  # per process, never through nginx
    posted = time.monotonic()

    # a supervisor signs in through nginx with Chromium
    sync_api = need_browser()
    with sync_api.sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        context = browser.new_context(ignore_https_errors=True, locale="zh-CN", timezone_id="Asia/Shanghai",
                                      viewport={"width": 1280, "height": 800})
        page = context.new_page()
        landed = log_in(page, base, "supervisor1")
        assert landed.status == 200 and page.url.startswith(base) and "/login" not in page.url, page.url
        shot(page, "topology-workbench.png")

        # time moves: two timers of each order fall due; worker 1 dies by SIGKILL in the middle of firing them
        set_clock(topology["clock_file"], FIRING)
        moved = time.monotonic()
        firings = _counter(engine, timer_firings)
        by_worker = _by_worker(engine)
        wait_until("worker 1 fires", lambda: by_worker().get("worker-1", 0) >= 5, 60)
        processes.running["worker1"].send_signal(signal.SIGKILL)
        processes.running["worker1"].wait(timeout=10)
        at_kill = firings()
        processes.start("worker3", "worker", "--health-port", str(topology["health"][2]), DUBAN_WORKER_ID="worker-3")
        wait_until("every timer fired", lambda: firings() >= 2 * ORDERS, 90)
        fired_at = time.monotonic()
        # past the 5-minute sending lease of anything the killed worker held, so a survivor settles it
        set_clock(topology["clock_file"], FIRING + timedelta(minutes=6))
        wait_until("the SMS outbox settles", lambda: _unsettled_sms(engine) == 0, 60)

        page.goto(f"{base}/orders/{numbers[0]}")
        assert numbers[0] in page.inner_text("h1")
        shot(page, "topology-order.png")
        page.goto(f"{base}/orders")
        shot(page, "topology-orders.png")
        context.close()
        browser.close()

    ids = {r.order_number: r.id for r in _rows(engine, sa.select(workflow_instances.c.order_number,
                                                                  workflow_instances.c.id)
                                               .where(workflow_instances.c.kind == "work_order"))}
    assert len(ids) == ORDERS
    fired = Counter((r.instance_id, r.due_at) for r in _rows(engine, sa.select(timer_firings)))
    assert [key for key, n in fired.items() if n > 1] == []
    assert set(fired) == {(ids[n], due) for n in numbers for due in (DUE_SOON, SIGN_OVERDUE)}
    workers = by_worker()
    assert set(workers) <= {"worker-1", "worker-2", "worker-3"} and workers["worker-1"] >= 5

    sms = list(_rows(engine, sa.select(outbox).where(outbox.c.channel == "sms")))
    assert len({r.key for r in sms}) == len(sms)
    per_step = Counter((r.order_number, r.template, r.recipient) for r in sms if r.order_number)
    phone = {n: f"+86139000000{i % UNITS:02d}" for i, n in enumerate(numbers)}
    assert per_step == Counter({(n, t, phone[n]): 1 for n in numbers for t in ("dispatched", "due_soon", "sign_overdue")})
    sent = [r for r in sms if r.status in SENT]
    assert {m.sid for m in fake.messages} == {r.provider_id for r in sent}  # each reached Twilio once
    assert len(fake.messages) == len(sent) > 0
    # the rest were merged into a digest (how many depends on timing); each such digest was sent
    by_id = {r.id: r for r in sms}
    merged = [r for r in sms if r.status == "merged"]
    assert all(by_id[r.related_id].status in SENT for r in merged)
    assert len(sent) + len(merged) >= 3 * ORDERS and {r.status for r in sms} <= set(SENT) | {"merged"}

    # /metrics of each process: the database gauges agree, the counters are the process's own
    scrape_started = time.perf_counter()
    web = [scrape(f"http://127.0.0.1:{port}/metrics") for port in upstreams]
    scrape_ms = (time.perf_counter() - scrape_started) * 500  # per scrape
    worker2 = scrape(f"http://127.0.0.1:{topology['health'][1]}/metrics")
    for name, expected in (("duban_timer_waiting_instances", ORDERS + 1), ("duban_timer_backlog", 0)):  # + quarterly
        assert value(web[0], name) == value(web[1], name) == value(worker2, name) == expected, name
    batches = sum(value(m, "duban_http_request_duration_seconds_count", route="/api/v1/orders/batch",
                        method="POST", status="200") for m in web)
    assert batches == (ORDERS - SINGLE) // BATCH
    assert sum(v for (name, _), v in worker2.items() if name == "duban_timer_firings_total") == workers["worker-2"]

    print(f"\ntopology: {ORDERS} orders posted in {posted - started:.1f} s; {2 * ORDERS} timers fired "
          f"({workers}); worker-1 killed at {at_kill} firings; all fired {fired_at - moved:.1f} s after the move; "
          f"{len(sent)} SMS sent once each; /metrics {scrape_ms:.0f} ms a scrape; total {time.monotonic() - started:.1f} s")


def _rows(engine: Any, query: Any) -> list[Any]:
    with engine.store.engine.connect() as connection:
        return list(connection.execute(query))


def _counter(engine: Any, table: sa.Table) -> Callable[[], int]:
    return lambda: int(_rows(engine, sa.select(sa.func.count()).select_from(table))[0][0])


def _by_worker(engine: Any) -> Callable[[], dict[str, int]]:
    query = sa.select(timer_firings.c.worker, sa.func.count()).group_by(timer_firings.c.worker)
    return lambda: {r[0]: int(r[1]) for r in _rows(engine, query)}


def _unsettled_sms(engine: Any) -> int:
    """Messages still owed: due and pending, being sent, or sent without a known outcome."""
    query = sa.select(sa.func.count()).where(outbox.c.channel == "sms",
                                              outbox.c.status.in_(("pending", "sending", "unknown")))
    return int(_rows(engine, query)[0][0])
