"""Bearer tokens with scopes, and a per-client rate limit (a token bucket in the database, shared by every web
process, on the engine's clock: engine/persistence/rate_limit.py)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from web.api.problems import ApiProblem
from web.context import duban
from workflows.intake.service import authenticate, spend_request

F = TypeVar("F", bound=Callable[..., Any])


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
            wait = spend_request(duban(), client)
            if wait > 0:
                raise ApiProblem(429, f"rate limit of {client['rate_per_minute']} requests a minute reached",
                                 headers={"Retry-After": str(max(int(wait + 0.999), 1))})
            g.api_client = client
            return view(*args, **kwargs)
        return cast(F, wrapper)
    return decorate
