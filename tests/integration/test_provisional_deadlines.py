"""A deadline in a year the calendar does not know is provisional, and is redone when the year is added."""
from __future__ import annotations

import sqlalchemy as sa

from engine.clock import VirtualClock
from engine.persistence.tables import actions, order_events
from tests.conftest import local


def test_adding_next_years_calendar_moves_the_deadline_and_rearms_the_reminder(make_engine, tmp_path):
    clock = VirtualClock(local(2026, 12, 21, 10, 0))
    before = make_engine(clock=clock)
    before.register_unit("U1", "揭阳市生态环境局", ["+8613900000001"])
    order = before.open_work_order(number="P1", unit_code="U1", category="投诉", urgency="一般", source="12345",
                                   at=clock.now())
    # 8 WD left in 2026, then 2027 on weekdays only: Mon 2027-01-11, provisional
    assert order.deadline_at == local(2027, 1, 11, 23, 59, 59) and order.deadline_provisional
    assert "临时" in order.deadline_explanation

    calendar = tmp_path / "calendar.toml"
    calendar.write_text('[years.2027]\nholidays = { "2027-01-01" = "元旦", "2027-01-04" = "元旦" }\n', encoding="utf-8")
    after = make_engine(clock=clock, calendar_file=calendar)
    assert after.recompute_provisional_deadlines() == ["P1"]
    assert after.recompute_provisional_deadlines() == []  # nothing left to do
    with after.store.reading() as tx:
        moved = tx.get_order("P1")
        note = tx.c.execute(sa.select(order_events.c.details).where(order_events.c.type == "deadline_recomputed")).scalar()
    assert moved.deadline_at == local(2027, 1, 13, 23, 59, 59) and not moved.deadline_provisional
    assert note["provisional"] is False

    clock.set(local(2027, 1, 12, 10, 0))
    after.fire_due_timers()
    with after.store.reading() as tx:
        reminders = tx.c.execute(sa.select(actions.c.at).where(actions.c.order_number == "P1",
                                                               actions.c.step == "due_soon")).scalars().all()
    assert reminders == [local(2027, 1, 12, 9, 0)]  # not the provisional 01-08
