"""An engine whose SMS go through the official Alibaba Cloud SDK to a local fake of the SMS endpoint, and the web
app served on a real port so the fake's pushed reports and replies reach it over HTTP."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

from config.settings import Settings
from engine.clock import VirtualClock
from engine.services import Engine
from tests.sms.conftest import PUBLIC_URL, SmsWorld, serve_engine
from workflows.dev.aliyun_demo import approved_from_config
from workflows.dev.fake_aliyun import FakeAliyun

PUSH_TOKEN = "pushToken0123456789"


@dataclass
class AliyunWorld(SmsWorld):
    aliyun: FakeAliyun = None  # type: ignore[assignment]

    def poll(self) -> int:
        return self.sms.receipts.poll(self.sms.gateway)  # type: ignore[arg-type]


@pytest.fixture
def aliyun(clock: VirtualClock, settings: Settings) -> Iterator[FakeAliyun]:
    templates, signs = approved_from_config(settings.sms_templates_file)
    with FakeAliyun(templates=templates, signs=signs, clock=clock.now) as server:
        server.variable_limits["link"] = 100
        yield server


@pytest.fixture
def make_aliyun_world(make_engine: Callable[..., Engine], clock: VirtualClock, aliyun: FakeAliyun,
                      settings: Settings) -> Iterator[Callable[..., AliyunWorld]]:
    servers = []

    def make(*, push: bool = True, **overrides: Any) -> AliyunWorld:
        s = replace(settings, **{
            "sms_gateway": "aliyun", "aliyun_access_key_id": aliyun.access_key_id,
            "aliyun_access_key_secret": aliyun.access_key_secret, "aliyun_api_url": aliyun.url,
            "aliyun_push_token": PUSH_TOKEN if push else "", "public_url": PUBLIC_URL, "cookie_secure": False,
            "aliyun_timeout": 5.0, **overrides})
        engine, sms, app, base = serve_engine(s, make_engine(clock=clock), servers)
        aliyun.report_url = f"{base}/aliyun/report/{PUSH_TOKEN}" if push else None
        aliyun.up_url = f"{base}/aliyun/up/{PUSH_TOKEN}" if push else None
        return AliyunWorld(engine, sms, app, None, clock, base, s, aliyun)  # type: ignore[arg-type]

    yield make
    for server in servers:
        server.shutdown()


@pytest.fixture
def aliyun_world(make_aliyun_world: Callable[..., AliyunWorld]) -> AliyunWorld:
    return make_aliyun_world()
