"""Two supervisors acting on the same task or card at the same moment, on PostgreSQL: one wins, one is told."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from engine.casework import Casework
from engine.domain.errors import InvalidTransition
from engine.persistence.tables import order_events, supervisor_tasks
from tests.conftest import local

pytestmark = pytest.mark.postgres


def race(*calls) -> list[object]:
    """Run the calls together; each result is its return value or the exception it raised."""
    results: list[object] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # the loser's refusal is the point
            results[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.fixture
def world(make_engine, clock, pg_url):
    engine = make_engine(clock=clock, database_url=pg_url)
    engine.register_unit("U01", "区住建局", ["+8613800138000"])
    for n in range(5):
        engine.open_work_order(number=f"P{n}", unit_code="U01", category="咨询", urgency="一般", source="12345",
                               at=local(2026, 6, 1, 10, 0))
    clock.set(local(2026, 6, 5, 10, 0))  # past the deadline: phone-urging tasks
    engine.fire_due_timers()
    return engine, Casework(engine.store, clock)


def test_a_task_is_completed_once_when_two_supervisors_click_together(world):
    engine, casework = world
    with engine.store.reading() as tx:
        tasks = [r.id for r in tx.c.execute(sa.select(supervisor_tasks.c.id).where(supervisor_tasks.c.status == "open"))]
    assert len(tasks) >= 5
    for task in tasks:
        results = race(lambda: casework.complete_task(task, outcome="reached", note="a", actor="sup.a"),
                       lambda: casework.complete_task(task, outcome="no_answer", note="b", actor="sup.b"))
        assert sum(isinstance(r, InvalidTransition) for r in results) == 1, results
    with engine.store.reading() as tx:
        done = tx.c.execute(sa.select(sa.func.count()).where(order_events.c.type == "task_done")).scalar()
    assert done == len(tasks)


def test_a_card_is_withdrawn_once_when_two_supervisors_click_together(world):
    engine, casework = world
    cards = [engine.issue_card(f"P{n}", color="yellow", reason="拖延", actor="sup") for n in range(5)]
    for card in cards:
        results = race(lambda: casework.withdraw_card(card, reason="误发", actor="sup.a"),
                       lambda: casework.withdraw_card(card, reason="已整改", actor="sup.b"))
        assert sum(isinstance(r, InvalidTransition) for r in results) == 1, results
