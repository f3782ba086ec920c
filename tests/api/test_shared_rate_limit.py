"""The API rate limit is one bucket per client in the database, not one per web process: two apps, each with
its own engine and connection pool on one database (as two `duban web` processes are), spend from the same
bucket — alternating requests, and requests racing from threads. The topology test does it with two real
processes behind nginx."""
from __future__ import annotations

import threading
from collections import Counter

import pytest

from engine.clock import VirtualClock
from tests.api.conftest import auth, build_app
from tests.conftest import local
from workflows.intake.service import create_client


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_processes(request, make_engine, settings):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    clock = VirtualClock(local(2026, 6, 1, 10, 0))
    engines = [make_engine(clock=clock, database_url=url) for _ in range(2)]
    apps = [build_app(settings, engine) for engine in engines]
    yield engines[0], clock, [app.test_client() for app in apps]
    for engine in engines:
        engine.store.engine.dispose()


def test_alternating_requests_share_one_bucket(two_processes):
    engine, clock, (first, second) = two_processes
    token = create_client(engine, "slow", ["intake"], 4)
    codes = [(first if i % 2 == 0 else second).get("/api/v1/orders/X1", headers=auth(token)).status_code
             for i in range(6)]
    assert codes == [404, 404, 404, 404, 429, 429]  # 4 a minute in all, not 4 in each process
    clock.advance(seconds=15)  # one more request after 15 s, taken by whichever process asks first
    assert second.get("/api/v1/orders/X1", headers=auth(token)).status_code == 404
    refused = first.get("/api/v1/orders/X1", headers=auth(token))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    other = create_client(engine, "other", ["intake"], 4)
    assert second.get("/api/v1/orders/X1", headers=auth(other)).status_code == 404  # its own bucket


def test_racing_requests_never_spend_the_last_token_twice(two_processes):
    engine, _, clients = two_processes
    token = create_client(engine, "racer", ["intake"], 10)
    codes: Counter[int] = Counter()
    lock = threading.Lock()

    def hammer(client) -> None:
        for _ in range(8):
            code = client.get("/api/v1/orders/X1", headers=auth(token)).status_code
            with lock:
                codes[code] += 1

    threads = [threading.Thread(target=hammer, args=(clients[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == Counter({404: 10, 429: 22})
