"""Alibaba Cloud SMS benchmark: how fast the outbox hands messages to Aliyun through the official SDK, how fast reports
are taken (pushed items through the push hook's code, and polled through QuerySendDetails), and what becomes of each
answer Aliyun can give. Prints figures; it is not a test.

    python -m workflows.bench.sms_aliyun [--orders N] [--quick]

Everything is real except Aliyun: the SDK talks HTTP (signed ACS3-HMAC-SHA256) to workflows.dev.fake_aliyun, the
outbox is the engine's on a SQLite file in a temporary directory, and time is a VirtualClock. Orders are opened one
per unit per minute and one pass runs per minute, so every outbox row becomes one message (no digests).
"""
from __future__ import annotations

import argparse
import logging
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from config.settings import Settings
from engine.clock import VirtualClock
from workflows.adapters.aliyun_sms import AliyunSmsGateway
from workflows.argtypes import positive_int
from workflows.bench.output import Out
from workflows.bench.sms_world import PUBLIC_URL, SECRET, START, World, open_order, register_units
from workflows.bootstrap import build_engine, build_sms
from workflows.dev.aliyun_demo import approved_from_config
from workflows.dev.fake_aliyun import FakeAliyun

DEFAULT_ORDERS, QUICK_ORDERS = 1_000, 200
CASE_TIMEOUT, SLOW_SECONDS = 0.5, 1.5


@dataclass
class AliyunWorld(World):
    aliyun: FakeAliyun = None  # type: ignore[assignment]

    @property
    def gateway(self) -> AliyunSmsGateway:
        return self.sms.gateway  # type: ignore[return-value]


@contextmanager
def aliyun_world(database_url: str, *, timeout: float = 10.0) -> Iterator[AliyunWorld]:
    clock = VirtualClock(START)
    base = Settings()
    templates, signs = approved_from_config(base.sms_templates_file)
    with FakeAliyun(templates=templates, signs=signs, clock=clock.now) as fake:
        fake.variable_limits["link"] = 100
        settings = replace(base, worker_id="sms-bench", secret_key=SECRET, sms_gateway="aliyun",
                           aliyun_access_key_id=fake.access_key_id, aliyun_access_key_secret=fake.access_key_secret,
                           aliyun_api_url=fake.url, aliyun_timeout=timeout, public_url=PUBLIC_URL,
                           database_url=database_url).checked()
        engine = build_engine(settings, clock=clock)
        try:
            yield AliyunWorld(engine, build_sms(settings, engine), None, clock, fake)  # type: ignore[arg-type]
        finally:
            engine.store.engine.dispose()


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:.0f}" if seconds > 0 else "∞"


