"""A workflow step that fails is retried later and finally parked; it never blocks the other timers."""
from __future__ import annotations

from datetime import timedelta

import pytest

import sqlalchemy as sa

from engine.clock import VirtualClock
from engine.domain.errors import InvalidInput
from engine.persistence.tables import actions, audit_log, workflow_instances
from engine.services import Engine
from tests.conftest import local
from workflows.operations import OPERATIONS


def test_failing_operation_is_retried_then_parked_while_other_orders_go_on(engine: Engine, clock: VirtualClock):
    engine.register_unit("U1", "揭阳市生态环境局", ["+8613900000001"])
    engine.register_unit("U2", "揭东区人民政府", ["+8613900000002"])
    for number, unit in (("BAD", "U1"), ("GOOD", "U2")):
        engine.open_work_order(number=number, unit_code=unit, category="咨询", urgency="一般", source="12345",
                               at=local(2026, 6, 1, 10, 0))

    def broken_for_u1(ctx, params):  # a fault in one operation, for one unit only
        if ctx.unit is not None and ctx.unit.code == "U1":
            raise RuntimeError("gateway template missing")
        return OPERATIONS["sms.send"](ctx, params)

    engine.operations = {**OPERATIONS, "sms.send": broken_for_u1}
    clock.set(local(2026, 6, 2, 9, 30))  # due_soon of both orders is 06-02 09:00
    engine.fire_due_timers()
    with engine.store.reading() as tx:
        bad = tx.c.execute(sa.select(workflow_instances).where(workflow_instances.c.order_number == "BAD")).one()
        good_sms = tx.c.execute(sa.select(sa.func.count()).select_from(actions).where(
            actions.c.order_number == "GOOD", actions.c.step == "due_soon")).scalar()
    assert good_sms == 1
    assert bad.status == "waiting" and bad.attempts == 1 and "gateway template missing" in bad.last_error
    assert bad.next_due_at == clock.now() + timedelta(minutes=1)

    for minutes in (1, 5, 30):
        clock.advance(minutes=minutes)
        engine.fire_due_timers()
    with engine.store.reading() as tx:
        bad = tx.c.execute(sa.select(workflow_instances).where(workflow_instances.c.order_number == "BAD")).one()
        parked = tx.c.execute(sa.select(audit_log.c.action).where(audit_log.c.order_number == "BAD")).scalars().all()
        bad_actions = tx.c.execute(sa.select(sa.func.count()).select_from(actions).where(
            actions.c.order_number == "BAD", actions.c.step == "due_soon")).scalar()
    assert bad.status == "failed" and bad.attempts == 4
    assert parked.count("instance.retry") == 3 and parked.count("instance.failed") == 1
    assert bad_actions == 0  # nothing half-done was kept
    assert engine.backlog()["failed_instances"] == 1


def test_a_batch_with_no_failing_step_takes_no_savepoint_per_order(engine: Engine, clock: VirtualClock):
    """The savepoint per instance costs two round trips; it is only taken when a step of the batch fails."""
    engine.register_unit("U1", "揭阳市生态环境局", ["+8613900000001"])
    for number in ("A", "B", "C"):
        engine.open_work_order(number=number, unit_code="U1", category="咨询", urgency="一般", source="12345",
                               at=local(2026, 6, 1, 10, 0))
    statements: list[str] = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine.store.engine, "before_cursor_execute", note)
    try:
        clock.set(local(2026, 6, 2, 9, 30))
        assert engine.fire_due_timers() == 3
    finally:
        sa.event.remove(engine.store.engine, "before_cursor_execute", note)
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
    with engine.store.reading() as tx:
        assert tx.c.execute(sa.select(sa.func.count()).select_from(actions).where(
            actions.c.step == "due_soon")).scalar() == 3


def test_engine_refuses_bad_input_with_clear_errors(engine: Engine, clock: VirtualClock):
    import pytest

    from engine.domain.errors import DuplicateWorkOrder, InvalidPhone, UnknownUnit, UnknownWorkOrder

    with pytest.raises(InvalidPhone, match="landline"):
        engine.register_unit("U1", "单位", ["010-12345678"])
    engine.register_unit("U1", "单位", ["+8613900000001"])
    with pytest.raises(UnknownUnit):
        engine.open_work_order(number="X", unit_code="NOPE", category="投诉", urgency="一般", source="12345",
                               at=clock.now())
    engine.open_work_order(number="X", unit_code="U1", category="投诉", urgency="一般", source="12345", at=clock.now())
    with pytest.raises(DuplicateWorkOrder):
        engine.open_work_order(number="X", unit_code="U1", category="投诉", urgency="一般", source="12345",
                               at=clock.now())
    with pytest.raises(UnknownWorkOrder):
        engine.record_event("Y", "signed", at=clock.now())
    with pytest.raises(InvalidInput, match="offset"):
        engine.record_event("X", "signed", at=clock.now().replace(tzinfo=None))
    with pytest.raises(InvalidInput, match="closed"):
        engine.record_event("X", "closed", at=clock.now())
        engine.record_event("X", "closed", at=clock.now())
    # nothing of the refused calls was stored
    with engine.store.reading() as tx:
        assert tx.c.execute(sa.text("select count(*) from work_orders")).scalar() == 1


def test_two_workers_scheduling_the_same_quarter_make_one_report(make_engine, clock: VirtualClock, monkeypatch):
    from engine.persistence.store import SqlTransaction

    first, second = make_engine(clock=clock), make_engine(clock=clock)
    assert first.ensure_quarterly_report() == "2026Q2"
    # the second worker looked before the first committed: it does not see the first's instance
    monkeypatch.setattr(SqlTransaction, "quarter_exists", lambda self, label: False)
    assert second.ensure_quarterly_report() == "2026Q2"
    with first.store.reading() as tx:
        count = tx.c.execute(sa.text("select count(*) from workflow_instances where quarter = '2026Q2'")).scalar()
    assert count == 1


@pytest.mark.postgres
def test_duplicate_order_on_postgres_is_refused_and_the_first_is_intact(make_engine, clock: VirtualClock, pg_url):
    from engine.domain.errors import DuplicateWorkOrder

    engine = make_engine(clock=clock, database_url=pg_url)
    engine.register_unit("U1", "单位", ["+8613900000001"])
    engine.open_work_order(number="D1", unit_code="U1", category="投诉", urgency="一般", source="12345", at=clock.now())
    with pytest.raises(DuplicateWorkOrder):
        engine.open_work_order(number="D1", unit_code="U1", category="咨询", urgency="特急", source="12345",
                               at=clock.now())
    with engine.store.reading() as tx:
        assert tx.get_order("D1").category == "投诉"
        assert tx.c.execute(sa.text("select count(*) from workflow_instances where order_number = 'D1'")).scalar() == 1
