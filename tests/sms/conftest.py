"""An engine whose SMS go through the real `twilio` client to a local fake Twilio, and the web app served on a
real port so the fake's signed callbacks reach it over HTTP, as from behind a TLS-terminating proxy."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from engine.clock import VirtualClock
from engine.services import Engine
from config.settings import Settings
from web import create_app
from workflows.bootstrap import SmsServices, build_sms
from workflows.dev.fake_twilio import FakeTwilio

PUBLIC_URL = "https://duban.example.gov.cn"
SENDER = "+15005550006"
PHONE_A, PHONE_B = "+8613900000001", "+8613900000011"


@dataclass
class SmsWorld:
    engine: Engine
    sms: SmsServices
    app: Flask
    fake: FakeTwilio
    clock: VirtualClock
    base: str  # where the web app really listens
    settings: Settings

    def run(self) -> Any:
        return self.sms.delivery.run(self.sms.gateway)

    def rows(self, **where: Any) -> list[dict[str, Any]]:
        with self.engine.store.reading() as tx:
            import sqlalchemy as sa

            from engine.persistence.tables import outbox
            query = sa.select(outbox).where(outbox.c.channel == "sms").order_by(outbox.c.id)
            for column, value in where.items():
                query = query.where(outbox.c[column] == value)
            return [dict(r) for r in tx.c.execute(query).mappings()]

    def tasks(self) -> list[dict[str, Any]]:
        import sqlalchemy as sa

        from engine.persistence.tables import actions, supervisor_tasks
        with self.engine.store.reading() as tx:
            return [dict(r) for r in tx.c.execute(
                sa.select(supervisor_tasks, actions.c.details).join(actions, actions.c.key == supervisor_tasks.c.action_key)
                .where(supervisor_tasks.c.kind == "sms_failed").order_by(supervisor_tasks.c.id)).mappings()]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


def serve_engine(settings: Settings, engine: Engine, servers: list[Any]) -> tuple[Engine, SmsServices, Flask, str]:
    """The engine's SMS services and web app, served on a free local port (the server is added to `servers`)."""
    sms = build_sms(settings, engine)
    app = create_app(settings, engine=engine, sms=sms)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    return engine, sms, app, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def make_world(make_engine: Callable[..., Engine], clock: VirtualClock, fake: FakeTwilio,
               settings: Settings) -> Iterator[Callable[..., SmsWorld]]:
    servers = []

    def make(**overrides: Any) -> SmsWorld:
        s = replace(settings, sms_gateway="twilio", twilio_account_sid=fake.account_sid,
                    twilio_auth_token=fake.auth_token, twilio_from=SENDER, twilio_api_url=fake.url,
                    public_url=PUBLIC_URL, cookie_secure=False,  # links say https; the test server is plain HTTP
                    **{"twilio_timeout": 5.0, **overrides})
        engine, sms, app, base = serve_engine(s, make_engine(clock=clock), servers)
        fake.callback_target = base
        return SmsWorld(engine, sms, app, fake, clock, base, s)

    yield make
    for server in servers:
        server.shutdown()


@pytest.fixture
def world(make_world: Callable[..., SmsWorld]) -> SmsWorld:
    return make_world()
