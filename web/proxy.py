"""Behind a reverse proxy: which peer's X-Forwarded-For / X-Forwarded-Proto `duban web` believes.

waitress reads them itself, before the app: from the proxy at DUBAN_PROXY_ADDRESS only, taking the client's address
DUBAN_TRUSTED_PROXIES hops from the end of X-Forwarded-For (each proxy appends the address it saw), so the login
limit and the audit log see the browser, not the proxy. From any other peer these headers are dropped, so a client
that reaches `duban web` directly cannot pose as another address. With DUBAN_TRUSTED_PROXIES=0 (nothing in front)
they are dropped from everyone.
"""
from __future__ import annotations

from typing import Any

from config.settings import Settings

BELIEVED_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto"})


def waitress_proxy_options(settings: Settings) -> dict[str, Any]:
    if not settings.trusted_proxies:
        return {"clear_untrusted_proxy_headers": True}
    return {"trusted_proxy": settings.proxy_address, "trusted_proxy_count": settings.trusted_proxies,
            "trusted_proxy_headers": set(BELIEVED_HEADERS), "clear_untrusted_proxy_headers": True}
