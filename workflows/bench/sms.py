"""SMS benchmark: how fast the outbox hands messages to Twilio and takes their receipts, and what becomes of each
failure Twilio can throw at it. Prints figures; it is not a test.

Everything is real except Twilio itself: the `twilio` client talks HTTP to workflows.dev.fake_twilio.FakeTwilio, the
outbox is the engine's (a SQLite file in a temporary directory, and PostgreSQL when a URL is given), and the time
is a VirtualClock so back-off and check windows can be skipped.

1. Sending: 20 units with 2 mobiles each; N work orders (default 2,000, `--quick` 200), each queuing one
   `dispatched` SMS per phone. `SmsDelivery.run()` passes are timed until nothing is pending.
   - spread: orders opened round-robin, one per unit per minute from a working-day 10:00, and one pass per minute,
     so a pass holds one message per phone and nothing is merged: every outbox row becomes one Twilio message.
   - burst (SQLite only): all N orders at 10:00. A pass claims at most `limit` rows (SmsDelivery.run's default),
     and several reminders for one phone in one pass become one digest, so far fewer messages reach Twilio than
     rows are settled. Both are counted.
   "Messages" is always len(fake.messages): what Twilio actually accepted.
2. Receipts: one signed `delivered` status callback per message, posted by the fake over HTTP to a WSGI endpoint
   on a real port. The workflows layer may not import flask or web (tests/unit/test_layers.py), so that endpoint
   is a small werkzeug app running the same code as web/hooks/twilio.py status_callback: check the
   X-Twilio-Signature with gateway.signature_valid, then sms.receipts.apply(TwilioSmsGateway.receipt(...)).
3. Failure cases, each on a fresh SQLite database and a fresh fake, driven for real with the clock moved to each
   message's next due time: final outbox statuses and how many messages the fake accepted.
"""
from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from workflows.argtypes import positive_int
from workflows.bench.output import Out
from workflows.bench.sms_world import (
    PG_SCHEMA,
    PHONES_PER_UNIT,
    START,
    UNITS,
    World,
    open_order,
    phone,
    register_units,
    world,
)

DEFAULT_ORDERS, QUICK_ORDERS = 2_000, 200
CASE_TIMEOUT, SLOW_SECONDS = 0.3, 2.0  # Twilio client timeout in the failure cases; the "slow" answer's delay


def _rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


# ---------------------------------------------------------------------------------------- 1 + 2: throughput
@dataclass
class Throughput:
    label: str
    orders: int
    rows: int = 0  # outbox rows the orders queued
    open_seconds: float = 0.0
    passes: int = 0
    send_seconds: float = 0.0
    messages: int = 0  # accepted by the fake Twilio
    statuses: dict[str, int] = field(default_factory=dict)
    receipts: int = 0
    receipt_seconds: float = 0.0
    receipts_ok: int = 0  # HTTP 200 answers
    delivered: int = 0  # rows marked delivered afterwards

    @property
    def messages_per_s(self) -> float:
        return _rate(self.messages, self.send_seconds)

    @property
    def rows_per_s(self) -> float:
        return _rate(self.rows, self.send_seconds)

    @property
    def receipts_per_s(self) -> float:
        return _rate(self.receipts, self.receipt_seconds)


def _drain(w: World, result: Throughput, out: Out) -> None:
    """Timed delivery passes until nothing is due (each pass claims at most SmsDelivery.run's default limit)."""
    while w.due_now():
        began = time.perf_counter()
        w.run()
        result.send_seconds += time.perf_counter() - began
        result.passes += 1
        out.progress(f"{result.label}: {result.passes} passes, {len(w.fake.messages)} messages at Twilio")


