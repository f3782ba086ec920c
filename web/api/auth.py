"""Bearer tokens with scopes, and a per-client rate limit (token bucket, per web process, on the engine's clock)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast

from flask import current_app, g, request

from web.api.problems import ApiProblem
from web.context import duban
from workflows.intake.service import authenticate

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RateLimiter:
    """Each client may make `rate_per_minute` requests a minute on average, in bursts of up to that many."""

    buckets: dict[str, tuple[float, datetime]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, client: str, rate_per_minute: int, now: datetime) -> float:
        """0 when the request may go on; otherwise the seconds to wait."""
        with self.lock:
            tokens, last = self.buckets.get(client, (float(rate_per_minute), now))
            elapsed = max((now - last).total_seconds(), 0.0)
            tokens = min(float(rate_per_minute), tokens + elapsed * rate_per_minute / 60.0)
            if tokens >= 1.0:
                self.buckets[client] = (tokens - 1.0, now)
                return 0.0
            self.buckets[client] = (tokens, now)
            return (1.0 - tokens) * 60.0 / rate_per_minute



def current_client() -> dict[str, Any]:
    return cast(dict[str, Any], g.api_client)


def requires(*scopes: str) -> Callable[[F], F]:
    """The request must carry a live token holding one of `scopes`; it counts against the client's rate."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip() or len(token) > 200:
                raise ApiProblem(401, "send the client's token as `Authorization: Bearer <token>`",
                                 headers={"WWW-Authenticate": 'Bearer realm="duban"'})
            client = authenticate(duban(), token.strip())
            if client is None:
                raise ApiProblem(401, "the token is unknown or has been revoked",
                                 headers={"WWW-Authenticate": 'Bearer realm="duban", error="invalid_token"'})
            if not set(scopes) & set(client["scopes"]):
                raise ApiProblem(403, f"this client's token lacks the scope {' or '.join(scopes)}",
                                 headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scopes[0]}"'})
            limiter: RateLimiter = current_app.extensions["duban.api.limiter"]
            wait = limiter.take(client["name"], client["rate_per_minute"], duban().clock.now())
            if wait > 0:
                raise ApiProblem(429, f"rate limit of {client['rate_per_minute']} requests a minute reached",
                                 headers={"Retry-After": str(max(int(wait + 0.999), 1))})
            g.api_client = client
            return view(*args, **kwargs)
        return cast(F, wrapper)
    return decorate
