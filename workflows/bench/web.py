"""Web benchmark: how fast the work-order list, search, detail and export are on a large database.

    python -m workflows.bench.web --orders 100000 [--database-url URL] [--requests 200]

1. A fresh database: a SQLite file in a temporary directory, or the given URL (PostgreSQL: a schema of its own,
   dropped afterwards). The engine is built on it once (migrations, process versions, the handling units, and one
   order opened for real, whose serialized workflow state every other open order copies).
2. Bulk fill, straight into the tables in batches of 5,000: N work orders over two years (mixed statuses, categories,
   urgencies and sources, deadlines from the real rules and calendar, Chinese titles from common 12345 topics),
   their events, a waiting workflow instance per unanswered order, SMS and card actions, cards (some withdrawn),
   and leadership instructions on about 1% of them. PostgreSQL is then ANALYZEd (autovacuum would do it);
   SQLite is left as a production file is, without statistics.
3. Timings (p50 / p95 / max in milliseconds, `--requests` samples each, random pages, words and orders):
   the data layer (order_search.search_orders, queries.order_detail, iter_orders + write_csv), then the same
   through the Flask app with a logged-in supervisor (list, filtered list, searches, detail, CSV export). The web
   part needs the app factory (`--app`, default web:create_app; the workflows layer never imports web itself)
   and engine.accounts to create the supervisor; without them only the data-layer figures are printed.

Figures go to stdout; progress to stderr when it is a terminal. The goal is p95 < 150 ms. Beside the wall times,
"cpu p95" is the benchmark thread's own CPU time per request: on a machine busy with other work the wall time
is inflated and this is not (on SQLite, where all the work is in-process, it is close to the wall time of an idle
machine; on PostgreSQL the server's part is missing from it).
"""
from __future__ import annotations

import argparse
import importlib
import io
import logging
import math
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timezone
from typing import Any, Protocol
from urllib.parse import urlencode

from config.settings import Settings
from engine.persistence import queries
from engine.persistence.order_filter import OrderFilter
from engine.persistence.order_search import iter_orders, search_orders
from engine.services import Engine
from workflows.argtypes import positive_int
from workflows.bench.output import Out
from workflows.bench.web_pages import time_every_page
from workflows.bench.web_data import (
    GOAL_MS,
    NOW,
    NUMBER_PREFIX,
    PASSWORD,
    SEARCH_WORDS,
    SECRET,
    SUPERVISOR,
    Dataset,
    analyze,
    database_size,
    fill,
    fresh_database,
    prepare_engine,
    reopen,
)
from workflows.order_export import write_csv


@dataclass(frozen=True)
class Figure:
    """Latencies of one kind of request, in milliseconds."""

    label: str
    millis: tuple[float, ...]
    note: str = ""
    errors: int = 0
    cpu: tuple[float, ...] = ()  # this process's CPU time per request (what a loaded machine does not inflate)

    @property
    def p50(self) -> float:
        return statistics.median(self.millis)

    @property
    def p95(self) -> float:
        return _p95(self.millis)

    @property
    def worst(self) -> float:
        return max(self.millis)

    @property
    def cpu_p95(self) -> float | None:
        return _p95(self.cpu) if self.cpu else None


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def print_table(out: Out, title: str, figures: Sequence[Figure]) -> None:
    out.line(f"\n== {title}")
    width = max(len(f.label) for f in figures)
    out.line(f"  {'':<{width}}  {'p50':>8} {'p95':>8} {'max':>8} {'cpu p95':>8}  n    goal")
    for f in figures:
        verdict = "ok" if f.p95 < GOAL_MS and not f.errors else "SLOW" if not f.errors else f"{f.errors} ERRORS"
        note = f"  ({f.note})" if f.note else ""
        cpu = "" if f.cpu_p95 is None else f"{f.cpu_p95:.1f}"
        out.line(f"  {f.label:<{width}}  {f.p50:>8.1f} {f.p95:>8.1f} {f.worst:>8.1f} {cpu:>8}  {len(f.millis):<4} "
                 f"{verdict}{note}")


