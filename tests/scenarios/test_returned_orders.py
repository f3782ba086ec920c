"""A returned order (退单) waits for the hotline: its ladder stops, and re-dispatch starts a new one."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.domain.errors import InvalidTransition, UnknownWorkOrder
from engine.domain.pending_steps import pending_steps
from engine.persistence.tables import actions
from tests.conftest import local


def rule_actions(engine, number: str) -> list[tuple[str, str]]:
    with engine.store.reading() as tx:
        return [(r.kind, r.step) for r in tx.c.execute(
            sa.select(actions.c.kind, actions.c.step).where(actions.c.order_number == number).order_by(actions.c.id))]


@pytest.fixture
def returned(engine, clock):
    engine.register_unit("U01", "区住建局", ["+8613800138000"])
    engine.register_unit("U02", "区城管局", ["+8613800138001"])
    engine.open_work_order(number="R1", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0))
    engine.record_event("R1", "signed", at=local(2026, 6, 1, 11, 0))
    engine.record_event("R1", "returned", at=local(2026, 6, 2, 9, 0), details={"reason": "属城管职责"})
    return engine


def test_nothing_escalates_against_the_unit_that_returned_the_order(returned, clock):
    before = rule_actions(returned, "R1")
    clock.set(local(2026, 7, 15, 10, 0))  # weeks past the deadline: overdue, yellow, red and letter would all fire
    returned.fire_due_timers()
    assert rule_actions(returned, "R1") == before
    with returned.store.reading() as tx:
        order = tx.get_order("R1")
    assert pending_steps(order, returned.rules, returned.calendar, now=clock.now()) == []


def test_re_dispatch_starts_a_new_ladder_for_the_new_unit(returned, clock):
    clock.set(local(2026, 6, 3, 10, 0))
    order = returned.redispatch("R1", unit_code="U02", at=clock.now(), actor="sup")
    assert order.unit_code == "U02" and order.deadline_at > local(2026, 6, 4, 0, 0)
    clock.set(local(2026, 7, 15, 10, 0))
    returned.fire_due_timers()
    fired = [step for kind, step in rule_actions(returned, "R1") if kind == "yellow_card"]
    assert fired == ["yellow"]


def test_a_closed_order_cannot_be_re_dispatched_and_closing_ends_the_return(returned, clock):
    returned.record_event("R1", "closed", at=local(2026, 6, 2, 10, 0))
    with returned.store.reading() as tx:
        assert tx.get_order("R1").returned_at is None
    with pytest.raises(InvalidTransition, match="已办结"):
        returned.redispatch("R1", unit_code="U02", at=local(2026, 6, 2, 11, 0), actor="sup")


def test_an_event_from_a_unit_that_no_longer_holds_the_order_is_refused(returned, clock):
    returned.redispatch("R1", unit_code="U02", at=local(2026, 6, 2, 10, 0), actor="sup")
    with pytest.raises(UnknownWorkOrder):
        returned.record_event("R1", "signed", at=local(2026, 6, 2, 11, 0), unit_code="U01")
    returned.record_event("R1", "signed", at=local(2026, 6, 2, 11, 0), unit_code="U02")


def test_an_extension_request_is_answered_once(returned, clock):
    returned.redispatch("R1", unit_code="U02", at=local(2026, 6, 2, 10, 0), actor="sup")
    returned.record_event("R1", "extension_requested", at=local(2026, 6, 2, 11, 0), working_days=3,
                          details={"reason": "需勘查"})
    with returned.store.reading() as tx:
        request = tx.last_event_of("R1", ("extension_requested",))[0]
    returned.record_event("R1", "extension_approved", at=local(2026, 6, 2, 12, 0), working_days=3,
                          details={"request": request})
    with pytest.raises(InvalidTransition, match="已处理"):
        returned.record_event("R1", "extension_approved", at=local(2026, 6, 2, 12, 1), working_days=3,
                              details={"request": request})
