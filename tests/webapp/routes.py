"""The app's routes read from its url_map, so that a route added later is checked without editing the tests."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Flask

# What needs no signed-in user: named here on purpose (not imported from web.auth), so that widening the
# public set is a visible change to these tests.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "health", "metrics", "static"})  # metrics: token or this machine only
PUBLIC_BLUEPRINTS = frozenset({"api_v1", "twilio", "aliyun", "ack"})  # aliyun: the push URL holds a secret
# Path arguments that do not name anything a unit could be kept from.
NEUTRAL_ARGUMENTS = frozenset({"fmt", "label", "filename"})
FORMATS = {"documents.document_download": "pdf", "orders.order_export": "csv"}
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    methods: tuple[str, ...]
    arguments: frozenset[str]

    @property
    def blueprint(self) -> str | None:
        return self.endpoint.rsplit(".", 1)[0] if "." in self.endpoint else None

    @property
    def public(self) -> bool:
        return self.endpoint in PUBLIC_ENDPOINTS or self.blueprint in PUBLIC_BLUEPRINTS

    @property
    def names_something(self) -> bool:
        """Takes an order number, a card, task, document, message or appeal id, a unit code or a username."""
        return bool(self.arguments - NEUTRAL_ARGUMENTS)

    def path(self, values: dict[str, Any]) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "fmt":
                return FORMATS[self.endpoint]
            if name not in values:
                raise AssertionError(f"{self.rule}: give tests/webapp a value for <{name}>")
            return str(values[name])
        return _ARGUMENT.sub(fill, self.rule)

    def __str__(self) -> str:
        return f"{'/'.join(self.methods)} {self.rule} ({self.endpoint})"


def routes(app: Flask) -> list[Route]:
    return sorted((Route(r.endpoint, r.rule, tuple(sorted(r.methods - {"HEAD", "OPTIONS"})), frozenset(r.arguments))
                   for r in app.url_map.iter_rules()), key=lambda r: (r.rule, r.endpoint))


def private_routes(app: Flask) -> list[Route]:
    return [r for r in routes(app) if not r.public]
