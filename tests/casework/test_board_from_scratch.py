"""The dashboard's and leader's figures (engine/persistence/board_queries.py: counts in one statement, the 14-day flow
and the 12-week trend counted by the database, the latest instructions picked before their orders) equal the same
figures computed from scratch in Python from every order, around local midnights."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from engine.clock import LOCAL_TZ
from engine.persistence import board_queries as board
from engine.persistence.tables import instructions, supervisor_tasks, work_orders
from tests.conftest import local


def test_board_figures_equal_a_recount_from_every_order(engine, clock):
    engine.register_unit("U01", "区住建局", ["+8613800138000"], contacts=["陈晓燕"])
    categories = ("咨询", "投诉", "求助", "建议")
    for i in range(16):  # 16 orders over three weeks, half of them at 23:50 or 00:10 local time
        at = local(2026, 6, 1, 9, 0) + timedelta(days=i * 1.3, minutes=(i % 3) * 487)
        at = at.replace(hour=23, minute=50) if i % 4 == 1 else at.replace(hour=0, minute=10) if i % 4 == 2 else at
        clock.set(at)
        engine.open_work_order(number=f"B{i:02d}", unit_code="U01", category=categories[i % 4], urgency="紧急" if i % 4 == 3 else "一般",
                               source="12345", at=at, title=f"第{i}号")
        if i % 5 == 0:
            engine.add_instruction(f"B{i:02d}", leader="张市长", text="请抓紧办理", at=at + timedelta(minutes=5))
        engine.fire_due_timers()
        if i >= 3:  # an older order moves on: signed, replied (some in time), closed
            number, step = f"B{i - 3:02d}", at + timedelta(minutes=1)
            engine.record_event(number, "signed", at=step)
            if i % 2:
                engine.record_event(number, "replied", at=step + timedelta(minutes=1))
                if i % 3 == 0:
                    engine.record_event(number, "closed", at=step + timedelta(minutes=2))
    now = local(2026, 6, 22, 0, 30)  # just after a local midnight
    clock.set(now)
    engine.fire_due_timers()
    with engine.store.reading() as tx:
        orders = [r._asdict() for r in tx.c.execute(sa.select(work_orders))]
        open_tasks = tx.c.execute(sa.select(sa.func.count()).where(supervisor_tasks.c.status == "open")).scalar()
        figures = board.day_figures(tx.c, now)
        flow = board.daily_flow(tx.c, now)
        weeks = board.weekly_on_time(tx.c, now)
        instructed = board.instructed_orders(tx.c, limit=2)
        every_instruction = [r._asdict() for r in tx.c.execute(sa.select(instructions))]

    def day(at):
        return at.astimezone(LOCAL_TZ).date()

    today = now.astimezone(LOCAL_TZ).date()
    escalating = [o for o in orders if o["status"] in board.OPEN and o["returned_at"] is None]
    assert figures["dispatched"] == sum(day(o["dispatched_at"]) == today for o in orders)
    for key in ("signed", "replied", "closed"):
        assert figures[key] == sum(o[f"{key}_at"] is not None and day(o[f"{key}_at"]) >= today for o in orders)
    assert figures["open"] == sum(o["status"] in board.OPEN for o in orders) > 0
    assert figures["overdue"] == sum(o["deadline_at"] < now for o in escalating) > 0
    assert figures["tasks_open"] == open_tasks > 0

    days = [today - timedelta(days=13 - i) for i in range(14)]
    assert flow == [(d, sum(day(o["dispatched_at"]) == d for o in orders),
                     sum(o["closed_at"] is not None and day(o["closed_at"]) == d for o in orders)) for d in days]
    assert sum(n for _, n, _ in flow) > 8 and sum(n for _, _, n in flow) > 0

    monday = today - timedelta(days=today.weekday())
    expected = []
    for w in range(12):
        start = monday - timedelta(weeks=11 - w)
        due = [o for o in orders if o["deadline_at"] <= now and start <= day(o["deadline_at"]) < start + timedelta(weeks=1)]
        in_time = sum(o["replied_at"] is not None and o["replied_at"] <= o["deadline_at"] for o in due)
        expected.append((start, round(100 * in_time / len(due), 1) if due else None))
    assert weeks == expected and any(v is not None for _, v in weeks)

    latest = sorted(every_instruction, key=lambda r: (r["instructed_at"], r["id"]), reverse=True)[:2]
    assert [(r["id"], r["number"], r["status"]) for r in instructed] == [
        (r["id"], r["order_number"], next(o["status"] for o in orders if o["number"] == r["order_number"]))
        for r in latest]
