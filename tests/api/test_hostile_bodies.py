"""Bodies that used to give a 500: a JSON key holding a lone surrogate (the problem response could not be encoded),
deep nesting and UTF-16. Every write endpoint answers each with a 4xx problem, and takes a valid UTF-16 body.
(The Alibaba Cloud push endpoints, the other JSON the app reads, are tested in tests/sms/test_aliyun_reports.py.)"""
from __future__ import annotations

import json

import pytest

from tests.api.conftest import auth, order_body

ENDPOINTS = ["/api/v1/orders", "/api/v1/orders/batch", "/api/v1/12315/orders",
             "/api/v1/orders/GD202606010001/events", "/api/v1/orders/GD202606010001/instructions"]
SURROGATE_KEY = b'{"\\ud800": 1}'
SURROGATE_VALUE = b'{"order_no": "\\ud800", "type": "\\udfff", "orders": [{"\\ud800": "\\udc00"}]}'
DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("body", [SURROGATE_KEY, SURROGATE_VALUE, DEEP], ids=["surrogate-key", "surrogate-value",
                                                                            "deep-nesting"])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_hostile_json_gets_a_readable_problem_not_a_500(client, token, path: str, body: bytes) -> None:
    client.post("/api/v1/orders", json=order_body(), headers=auth(token()))  # the order the order-level paths name
    response = client.post(path, data=body, content_type="application/json", headers=auth(token()))
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    problem = json.loads(response.get_data())
    assert problem["status"] == response.status_code and problem["detail"]


AT = "2026-06-01T07:40:00+08:00"
VALID = {  # a body each write endpoint takes, for the order GD202606010001 made first
    "/api/v1/orders": order_body("GD202606010009"),
    "/api/v1/orders/batch": {"orders": [order_body("GD202606010010")]},
    "/api/v1/12315/orders": {"tsjbbh": "T16", "sqlx": "投诉", "djsj": AT, "cbdwdm": "U-SCJ"},
    "/api/v1/orders/GD202606010001/events": {"type": "signed", "at": AT},
    "/api/v1/orders/GD202606010001/instructions": {"leader": "王市长", "text": "限期办结", "at": AT},
}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_utf16_body_is_read_as_json_on_every_write_endpoint(client, token, path: str, encoding: str) -> None:
    """RFC 8259 allows UTF-16 (with or without a BOM) between systems that agree on it: read it, never a 500."""
    client.post("/api/v1/orders", json=order_body(), headers=auth(token()))
    body = json.dumps(VALID[path], ensure_ascii=False).encode(encoding)
    response = client.post(path, data=body, content_type="application/json", headers=auth(token()))
    assert response.status_code in (200, 201, 202), response.get_data(as_text=True)


def test_a_utf16_order_keeps_its_chinese_text(client, token) -> None:
    body = json.dumps(order_body("GD202606010009"), ensure_ascii=False).encode("utf-16")
    response = client.post("/api/v1/orders", data=body, content_type="application/json", headers=auth(token()))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["order"]["title"] == "小区噪音扰民"