def measure_throughput(database_url: str, orders: int, *, spread: bool, label: str, out: Out,
                       receipts: bool = True) -> Throughput:
    result = Throughput(label, orders)
    with world(database_url) as w:
        units = register_units(w)
        began = time.perf_counter()
        if spread:  # one order per unit per minute; one pass per minute: one message per phone per pass
            rounds = -(-orders // len(units))
            for r in range(rounds):
                w.clock.set(START + timedelta(minutes=r))
                for i, unit in enumerate(units[: orders - r * len(units)]):
                    open_order(w, f"S{r:04d}-{i:02d}", unit)
                out.progress(f"{label}: opened {min(orders, (r + 1) * len(units))}/{orders} orders")
            result.open_seconds = time.perf_counter() - began
            result.rows = sum(w.status_counts().values())
            for r in range(rounds):
                w.clock.set(START + timedelta(minutes=r))
                _drain(w, result, out)
        else:  # everything at 10:00
            for i in range(orders):
                open_order(w, f"B{i:05d}", units[i % len(units)])
                if i % 100 == 0:
                    out.progress(f"{label}: opened {i}/{orders} orders")
            result.open_seconds = time.perf_counter() - began
            result.rows = sum(w.status_counts().values())
            _drain(w, result, out)
        result.messages = len(w.fake.messages)
        if receipts:
            began = time.perf_counter()
            for n, message in enumerate(list(w.fake.messages)):
                result.receipts_ok += w.fake.deliver(message.sid, "delivered") == 200
                result.receipts += 1
                if n % 100 == 0:
                    out.progress(f"{label}: {n}/{result.messages} receipts posted")
            result.receipt_seconds = time.perf_counter() - began
        result.statuses = w.status_counts()
        result.delivered = result.statuses.get("delivered", 0)
    out.done()
    return result


# ---------------------------------------------------------------------------------------- 3: failure cases
@dataclass(frozen=True)
class Case:
    name: str
    script: tuple[str, ...]
    expected: tuple[str, ...]  # final outbox statuses, oldest row first
    expected_accepted: int  # messages the fake should end up holding
    receipt: tuple[str, int] | None = None  # a receipt posted for the first accepted message
    bad_number: bool = False  # the number should end marked failing


CASES = (
    Case("21211 invalid number", ("error:400:21211",), ("failed",), 0, bad_number=True),
    Case("21610 unsubscribed", ("error:400:21610",), ("failed",), 0, bad_number=True),
    Case("429 then success", ("error:429:20429", "accept"), ("queued",), 1),
    Case("503 x5 (max attempts)", ("error:503:0",) * 5, ("failed",), 0),
    Case("slow (client timeout)", (f"slow:{SLOW_SECONDS:g}",), ("queued",), 1),
    Case("drop before acceptance", ("drop",), ("queued",), 1),
    Case("drop after acceptance", ("drop_after_accept",), ("queued",), 1),
    Case("undelivered 30003 receipt", ("accept", "accept"), ("undelivered", "queued"), 2,
         receipt=("undelivered", 30003)),
    Case("failed 30006 receipt", ("accept",), ("failed",), 1, receipt=("failed", 30006), bad_number=True),
)


@dataclass(frozen=True)
class CaseResult:
    case: Case
    statuses: tuple[str, ...]
    accepted: int
    requests: int  # POSTs the fake received (attempts that reached it)
    attempts: tuple[int, ...]
    tasks: int
    failing_numbers: int
    passes: int
    virtual_minutes: float
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return (self.statuses == self.case.expected and self.accepted == self.case.expected_accepted
                and (self.failing_numbers > 0) == self.case.bad_number
                and (self.tasks > 0) == ("failed" in self.statuses))


def run_case(case: Case, database_url: str) -> CaseResult:
    with world(database_url, timeout=CASE_TIMEOUT) as w:
        w.engine.register_unit("U1", "揭阳市生态环境局", [phone(1, 1)])
        open_order(w, "WO-1", "U1")
        w.fake.script(*case.script)
        w.run()
        passes = 1
        if case.receipt is not None and w.fake.messages:
            status, code = case.receipt
            answered = w.fake.deliver(w.fake.messages[0].sid, status, code)
            if answered != 200:
                raise RuntimeError(f"{case.name}: the status callback answered HTTP {answered}")
        for _ in range(30):  # move the clock to the next due message until none is left waiting
            waiting = [r["send_at"] for r in w.rows() if r["status"] in ("pending", "unknown")]
            if not waiting:
                break
            w.clock.set(max(w.clock.now(), min(waiting)))
            w.run()
            passes += 1
        rows = w.rows()
        posts = sum(1 for r in w.fake.requests if r.method == "POST")
        return CaseResult(case, tuple(r["status"] for r in rows), len(w.fake.messages), posts,
                          tuple(r["attempts"] for r in rows), w.sms_tasks(), w.failing_numbers(), passes,
                          (w.clock.now() - START).total_seconds() / 60,
                          tuple(r["error_code"] or "" for r in rows))


def run_cases(workdir: Path, out: Out, cases: tuple[Case, ...] = CASES) -> list[CaseResult]:
    results = []
    for n, case in enumerate(cases):
        out.progress(f"failure case {n + 1}/{len(cases)}: {case.name}")
        results.append(run_case(case, f"sqlite:///{workdir}/case-{n}.db"))
    out.done()
    return results


# ---------------------------------------------------------------------------------------- PostgreSQL
@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema on the server for one measurement, dropped afterwards."""
    from workflows.bench.engine import reset_schema, schema_url

    reset_schema(url, PG_SCHEMA)
    try:
        yield schema_url(url, PG_SCHEMA)
    finally:
        reset_schema(url, PG_SCHEMA, recreate=False)


# ---------------------------------------------------------------------------------------- report
def _throughput_lines(out: Out, t: Throughput) -> None:
    out.line(f"  {t.label}: {t.orders:,} orders → {t.rows:,} outbox rows (opened in {t.open_seconds:.1f} s)")
    out.line(f"    sending   {t.passes} passes in {t.send_seconds:.2f} s: {t.messages:,} messages accepted by Twilio "
             f"= {t.messages_per_s:,.0f} messages/s ({t.rows_per_s:,.0f} outbox rows settled/s)")
    if t.receipts:
        out.line(f"    receipts  {t.receipts:,} signed 'delivered' callbacks over HTTP in {t.receipt_seconds:.2f} s "
                 f"= {t.receipts_per_s:,.0f} receipts/s ({t.receipts_ok:,} answered 200, {t.delivered:,} rows "
                 "now delivered)")
    shown = ", ".join(f"{k} {v:,}" for k, v in sorted(t.statuses.items()))
    out.line(f"    final outbox: {shown}")


def _case_table(out: Out, results: list[CaseResult]) -> None:
    header = f"  {'case':<27} {'final status(es)':<22} {'accepted':>8} {'POSTs':>5} {'attempts':<9} " \
             f"{'task':<4} {'bad no.':<7} {'virtual min':>11}  ok"
    out.line(header)
    out.line("  " + "-" * (len(header) - 2))
    for r in results:
        out.line(f"  {r.case.name:<27} {' → '.join(r.statuses):<22} {r.accepted:>8} {r.requests:>5} "
                 f"{','.join(map(str, r.attempts)):<9} {'yes' if r.tasks else 'no':<4} "
                 f"{'marked' if r.failing_numbers else '-':<7} {r.virtual_minutes:>11.0f}  "
                 f"{'ok' if r.ok else 'EXPECTED ' + ' → '.join(r.case.expected) + f' / {r.case.expected_accepted}'}")


def run_benchmark(orders: int = DEFAULT_ORDERS, *, postgres_url: str | None = None, burst: bool = True,
                  out: Out | None = None) -> dict[str, Any]:
    """Every measurement; prints as it goes and returns the figures (for tests: small `orders`)."""
    out = out or Out()
    for name in ("duban", "spiff", "alembic", "werkzeug", "twilio", "workflows.dev.fake_twilio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # the failure cases log errors on purpose
    summary: dict[str, Any] = {"orders": orders, "throughput": [], "cases": []}
    out.line(f"Duban SMS benchmark: {orders:,} orders, {UNITS} units x {PHONES_PER_UNIT} phones, real twilio client "
             "→ local FakeTwilio; virtual clock from 2026-06-02 10:00 (Asia/Shanghai)")
    out.line("'messages' = messages the fake Twilio accepted (len(fake.messages)), not outbox rows")
    with tempfile.TemporaryDirectory(prefix="duban-sms-bench-") as name:
        workdir = Path(name)
        out.line("\n== 1-2. Sending through the outbox, then receipts through the status-callback endpoint")
        out.line("  (receipt endpoint: werkzeug app running web/hooks/twilio.py status_callback's code — signature check,"
                 " TwilioSmsGateway.receipt, ReceiptBook.apply — since workflows/ may not import flask or web)")
        runs = [("SQLite, spread (no digests)", f"sqlite:///{workdir}/spread.db", True)]
        if burst:
            runs.append(("SQLite, burst at 10:00 (digests)", f"sqlite:///{workdir}/burst.db", False))
        for label, url, spread in runs:
            t = measure_throughput(url, orders, spread=spread, label=label, out=out, receipts=spread)
            summary["throughput"].append(t)
            _throughput_lines(out, t)
        if postgres_url:
            from workflows.bench.engine import reachable

            why = reachable(postgres_url)
            if why is None:
                with postgres_schema(postgres_url) as url:
                    t = measure_throughput(url, orders, spread=True, label=f"PostgreSQL (schema {PG_SCHEMA}), spread",
                                           out=out)
                summary["throughput"].append(t)
                _throughput_lines(out, t)
            else:
                out.line(f"  PostgreSQL skipped: {sa.engine.make_url(postgres_url).render_as_string()} "
                         f"not reachable: {why}")
                summary["postgres_error"] = why
        out.line("\n== 3. Failure cases (each on a fresh SQLite outbox and a fresh fake; clock moved to each "
                 "retry/check)")
        results = run_cases(workdir, out)
        summary["cases"] = results
        _case_table(out, results)
    bad = [r.case.name for r in results if not r.ok]
    summary["ok"] = not bad
    if bad:
        out.line(f"\nUNEXPECTED outcome in: {', '.join(bad)}")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflows.bench.sms", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ORDERS} orders instead of {DEFAULT_ORDERS:,}")
    parser.add_argument("--orders", type=positive_int, default=None, help="number of work orders (overrides --quick)")
    parser.add_argument("--postgres-url", default=None,
                        help="also measure on this PostgreSQL database (in a schema of its own, dropped afterwards)")
    args = parser.parse_args(argv)
    orders = args.orders if args.orders is not None else QUICK_ORDERS if args.quick else DEFAULT_ORDERS
    summary = run_benchmark(orders, postgres_url=args.postgres_url)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
