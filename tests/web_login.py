"""Signing test clients in as users of each role, and posting forms with the session's CSRF token."""
from __future__ import annotations

import re
from typing import Any

from engine.accounts.service import Accounts
from engine.services import Engine

PASSWORD = "Test-password-2026"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def ensure_user(engine: Engine, username: str, role: str, unit: str | None = None) -> None:
    accounts = Accounts(engine.store, engine.clock)
    if accounts.by_username(username) is None:
        accounts.create(username=username, display_name=f"{username} 测试", role=role, unit_code=unit,
                        password=PASSWORD)


def sign_in(client: Any, username: str, password: str = PASSWORD) -> Any:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def client_as(app: Any, engine: Engine, username: str, role: str, unit: str | None = None) -> Any:
    ensure_user(engine, username, role, unit)
    return sign_in(app.test_client(), username)


def token(client: Any) -> str:
    return csrf_of(client.get("/account/password").get_data(as_text=True))


def post(client: Any, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form the way a browser does: with the session's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": token(client)}, **kwargs)


def live_session(base: str, engine: Engine, username: str, role: str, unit: str | None = None) -> Any:
    """A `requests` session signed in to a live server at `base`."""
    import requests

    ensure_user(engine, username, role, unit)
    session = requests.Session()
    page = session.get(base + "/login", timeout=5).text
    response = session.post(base + "/login", data={"username": username, "password": PASSWORD,
                                                   "csrf_token": csrf_of(page)}, timeout=5, allow_redirects=False)
    assert response.status_code == 302, response.text[:300]
    return session
