"""An escalated order (提级督办) is listed on the leader's page until it is replied, and its call is queued."""
from __future__ import annotations

from tests.webapp.conftest import World, text_of


def escalated_section(page: str) -> str:
    return page.split('id="escalated"', 1)[1].split("</section>", 1)[0]


def test_the_leader_sees_the_escalated_order_until_the_unit_replies(world: World):
    number = world.new_order("U02", signed=True, title="井盖缺失多日")
    world.engine.escalate(number, at=world.clock.now(), actor="sup", reason="疑难工单")
    listed = escalated_section(text_of(world["lead"].get("/leader")))
    assert f"/orders/{number}" in listed and "区城管局" in listed
    [task] = world.tasks_of(number)
    assert task["step"] == "escalated"
    assert "提级督办" in text_of(world["sup"].get(f"/workbench?kind=escalated"))
    assert [s["template"] for s in world.sms_of(number)][-1] == "escalated"
    world.engine.record_event(number, "replied", at=world.clock.now(), actor="unit2", note="已修复")
    assert f"/orders/{number}" not in escalated_section(text_of(world["lead"].get("/leader")))
    assert world.tasks_of(number) == []
