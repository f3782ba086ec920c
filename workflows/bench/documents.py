"""Time to issue one 督办函 and one quarterly 专报 with N orders in the quarter (DOCX + PDF, stored).

    python -m workflows.bench.documents [--orders 10000] [--database URL]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta

from config.settings import Settings
from engine.clock import LOCAL_TZ, VirtualClock
from engine.domain.work_order import Status, WorkOrder
from engine.persistence.document_store import DocumentRecords
from engine.services import Engine
from workflows.bootstrap import build_engine
from workflows.documents.issuing import issue_all_pending, issue_pending_documents


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def _fire_until(engine: Engine, clock: VirtualClock, until: datetime) -> None:
    while (due := engine.next_due()) is not None and due <= until:
        clock.set(max(due, clock.now()))
        engine.fire_due_timers()
    clock.set(until)


def time_letter(url: str) -> float:
    clock = VirtualClock(local(2026, 6, 1, 8, 0))
    engine = build_engine(Settings(worker_id="bench"), clock=clock, database_url=url)
    engine.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    engine.open_work_order(number="BENCH1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0), title="河道偷排污水")
    _fire_until(engine, clock, local(2026, 6, 16, 12, 0))
    issue_all_pending(engine)  # the 催办通知书 of 06-04
    _fire_until(engine, clock, local(2026, 6, 17, 9, 30))
    started = time.perf_counter()
    assert issue_pending_documents(engine) == 1
    return time.perf_counter() - started


def seed_quarter(engine: Engine, orders: int, seed: int = 7) -> None:
    """Orders, events and callbacks of 2026Q2 written straight through the store (no workflows: only the
    report's inputs matter here)."""
    rng = random.Random(seed)
    units = [(f"U{i:02d}", f"揭阳市第{i}承办单位") for i in range(1, 13)]
    for code, name in units:
        engine.register_unit(code, name, [])
    start = local(2026, 4, 1, 8, 0)
    with engine.store.transaction() as tx:
        for n in range(orders):
            at = start + timedelta(minutes=rng.randrange(90 * 24 * 60))
            order = WorkOrder(f"Q{n:06d}", rng.choice(units)[0], "投诉", "一般", "12345", at, last_event_at=at,
                              deadline_at=at + timedelta(days=rng.choice([3, 10, 21])))
            events = [("dispatched", at, {})]
            if rng.random() < 0.9:
                order.signed_at, order.status = at + timedelta(hours=rng.choice([1, 5, 30, 60])), Status.SIGNED
                events.append(("signed", order.signed_at, {}))
            if rng.random() < 0.8:
                order.replied_at, order.status = at + timedelta(days=rng.uniform(0.5, 25)), Status.REPLIED
                events.append(("replied", order.replied_at, {}))
                events.append(("callback", order.replied_at + timedelta(days=1),
                               {"satisfaction": rng.choice(["满意", "满意", "基本满意", "不满意"])}))
            tx.insert_order(order)
            for kind, when, details in events:
                tx.add_event(order.number, kind, when, "bench", details, when)


def time_quarterly(url: str, orders: int) -> tuple[float, float]:
    clock = VirtualClock(local(2026, 3, 31, 8, 0))
    engine = build_engine(Settings(worker_id="bench"), clock=clock, database_url=url)
    began = time.perf_counter()
    seed_quarter(engine, orders)
    seeded = time.perf_counter() - began
    clock.set(local(2026, 7, 1, 9, 0))
    with engine.store.transaction() as tx:
        tx.add_outbox([{"key": "bench:2026Q2", "channel": "document", "order_number": None, "recipient": None,
                        "template": "quarterly_report", "params": {"quarter": "2026Q2"}, "send_at": clock.now(),
                        "created_at": clock.now()}])
    started = time.perf_counter()
    assert issue_pending_documents(engine) == 1
    elapsed = time.perf_counter() - started
    with engine.store.reading() as tx:
        _, rows = DocumentRecords(tx).listing(kind="quarterly_report")
    assert rows, "no quarterly report issued"
    return elapsed, seeded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--database", help="an empty database URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        letter = time_letter(args.database or f"sqlite:///{tmp}/letter.db")
        quarterly, seeded = time_quarterly(args.database or f"sqlite:///{tmp}/quarter.db", args.orders)
    print(f"one 督办函 (facts, number, DOCX + PDF, stored, leader SMS queued): {letter:.2f} s")
    print(f"one quarterly 专报 with {args.orders:,} orders in the quarter (figures, 2 charts, DOCX + PDF, stored): "
          f"{quarterly:.2f} s  (seeding the orders took {seeded:.1f} s, not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
