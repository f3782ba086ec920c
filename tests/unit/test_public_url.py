"""Where SMS links and Twilio callbacks point when DUBAN_PUBLIC_URL is not set: the address `duban web` was started
on, so a unit's link on a test server opens that server (issue 12, the acknowledgement link)."""
from __future__ import annotations

import pytest

from web.cli.serve import public_url

DEFAULT = "http://127.0.0.1:8000"


@pytest.mark.parametrize("host, port, expected", [
    ("10.1.2.3", 8080, "http://10.1.2.3:8080"),
    ("duban.local", 9000, "http://duban.local:9000"),
    ("::1", 8000, "http://[::1]:8000"),
    ("0.0.0.0", 8080, DEFAULT),  # a wildcard names no host a phone can reach: keep the configured one
])
def test_without_duban_public_url_links_use_the_server_address(host, port, expected, monkeypatch):
    monkeypatch.delenv("DUBAN_PUBLIC_URL", raising=False)
    assert public_url(DEFAULT, host, port) == expected


def test_duban_public_url_wins(monkeypatch):
    monkeypatch.setenv("DUBAN_PUBLIC_URL", "https://12345.example.gov.cn")
    assert public_url("https://12345.example.gov.cn", "127.0.0.1", 8000) == "https://12345.example.gov.cn"