def measure(directory: Path, orders: int, out: Out) -> dict[str, Any]:
    with aliyun_world(f"sqlite:///{directory}/throughput.db") as w:
        units = register_units(w)
        rounds = -(-orders // len(units))
        for r in range(rounds):
            w.clock.set(START + timedelta(minutes=r))
            for i, unit in enumerate(units[: orders - r * len(units)]):
                open_order(w, f"A{r:04d}-{i:02d}", unit)
        sending = 0.0
        for r in range(rounds):
            w.clock.set(START + timedelta(minutes=r))
            began = time.perf_counter()
            w.run()
            sending += time.perf_counter() - began
            out.progress(f"aliyun: {len(w.aliyun.messages)} messages sent")
        messages = list(w.aliyun.messages)
        half = len(messages) // 2
        for m in messages:  # the carriers report: half are pushed, the other half left for polling
            w.aliyun.report(m.out_id, push=False)
        began = time.perf_counter()
        for m in messages[:half]:
            item = {"phone_number": m.phone, "success": True, "err_code": "DELIVERED", "out_id": m.out_id}
            w.sms.receipts.apply(w.gateway.report(item))
        pushed = time.perf_counter() - began
        queries_before = len(w.aliyun.calls)
        began = time.perf_counter()
        polled = w.sms.receipts.poll(w.gateway, limit=len(messages))
        polling = time.perf_counter() - began
        result = {"messages": len(messages), "sending": sending, "pushed": half, "push_seconds": pushed,
                  "polled": polled, "poll_seconds": polling, "queries": len(w.aliyun.calls) - queries_before,
                  "statuses": w.status_counts()}
    out.done()
    return result


CASES = [  # name, behaviours scripted for the first sends, report code for the accepted message (None: delivered)
    ("OK", (), None), ("isv.BUSINESS_LIMIT_CONTROL then OK", ("error:isv.BUSINESS_LIMIT_CONTROL",), None),
    ("HTTP 503 x5 (max attempts)", ("http:503:ServiceUnavailable",) * 5, None),
    ("isv.MOBILE_NUMBER_ILLEGAL", ("error:isv.MOBILE_NUMBER_ILLEGAL",), None),
    ("isv.SMS_TEMPLATE_ILLEGAL", ("error:isv.SMS_TEMPLATE_ILLEGAL",), None),
    ("slow (client timeout)", (f"slow:{SLOW_SECONDS}",), None), ("drop before acceptance", ("drop",), None),
    ("drop after acceptance", ("drop_after_accept",), None), ("report EXPIRED, resent, delivered", (), "EXPIRED"),
    ("report MK:0001 (empty number)", (), "MK:0001"),
]


def run_case(directory: Path, n: int, behaviours: tuple[str, ...], code: str | None) -> dict[str, Any]:
    with aliyun_world(f"sqlite:///{directory}/case-{n}.db", timeout=CASE_TIMEOUT) as w:
        w.engine.register_unit("U01", "揭阳市第1办理单位", ["+8613900010001"])  # one phone: one message
        open_order(w, "C-1", "U01")
        w.aliyun.script(*behaviours)
        for _ in range(12):
            w.run()
            for k, m in enumerate(w.aliyun.messages):
                if m.send_status == 1:  # the carrier reports `code` on the first message, delivered after
                    failed = code is not None and k == 0
                    w.aliyun.report(m.out_id, success=not failed, err_code=code if failed else None, push=False)
            w.sms.receipts.poll(w.gateway)
            w.clock.advance(hours=1)
        rows = w.rows()
        return {"statuses": sorted(r["status"] for r in rows), "accepted": len(w.aliyun.messages),
                "sends": w.aliyun.sends(), "failing": w.failing_numbers(), "tasks": w.sms_tasks()}


def run_benchmark(orders: int, out: Out) -> dict[str, Any]:
    for name in ("duban", "spiff", "alembic", "workflows.dev"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # the failure cases log errors on purpose
    with tempfile.TemporaryDirectory(prefix="duban-sms-aliyun-") as tmp:
        figures = measure(Path(tmp), orders, out)
        out.line(f"Aliyun SDK → fake endpoint, SQLite, {orders} orders × 2 phones")
        out.line(f"  sending: {figures['messages']} messages in {figures['sending']:.1f} s = "
                 f"{_rate(figures['messages'], figures['sending'])} messages/s")
        out.line(f"  pushed reports (hook code, no HTTP): {figures['pushed']} in {figures['push_seconds']:.1f} s = "
                 f"{_rate(figures['pushed'], figures['push_seconds'])} reports/s")
        out.line(f"  polled reports: {figures['polled']} in {figures['poll_seconds']:.1f} s = "
                 f"{_rate(figures['polled'], figures['poll_seconds'])} reports/s "
                 f"({figures['queries']} QuerySendDetails calls)")
        out.line(f"  final statuses: {figures['statuses']}")
        out.line("failure cases (final statuses | messages Aliyun accepted | SendSms calls | failing numbers | tasks)")
        cases = {}
        for n, (name, behaviours, code) in enumerate(CASES):
            result = cases[name] = run_case(Path(tmp), n, behaviours, code)
            out.line(f"  {name:<36} {','.join(result['statuses']):<22} {result['accepted']:>2} "
                     f"{result['sends']:>3} {result['failing']:>2} {result['tasks']:>2}")
    return {"throughput": figures, "cases": cases}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m workflows.bench.sms_aliyun", description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=positive_int, default=DEFAULT_ORDERS)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ORDERS} orders")
    args = parser.parse_args(argv)
    run_benchmark(QUICK_ORDERS if args.quick else args.orders, Out())


if __name__ == "__main__":
    main()
