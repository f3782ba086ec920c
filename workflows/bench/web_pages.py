"""Every page a signed-in user can open, for each role, read from the app's URL map (as tests/webapp does), so a
slow page cannot hide: GET routes outside the public blueprints, their path arguments filled from the benchmark's
data; the assessment for a month, a quarter and the year; each timed `count` times with the goal column.

The assessment pages read kept figures: before timing, the worker's refresh job runs once (as `duban worker`
does every few minutes), and its time is printed."""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from engine.assessment.periods import month_of
from engine.persistence.document_tables import documents
from engine.persistence.tables import outbox
from engine.services import Engine
from workflows.bench.output import Out
from workflows.bench.web_data import NOW, PASSWORD

PUBLIC_BLUEPRINTS = ("api_v1", "twilio", "ack", "auth", "static")
ROLES = (("supervisor", None), ("leader", None), ("admin", None), ("unit", "first"))
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
FORMATS = {"documents.document_download": "pdf", "orders.order_export": "csv"}


def page_paths(app: Any, values: dict[str, Callable[[int], str]]) -> tuple[dict[str, Callable[[int], str]], list[str]]:
    """(label -> path for request i) for every GET page; and the routes left out for want of an argument."""
    paths: dict[str, Callable[[int], str]] = {}
    skipped = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else rule.endpoint
        if "GET" not in rule.methods or blueprint in PUBLIC_BLUEPRINTS or rule.endpoint in ("health", "workbench.home"):
            continue
        missing = [a for a in rule.arguments if a not in values and a != "fmt"]
        if missing:
            skipped.append(f"{rule.rule} (no {', '.join(missing)} in the data)")
            continue
        paths[rule.rule] = _filler(rule.rule, rule.endpoint, values)
    month = month_of(NOW)  # the open month; before it, the last closed one
    for label in (_previous_month_label(month.first_day.year, month.first_day.month), month.label,
                  f"{NOW.year}Q{(NOW.month - 1) // 3 + 1}", str(NOW.year)):
        paths[f"/assessment?period={label}"] = lambda i, label=label: f"/assessment?period={label}"
    year_export = f"/assessment/{NOW.year}/export.xlsx"  # the largest workbook (the rule above: the last month)
    paths[year_export] = lambda i: year_export
    return paths, skipped


def _previous_month_label(year: int, month: int) -> str:
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


def _filler(rule: str, endpoint: str, values: dict[str, Callable[[int], str]]) -> Callable[[int], str]:
    def path(i: int) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            return FORMATS.get(endpoint, "pdf") if name == "fmt" else values[name](i)
        return _ARGUMENT.sub(fill, rule)
    return path


def argument_values(engine: Engine, numbers: Sequence[str], units: Sequence[str]) -> dict[str, Callable[[int], str]]:
    with engine.store.reading() as tx:
        document = tx.c.execute(sa.select(sa.func.min(documents.c.id))).scalar()
        message = tx.c.execute(sa.select(sa.func.min(outbox.c.id))).scalar()
    month = month_of(NOW)
    label = _previous_month_label(month.first_day.year, month.first_day.month)
    values: dict[str, Callable[[int], str]] = {
        "number": lambda i: numbers[i % len(numbers)], "code": lambda i: units[i % len(units)],
        "unit_code": lambda i: units[i % len(units)], "label": lambda i: label, "year": lambda i: str(NOW.year)}
    if document is not None:
        values["document_id"] = lambda i: str(document)
    if message is not None:
        values["message_id"] = lambda i: str(message)
    return values


def time_every_page(app: Any, engine: Engine, accounts_class: Any, numbers: Sequence[str], units: Sequence[str],
                    count: int, out: Out, timed: Callable[..., Any],
                    log_in: Callable[[Any, str, str], None], only: str | None = None) -> dict[str, list[Any]]:
    """Per role, every page it can open (a 403 or 404 on the first request: not its page, not timed)."""
    began = time.perf_counter()
    recomputed = app.extensions["duban.assessment"].refresh()
    out.line(f"  assessment kept current by the worker's refresh: {len(recomputed)} months computed in "
             f"{time.perf_counter() - began:.1f} s (once; afterwards only months whose facts changed)")
    accounts = accounts_class(engine.store, engine.clock)
    values = argument_values(engine, numbers, units)
    results: dict[str, list[Any]] = {}
    for role, unit in ROLES:
        unit_code = units[0] if unit else None
        own = {"code": lambda i: units[0], "unit_code": lambda i: units[0]} if unit else {}  # its own unit, not 404s
        paths, skipped = page_paths(app, {**values, **own})
        if only is not None:
            paths = {label: path for label, path in paths.items() if re.search(only, label)}
        username = f"pages-{role}"
        if accounts.by_username(username) is None:  # a kept database has them
            accounts.create(username=username, display_name=f"基准{role}", role=role, password=PASSWORD,
                            unit_code=unit_code, actor="web-benchmark")
        client = app.test_client()
        log_in(client, username, PASSWORD)
        figures = []
        for label, path in paths.items():
            first = client.get(path(0))
            first.get_data()
            if first.status_code in (403, 404):
                continue
            failures: list[str] = []

            streamed: list[bool] = []

            def run(i: int, path: Callable[[int], str] = path, failures: list[str] = failures,
                    streamed: list[bool] = streamed) -> None:
                response = client.get(path(i))
                download = "attachment" in response.headers.get("Content-Disposition", "")
                if download and "Content-Length" not in response.headers:  # streamed: the user waits for its start
                    next(iter(response.response), b"")
                    response.close()
                    streamed.append(True)
                else:
                    response.get_data()
                if response.status_code not in (200, 403, 404) and i >= 0:
                    failures.append(f"{path(i)} -> {response.status_code}")

            figure = timed(label, count, run)
            note = failures[0] if failures else "streamed: time to the first piece" if streamed else ""
            figures.append(replace(figure, errors=len(failures), note=note))
        results[role] = figures
    if skipped:
        out.line("  not timed (no such record in the benchmark data): " + "; ".join(skipped))
    return results

