from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.clock import VirtualClock
from engine.services import Engine
from web import create_app
from web import api as api_web
from workflows.intake.service import SCOPES, create_client

UNIT = "U-ZJJ"


def build_app(settings: Any, engine: Engine) -> Any:
    app = create_app(settings, engine=engine)
    if "api_v1" not in app.blueprints:  # until web/__init__.py registers it
        api_web.register(app)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def api_engine(engine: Engine) -> Engine:
    engine.register_unit(UNIT, "市住建局", ["+8613800138000"])
    engine.register_unit("U-SCJ", "市市场监管局", ["+8613800138001"])
    return engine


@pytest.fixture
def app(settings: Any, api_engine: Engine) -> Any:
    return build_app(settings, api_engine)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def token(api_engine: Engine) -> Callable[..., str]:
    counter = iter(range(10_000))

    def make(*scopes: str, rate: int = 10_000) -> str:
        return create_client(api_engine, f"client-{next(counter)}", list(scopes or SCOPES), rate)
    return make


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def order_body(number: str = "GD202606010001", **overrides: Any) -> dict[str, Any]:
    body = {"order_no": number, "unit_code": UNIT, "category": "投诉", "urgency": "一般",
            "dispatched_at": "2026-06-01T07:30:00+08:00", "title": "小区噪音扰民",
            "content": "晚上施工，联系电话13912345678", "channel": "phone", "address": "广东省揭阳市榕城区某某路8号",
            "citizen": {"name": "张三丰", "phone": "13912345678"}}
    body.update(overrides)
    return body


def duban(argv: list[str]) -> int:
    """`duban …` through the real entry point."""
    from web.cli import main

    return main(argv)
