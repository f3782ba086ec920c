"""The integration API under /api/v1: register(app) adds the blueprint, its docs and its problem+json errors."""
from __future__ import annotations

import html
import json
import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from web.api.openapi import document
from web.api.problems import ApiProblem, from_http, problem_response
from web.api.routes import bp

PREFIX = "/api/v1"


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(document())


@bp.get("/docs")
def docs() -> str:
    spec = document()
    parts = [f"<h1>{html.escape(spec['info']['title'])}</h1><p>{html.escape(spec['info']['description'])}</p>",
             '<p>Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a> (OpenAPI 3.0).</p>']
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            parts.append(f"<h2><code>{method.upper()} {html.escape(path)}</code></h2><p>{html.escape(op['summary'])}</p>")
            if op.get("description"):
                parts.append(f"<p>{html.escape(op['description'])}</p>")
            for param in op.get("parameters", []):
                parts.append(f"<p>parameter <code>{html.escape(param['name'])}</code> ({param['in']}): "
                             f"{html.escape(param.get('description', json.dumps(param['schema'], ensure_ascii=False)))}</p>")
            body = op.get("requestBody")
            if body:
                ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
                parts.append(_schema_table(ref, spec["components"]["schemas"][ref]))
            codes = ", ".join(sorted(op["responses"]))
            parts.append(f"<p>responses: {codes}</p>")
    return ("<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>Duban API</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{border:1px solid #ccc;"
            "padding:2px 6px}table{border-collapse:collapse}</style>" + "".join(parts) + "</html>")


def _schema_table(name: str, schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{html.escape(field)}</code>{' *' if field in required else ''}</td>"
        f"<td>{html.escape(prop.get('type', 'object'))}</td>"
        f"<td>{html.escape(' / '.join(prop['enum']) if 'enum' in prop else prop.get('description', ''))}</td></tr>"
        for field, prop in schema.get("properties", {}).items())
    return f"<p>body <code>{name}</code> (* required):</p><table><tr><th>field</th><th>type</th><th>meaning</th></tr>{rows}</table>"


@bp.errorhandler(ApiProblem)
def _problem(exc: ApiProblem) -> Response:
    return problem_response(exc.status, exc.detail, exc.errors, exc.headers)


@bp.errorhandler(Exception)
def _server_error(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return from_http(exc)
    logging.getLogger("duban.api").exception("API request failed")
    return problem_response(500, "the server failed; the error has been logged")


def register(app: Flask) -> None:
    app.register_blueprint(bp)


def is_api_path(path: str) -> bool:
    return path.startswith(PREFIX + "/") or path == PREFIX
