"""Errors of the JSON API as RFC 9457 problem details (`application/problem+json`) with field-level reasons."""
from __future__ import annotations

import json
from typing import Any

from flask import Response
from werkzeug.exceptions import HTTPException

from engine.intake.fields import FieldError

PROBLEM_BASE = "https://duban.invalid/problems/"
TITLES = {400: "Malformed request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 406: "Not acceptable", 409: "Conflict", 413: "Request body too large",
          415: "Unsupported media type", 422: "Invalid input", 429: "Too many requests", 500: "Server error"}
SLUGS = {400: "malformed", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
         406: "not-acceptable", 409: "conflict", 413: "too-large", 415: "unsupported-media-type",
         422: "invalid-input", 429: "rate-limited", 500: "server-error"}


class ApiProblem(Exception):
    def __init__(self, status: int, detail: str, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors or [], headers or {}


def problem_body(status: int, detail: str, errors: list[FieldError] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": PROBLEM_BASE + SLUGS.get(status, "error"), "title": TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    return body


def problem_response(status: int, detail: str, errors: list[FieldError] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    response = Response(_json_text(problem_body(status, detail, errors)), status=status,
                        mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _json_text(body: dict[str, Any]) -> str:
    """JSON with Chinese as it is; a lone surrogate from the client's input (a field name like "\\ud800") cannot be
    sent as UTF-8, so such a body is written with \\u escapes instead of failing with a 500."""
    text = json.dumps(body, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body, ensure_ascii=True)
    return text


def from_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    detail = exc.description or TITLES.get(status, "Error")
    if status == 413:
        detail = "the request body is larger than this endpoint accepts"
    headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else None  # type: ignore[attr-defined]
    return problem_response(status, detail, headers=headers)
