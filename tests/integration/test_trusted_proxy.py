"""`duban web` behind a real nginx with DUBAN_TRUSTED_PROXIES=1: the login limit and the audit log see each
browser's address (from nginx's X-Forwarded-For), not the proxy's, and nobody else's X-Forwarded-For is believed.

The clients are real connections from different loopback addresses (127.0.0.2, 127.0.0.3, …) to nginx on
127.0.0.1, which proxies to a `duban web` subprocess; nginx connects from 127.0.0.1, the proxy address Duban trusts.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from config.settings import Settings
from engine.persistence.tables import audit_log
from engine.services import Engine
from tests.integration.nginx_support import Nginx, free_port, from_address, need_nginx, start_duban_web, stop_process
from tests.web_login import PASSWORD, csrf_of, ensure_user
from workflows.bootstrap import build_engine

GUESSER, COLLEAGUE, OUTSIDER = "127.0.0.2", "127.0.0.3", "127.0.0.4"
PER_ADDRESS = 20  # failures from one address within 15 minutes before its logins are refused


@dataclass
class Site:
    engine: Engine
    proxy: str  # nginx
    direct: str  # duban web itself, as someone who gets past the proxy would reach it
    logs: Path

    def login(self, base: str, source: str, username: str, password: str, **headers: str) -> int:
        session = from_address(source)
        page = session.get(base + "/login", headers=headers, timeout=30).text
        response = session.post(base + "/login", headers=headers, allow_redirects=False, timeout=30,
                                data={"username": username, "password": password, "csrf_token": csrf_of(page)})
        return response.status_code

    def addresses(self, action: str) -> list[str]:
        with self.engine.store.reading() as tx:
            found = tx.c.execute(sa.select(audit_log.c.details).where(audit_log.c.action == action)
                                 .order_by(audit_log.c.id))
            return [row.details["address"] for row in found]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    need_nginx()
    url = f"sqlite:///{tmp_path}/duban.db"
    engine = build_engine(Settings(worker_id="test", secret_key="proxy-test-secret-0123456789"), database_url=url)
    ensure_user(engine, "leader.li", "leader")
    port = free_port()
    web, direct = start_duban_web(url, {"DUBAN_TRUSTED_PROXIES": "1", "DUBAN_PROXY_ADDRESS": "127.0.0.1",
                                        "DUBAN_SECRET_KEY": "proxy-test-secret-0123456789",
                                        "DUBAN_PUBLIC_URL": f"http://127.0.0.1:{port}", "DUBAN_COOKIE_SECURE": "0",
                                        "DUBAN_SMS_PROVIDER": "outbox"}, log=tmp_path / "web.log")
    try:
        with Nginx([direct.removeprefix("http://")], workdir=tmp_path / "nginx", port=port) as nginx:
            yield Site(engine, nginx.url, direct, tmp_path)
    finally:
        stop_process(web)


def test_one_guesser_behind_the_proxy_does_not_lock_out_another_and_the_audit_names_each(site: Site) -> None:
    for i in range(PER_ADDRESS):
        assert site.login(site.proxy, GUESSER, f"nobody{i}", "Wrong-password-1") == 401
    assert site.login(site.proxy, GUESSER, "leader.li", PASSWORD) == 429  # the guesser's address is limited
    # a colleague behind the same proxy signs in, even when claiming to be the guesser (nginx appends the address
    # it saw, and only that last hop is believed)
    assert site.login(site.proxy, COLLEAGUE, "leader.li", PASSWORD, **{"X-Forwarded-For": GUESSER}) == 302
    assert site.addresses("login.failed") == [GUESSER] * PER_ADDRESS
    assert site.addresses("login.throttled") == [GUESSER]
    assert site.addresses("login.succeeded") == [COLLEAGUE]


def test_a_forged_x_forwarded_for_sent_straight_to_duban_web_is_not_believed(site: Site) -> None:
    forged: dict[str, Any] = {"X-Forwarded-For": "198.51.100.23", "X-Forwarded-Proto": "https"}
    assert site.login(site.direct, OUTSIDER, "leader.li", "Wrong-password-1", **forged) == 401
    assert site.addresses("login.failed") == [OUTSIDER]  # its real address, not the one it claimed
    for i in range(PER_ADDRESS):
        assert site.login(site.proxy, GUESSER, f"nobody{i}", "Wrong-password-1") == 401
    # the limited guesser cannot escape its limit by going round the proxy with another address in the header
    assert site.login(site.direct, GUESSER, "leader.li", PASSWORD, **{"X-Forwarded-For": "203.0.113.9"}) == 429
    assert site.addresses("login.throttled") == [GUESSER]
