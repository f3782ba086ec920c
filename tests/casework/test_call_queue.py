"""The call queue is live: a phone task ends by itself when the call is no longer needed, naming the reason and what
ended it, and an order never has two open phone tasks."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.persistence import call_queue
from engine.persistence.tables import order_events, supervisor_tasks
from tests.conftest import local


def tasks(engine, number="Q1"):
    with engine.store.reading() as tx:
        return [dict(r) for r in tx.c.execute(sa.select(supervisor_tasks).where(
            supervisor_tasks.c.order_number == number).order_by(supervisor_tasks.c.id)).mappings()]


def event_id(engine, number, kind):
    with engine.store.reading() as tx:
        return tx.c.execute(sa.select(order_events.c.id).where(order_events.c.order_number == number,
                                                               order_events.c.type == kind)).scalar_one()


@pytest.fixture
def unsigned(engine, clock):
    """A 咨询 order (deadline Wed 3 June 23:59), not signed: the sign-for chase is due Wed 09:00."""
    engine.register_unit("U01", "区住建局", ["+8613800138000", "+8613800138001"], contacts=["陈晓燕", "林志强"])
    engine.open_work_order(number="Q1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0), title="小区停水三天未恢复")
    clock.set(local(2026, 6, 3, 10, 0))
    engine.fire_due_timers()
    return engine


def test_signing_ends_the_sign_for_chase_and_names_the_event(unsigned, clock):
    [chase] = tasks(unsigned)
    assert (chase["status"], chase["step"]) == ("open", "sign_overdue")
    unsigned.record_event("Q1", "signed", at=local(2026, 6, 3, 10, 30))
    [chase] = tasks(unsigned)
    assert chase["status"] == "superseded" and chase["superseded_reason"] == "signed"
    assert chase["superseded_by"] == f"event:{event_id(unsigned, 'Q1', 'signed')}"


def test_a_newer_phone_task_replaces_the_older_and_a_reply_ends_it(unsigned, clock):
    clock.set(local(2026, 6, 4, 10, 0))  # overdue since midnight: the overdue step raises its own call
    unsigned.fire_due_timers()
    chase, overdue = tasks(unsigned)
    assert (chase["status"], chase["superseded_reason"]) == ("superseded", "replaced")
    assert chase["superseded_by"] == overdue["action_key"]
    assert (overdue["status"], overdue["step"]) == ("open", "overdue")
    unsigned.record_event("Q1", "signed", at=local(2026, 6, 4, 10, 30))
    assert tasks(unsigned)[1]["status"] == "open"  # signing late does not answer for the overdue order
    unsigned.record_event("Q1", "replied", at=local(2026, 6, 4, 11, 0))
    overdue = tasks(unsigned)[1]
    assert (overdue["status"], overdue["superseded_reason"]) == ("superseded", "replied")
    assert overdue["superseded_by"] == f"event:{event_id(unsigned, 'Q1', 'replied')}"


def test_returning_ends_every_phone_task(unsigned):
    unsigned.record_event("Q1", "returned", at=local(2026, 6, 3, 11, 0), details={"reason": "属城管职责"})
    assert [(t["status"], t["superseded_reason"]) for t in tasks(unsigned)] == [("superseded", "returned")]
    # (closing needs a reply first, and the reply has already ended the calls)


def test_a_completed_task_is_left_as_the_supervisor_closed_it(unsigned):
    from engine.casework import Casework
    [chase] = tasks(unsigned)
    Casework(unsigned.store, unsigned.clock).complete_task(chase["id"], outcome="reached", note="", actor="duban")
    unsigned.record_event("Q1", "signed", at=local(2026, 6, 3, 11, 0))
    [chase] = tasks(unsigned)
    assert chase["status"] == "done" and chase["superseded_reason"] is None


def test_the_queue_shows_the_call_with_contacts_sorted_by_lateness_and_counted_by_kind(unsigned, clock):
    unsigned.open_work_order(number="Q2", unit_code="U01", category="投诉", urgency="一般", source="12345",
                             at=local(2026, 5, 4, 10, 0), title="工地夜间施工噪音扰民")
    clock.set(local(2026, 6, 4, 10, 0))
    unsigned.fire_due_timers()
    with unsigned.store.reading() as tx:
        page = call_queue.queue_page(tx.c)
        counts = call_queue.queue_counts(tx.c)
    assert [t["order_number"] for t in page] == ["Q2", "Q1"]  # Q2's deadline passed first
    assert [(c["name"], c["phone"]) for c in page[1]["contacts"]] == [
        ("陈晓燕", "+8613800138000"), ("林志强", "+8613800138001")]
    assert page[1]["order"].title == "小区停水三天未恢复"
    assert counts == {"overdue": 2}
    with unsigned.store.reading() as tx:
        assert [t["order_number"] for t in call_queue.queue_page(tx.c, page=2, size=1)] == ["Q1"]
        assert call_queue.queue_page(tx.c, kind="sign_overdue") == []