def timed(label: str, samples: int, run: Callable[[int], object], note: str = "") -> Figure:
    """Run `run(i)` `samples` times (after one warm-up call) and keep each duration."""
    run(-1)
    millis, cpu = [], []
    for i in range(samples):
        began, began_cpu = time.perf_counter(), time.thread_time()
        run(i)
        millis.append((time.perf_counter() - began) * 1000)
        cpu.append((time.thread_time() - began_cpu) * 1000)
    return Figure(label, tuple(millis), note, cpu=tuple(cpu))


# ---------------------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class Samples:
    """The random requests of one run, the same for the data layer and the web (index i -> the i-th request)."""

    pages: list[int]
    units: list[str]
    words: list[str]
    prefixes: list[str]
    numbers: list[str]
    export_units: list[str]

    @classmethod
    def draw(cls, data: Dataset, count: int, seed: int = 2026) -> Samples:
        rng = random.Random(seed)
        return cls(pages=[rng.randint(1, 20) for _ in range(count)],
                   units=[rng.choice(data.units) for _ in range(count)],
                   words=[rng.choice(SEARCH_WORDS) for _ in range(count)],
                   prefixes=[rng.choice(data.day_prefixes) for _ in range(count)],
                   numbers=[rng.choice(data.numbers) for _ in range(count)],
                   export_units=[rng.choice(data.units) for _ in range(max(1, count // 10))])

    def filters(self) -> dict[str, Callable[[int], OrderFilter]]:
        """The list requests by name (the same for both layers); i = -1 is the warm-up."""
        return {
            "list, default (page 1)": lambda i: OrderFilter(),
            "list, random page 1-20": lambda i: OrderFilter(page=self.pages[i]),
            "list, status=signed + overdue": lambda i: OrderFilter(status="signed", overdue=True),
            "list, overdue, by deadline": lambda i: OrderFilter(overdue=True, sort="deadline_at", descending=False),
            "list, one unit (unit user)": lambda i: OrderFilter(unit_code=self.units[i]),
            "list, active card": lambda i: OrderFilter(card="any"),
            "list, instructed": lambda i: OrderFilter(instructed=True),
            "search, title word": lambda i: OrderFilter(q=self.words[i]),
            "search, number prefix (a day)": lambda i: OrderFilter(q=self.prefixes[i]),
            "search, whole number": lambda i: OrderFilter(q=self.numbers[i]),
        }


def data_layer(engine: Engine, samples: Samples, count: int) -> list[Figure]:
    now = NOW.astimezone(timezone.utc)
    figures = []
    for label, make in samples.filters().items():
        totals: list[int] = []

        def run(i: int, make: Callable[[int], OrderFilter] = make, totals: list[int] = totals) -> None:
            with engine.store.reading() as tx:
                totals.append(search_orders(tx.c, make(i), now=now).total)

        figure = timed(label, count, run)
        figures.append(replace(figure, note=f"~{statistics.median(totals):,.0f} matching"))

    def detail(i: int) -> None:
        with engine.store.reading() as tx:
            assert queries.order_detail(tx.c, samples.numbers[i]) is not None

    figures.append(timed("detail (queries.order_detail)", count, detail))
    exported: list[int] = []

    def export(i: int) -> None:
        with engine.store.reading() as tx:
            rows = iter_orders(tx.c, OrderFilter(unit_code=samples.export_units[i]), now=now)
            exported.append(write_csv(rows, io.BytesIO()))

    figure = timed("CSV export, one unit's orders", len(samples.export_units), export)
    figures.append(replace(figure, note=f"~{statistics.median(exported):,.0f} rows"))
    return figures


# ---------------------------------------------------------------------------------------- through the web app
class Response(Protocol):
    status_code: int

    def get_data(self, as_text: bool = False) -> Any: ...


class Client(Protocol):
    """A WSGI test client (flask.testing.FlaskClient, werkzeug.test.Client)."""

    def get(self, path: str, **kwargs: Any) -> Response: ...

    def post(self, path: str, **kwargs: Any) -> Response: ...


CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')


def log_in(client: Client, username: str, password: str) -> None:
    """GET /login for the CSRF token, then POST the form; raises when the app does not let the user in."""
    page = client.get("/login")
    match = CSRF.search(page.get_data(as_text=True))
    if page.status_code != 200 or match is None:
        raise RuntimeError(f"GET /login answered {page.status_code} without a csrf_token field")
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": match.group(1) or match.group(2)})
    if answer.status_code not in (200, 302, 303):
        raise RuntimeError(f"POST /login answered {answer.status_code}")
    if client.get("/orders").status_code != 200:
        raise RuntimeError("logged in, but GET /orders is not 200 (wrong password or no list page)")


def time_pages(app_client: Client, samples: Samples, count: int) -> list[Figure]:
    """The list, search, detail and export pages through the app, as the logged-in `app_client`."""
    pages: dict[str, tuple[Callable[[int], str], int]] = {
        label: ((lambda i, make=make: _path("/orders", make(i))), count) for label, make in samples.filters().items()}
    pages["detail page"] = ((lambda i: f"/orders/{samples.numbers[i]}"), count)
    pages["workbench (call queue, first page)"] = ((lambda i: "/workbench"), count)
    pages["workbench (call queue, page 50)"] = ((lambda i: "/workbench?page=50"), count)
    pages["CSV export, one unit's orders"] = (
        (lambda i: _path("/orders/export.csv", OrderFilter(unit_code=samples.export_units[i]))),
        len(samples.export_units))
    figures = []
    for label, (path, n) in pages.items():
        failures: list[str] = []

        def run(i: int, path: Callable[[int], str] = path, failures: list[str] = failures) -> None:
            response = app_client.get(path(i))
            response.get_data()
            if response.status_code != 200 and i >= 0:  # i = -1: the warm-up
                failures.append(f"{path(i)} -> {response.status_code}")

        figure = timed(label, n, run)
        figures.append(replace(figure, errors=len(failures), note=failures[0] if failures else ""))
    return figures


def _path(base: str, f: OrderFilter) -> str:
    args = f.to_args()
    return f"{base}?{urlencode(args)}" if args else base


def web_layer(engine: Engine, url: str, app_spec: str, samples: Samples, count: int) -> tuple[list[Figure], str]:
    """The web figures, or none and the reason they cannot be measured yet."""
    try:
        factory = _load_factory(app_spec)
        from engine.accounts.service import Accounts  # type: ignore[import-not-found]
    except (ImportError, AttributeError, ValueError) as exc:
        return [], f"web figures skipped: {exc}"
    settings = replace(Settings.from_env(), worker_id="web-bench", secret_key=SECRET, database_url=url)
    try:
        create_supervisor(Accounts, engine)
        app = factory(settings, engine=engine)
        app.logger.setLevel(logging.CRITICAL)  # a failing page is counted and named in the table, not logged 200 times
        client = app.test_client()
        log_in(client, SUPERVISOR, PASSWORD)
    except Exception as exc:  # the web layer is someone else's and may be half-built: report, keep the figures
        return [], f"web figures skipped: {type(exc).__name__}: {exc}"
    return time_pages(client, samples, count), ""


def every_page(engine: Engine, url: str, app_spec: str, samples: Samples, count: int,
               out: Out, only: str | None = None) -> dict[str, list[Figure]]:
    """Every page each role can open, from the URL map (workflows/bench/web_pages.py)."""
    from engine.accounts.service import Accounts  # type: ignore[import-not-found]

    settings = replace(Settings.from_env(), worker_id="web-bench-pages", secret_key=SECRET, database_url=url)
    app = _load_factory(app_spec)(settings, engine=engine)
    app.logger.setLevel(logging.CRITICAL)
    return time_every_page(app, engine, Accounts, samples.numbers, sorted(set(samples.units)), count, out, timed,
                           log_in, only)


def _load_factory(spec: str) -> Callable[..., Any]:
    """`module:function`, imported by name (the workflows layer may not import web directly)."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"--app must look like module:function, got {spec!r}")
    return getattr(importlib.import_module(module), name)


def create_supervisor(accounts_class: Any, engine: Engine) -> None:
    """The benchmark's supervisor, through the accounts service."""
    accounts = accounts_class(engine.store, engine.clock)
    if accounts.by_username(SUPERVISOR) is not None:  # a kept database
        return
    accounts.create(username=SUPERVISOR, display_name="基准测试督办员", role="supervisor", password=PASSWORD,
                    actor="web-benchmark")


# ---------------------------------------------------------------------------------------- main
def run(orders: int, url: str | None, requests: int, app_spec: str, out: Out,
        pages_requests: int = 30, keep: bool = False, only: str | None = None) -> dict[str, list[Figure]]:
    for name in ("duban", "alembic", "spiff", "werkzeug"):
        logging.getLogger(name).setLevel(logging.WARNING)
    results: dict[str, list[Figure]] = {}
    with fresh_database(url, keep) as (db_url, shown, reuse):
        out.line(f"Duban web benchmark: {orders:,} work orders on {shown}; now = {NOW:%Y-%m-%d %H:%M} (+08:00)")
        began = time.perf_counter()
        if reuse:
            engine, data = reopen(db_url, orders)
        else:
            engine, units, key, state = prepare_engine(db_url)
            data = fill(engine, units, key, state, max(orders - 1, 0), out)
            data.numbers.append(f"{NUMBER_PREFIX}{NOW.strftime('%Y%m%d')}00000")
        units = data.units
        filled = time.perf_counter() - began
        stats = analyze(engine)
        counts = ", ".join(f"{table} {n:,}" for table, n in data.rows.items())
        out.line(f"  {'reopened' if reuse else 'filled'} in {filled:.1f} s: {counts}; {len(units)} units; {database_size(engine)}; {stats}")
        samples = Samples.draw(data, requests)
        if only is not None:  # a few pages again, e.g. alone when the machine is idle
            out.line(f"\nThe pages matching {only!r} (read from the URL map), milliseconds")
            for role, role_figures in every_page(engine, db_url, app_spec, samples, pages_requests, out, only).items():
                results[f"pages ({role})"] = role_figures
                if role_figures:
                    print_table(out, f"As {role}", role_figures)
            engine.store.engine.dispose()
            return results
        results["data layer"] = data_layer(engine, samples, requests)
        print_table(out, "Data layer (one pooled connection per request, as a page uses it), milliseconds",
                    results["data layer"])
        figures, why = web_layer(engine, db_url, app_spec, samples, requests)
        if figures:
            results["web"] = figures
            print_table(out, "Through the Flask app (test client, logged-in supervisor), milliseconds", figures)
            out.line("\nEvery page each role can open (read from the URL map), milliseconds")
            for role, role_figures in every_page(engine, db_url, app_spec, samples, min(requests, pages_requests),
                                                 out).items():
                results[f"pages ({role})"] = role_figures
                print_table(out, f"As {role}", role_figures)
        else:
            out.line(f"\n  {why}; only the data-layer figures above were measured.")
        engine.store.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflows.bench.web", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=positive_int, default=100_000, help="work orders to create (100,000)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (a schema of its own, dropped afterwards) or a new SQLite file; "
                             "default: a temporary SQLite file")
    parser.add_argument("--requests", type=positive_int, default=200, help="samples per measurement (200)")
    parser.add_argument("--app", default="web:create_app", help="the Flask app factory, module:function")
    parser.add_argument("--page-requests", type=positive_int, default=30,
                        help="samples per page in the every-page table (30)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the filled database (the PostgreSQL schema is not dropped) and, when the given one "
                             "was kept by an earlier run, reuse it instead of filling again (minutes at 100,000)")
    parser.add_argument("--only", metavar="REGEX", default=None,
                        help="time only the pages whose path matches (each role), skipping the other tables; with "
                             "--keep, to measure a slow page again on a kept fill")
    args = parser.parse_args(argv)
    results = run(args.orders, args.database_url, args.requests, args.app, Out(), args.page_requests, args.keep,
                  args.only)
    slow = [f.label for figures in results.values() for f in figures if f.p95 >= GOAL_MS or f.errors]
    if slow:
        print(f"\nOver the {GOAL_MS:.0f} ms p95 goal or failing: {', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
