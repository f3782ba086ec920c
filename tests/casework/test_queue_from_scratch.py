"""The call queue read page by page (engine/persistence/call_queue.py: the open tasks sorted by their order's deadline
and urgency, then the page read whole) is exactly the queue sorted from scratch in Python from every task and order,
after a stream of orders, timer firings, signings, replies and returns, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from engine.persistence import call_queue
from engine.persistence.tables import actions, supervisor_tasks, work_orders
from tests.conftest import local

URGENCY_RANK = {"特急": 0, "紧急": 1}
KINDS = (None, "sign_overdue", "overdue", "sms_failed")


def from_scratch(engine, kind=None):
    """Every open task's id, most overdue order first, then most urgent, oldest task, id: computed in Python."""
    with engine.store.reading() as tx:
        orders = {r.number: r for r in tx.c.execute(sa.select(work_orders))}
        tasks = [r for r in tx.c.execute(sa.select(supervisor_tasks).where(supervisor_tasks.c.status == "open"))]
    if kind is not None:
        tasks = [t for t in tasks if call_queue.queue_kind(t._asdict()) == kind]

    def key(task):
        order = orders.get(task.order_number)
        deadline = order.deadline_at if order is not None else None
        rank = URGENCY_RANK.get(order.urgency, 2) if order is not None else 2
        return (deadline is None, deadline or datetime.min.replace(tzinfo=timezone.utc), rank, task.created_at,
                task.id)
    return [t.id for t in sorted(tasks, key=key)]


def paged(engine, kind=None, size=4):
    ids, page = [], 1
    with engine.store.reading() as tx:
        while rows := call_queue.queue_page(tx.c, page=page, size=size, kind=kind):
            assert all(r["order"] is None or r["order"].number == r["order_number"] for r in rows)
            ids += [r["id"] for r in rows]
            page += 1
    return ids


@pytest.fixture(params=["sqlite", "postgresql"])
def queue_engine(request, make_engine, clock):
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    engine = make_engine(clock=clock, database_url=url)
    yield engine
    engine.store.engine.dispose()


def test_the_paged_queue_is_the_queue_sorted_from_scratch_after_a_stream_of_events(queue_engine, clock):
    engine = queue_engine
    engine.register_unit("U01", "区住建局", ["+8613800138000"], contacts=["陈晓燕"])
    engine.register_unit("U02", "区城管局", ["+8613800138002"], contacts=["林志强"])
    categories, urgencies = ("咨询", "投诉", "求助"), ("一般", "紧急", "特急")
    for i in range(12):  # same days and categories: equal deadlines; the later orders more urgent
        engine.open_work_order(number=f"S{i:02d}", unit_code=f"U0{i % 2 + 1}", category=categories[i % 3],
                               urgency=urgencies[i // 4], source="12345", at=local(2026, 6, 1 + i % 3, 9, i),
                               title=f"第{i}号诉求")
    # one deadline (2 June 10:00), told apart by urgency alone: the 特急 one, opened a day later, is called first
    engine.open_work_order(number="T1", unit_code="U01", category="投诉", urgency="紧急", source="12345",
                           at=local(2026, 6, 1, 10, 0), title="紧急诉求")
    engine.open_work_order(number="T2", unit_code="U02", category="投诉", urgency="特急", source="12345",
                           at=local(2026, 6, 2, 8, 0), title="特急诉求")
    for day, events in ((3, {"S00": "signed", "S05": "signed"}), (6, {"S03": "returned", "S07": "signed",
                                                                       "S08": "replied"})):
        clock.set(local(2026, 6, day, 10, 0))
        engine.fire_due_timers()
        for number, event in events.items():
            details = {"reason": "非本单位职责"} if event == "returned" else None
            if event == "replied":
                engine.record_event(number, "signed", at=local(2026, 6, day, 10, 5))
            engine.record_event(number, event, at=local(2026, 6, day, 10, 10), **({"details": details} if details else {}))
        for kind in KINDS:
            assert paged(engine, kind) == from_scratch(engine, kind)
    # a task without an order (an SMS that failed to a unit) sorts after every order's
    at = local(2026, 6, 6, 11, 0).astimezone(timezone.utc)
    with engine.store.transaction() as tx:
        tx.c.execute(actions.insert().values(key="sms-failed-x", kind="sms_failed", unit_code="U01", at=at,
                                             details={}, recorded_at=at))
        tx.c.execute(supervisor_tasks.insert().values(kind="sms_failed", action_key="sms-failed-x", unit_code="U01",
                                                      status="open", created_at=at))
    queue = paged(engine)
    assert queue == from_scratch(engine) and len(queue) > 8
    with engine.store.reading() as tx:
        assert call_queue.queue_page(tx.c, page=len(queue), size=1)[0]["order"] is None
    assert paged(engine, "sms_failed") == from_scratch(engine, "sms_failed") != []
