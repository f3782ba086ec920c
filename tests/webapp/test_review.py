"""Reply review: the unit's reply sits at the top of a replied order; the supervisor approves it or sends it back
(退回重办) with a reason — reopened with a new deadline, SMS `reopened`, counted as a reopen — and enters callbacks."""
from __future__ import annotations

import pytest

from engine.assessment.facts import order_fact
from tests.web_login import post
from tests.webapp.conftest import TODAY, World, assert_nothing_saved, text_of


def replied_order(world: World) -> str:
    number = world.new_order("U01", signed=True, title="楼道灯不亮")
    world.engine.record_event(number, "replied", at=world.clock.now(), actor="unit1", note="已更换灯具，恢复照明",
                              details={"handled_on": TODAY, "attachments": "现场照片2张：更换前后"})
    return number


def test_the_reply_and_its_attachments_head_the_replied_order(world):
    number = replied_order(world)
    page = text_of(world["sup"].get(f"/orders/{number}"))
    top = page[:page.index('<div class="panel">')]
    assert "单位答复（待审核）" in top and "已更换灯具，恢复照明" in top and "附件说明：现场照片2张：更换前后" in top
    assert "退回重办" in top and "审核通过，办结" in top and "登记回访" in top


def test_sending_back_reopens_with_a_new_deadline_and_tells_the_unit(world):
    number = replied_order(world)
    world.clock.advance(hours=1)
    response = post(world["sup"], f"/orders/{number}/send-back", {"reason": "答复未说明整改时限"},
                    follow_redirects=True)
    order = world.order(number)
    assert (order.status, order.cycle) == ("signed", 2) and order.deadline_at > world.clock.now()
    page = text_of(response)
    assert "已退回重办，新的办理时限" in page and "单位答复（待审核）" not in page and "状态：<strong>办理中</strong>" in page
    [event] = [e for e in world.events(number) if e["type"] == "reopened"]
    assert event["details"]["reason"] == "答复未说明整改时限" and event["actor"] == "sup"
    assert [s["template"] for s in world.sms_of(number)][-1] == "reopened"
    row = {"number": number, "unit_code": "U01", "dispatched_at": order.dispatched_at}
    assert len(order_fact(row, world.events(number), None).reopens) == 1  # what 重办率 counts


def test_a_callback_is_entered_on_the_order(world):
    number = replied_order(world)
    post(world["sup"], f"/orders/{number}/callback",
         {"satisfaction": "不满意", "solved": "no", "attributed": "yes", "note": "市民称灯仍闪烁"})
    [event] = [e for e in world.events(number) if e["type"] == "callback"]
    assert event["details"] == {"satisfaction": "不满意", "solved": False, "attributed_to_unit": True,
                                "note": "市民称灯仍闪烁"}
    assert "满意度：不满意" in text_of(world["sup"].get(f"/orders/{number}"))


@pytest.mark.parametrize("path, form, message", [
    ("send-back", {"reason": ""}, "请填写退回重办理由"),
    ("send-back", {"reason": "长" * 2001}, "退回重办理由不能超过 2000 个字符"),
    ("callback", {"satisfaction": "还行", "solved": "yes", "attributed": "yes"}, "请选择回访满意度"),
    ("callback", {"satisfaction": "满意", "solved": "", "attributed": "yes"}, "请选择问题是否解决"),
    ("callback", {"satisfaction": "满意", "solved": "yes", "attributed": "maybe"}, "请选择是否归责承办单位"),
])
def test_bad_review_input_is_refused_and_changes_nothing(world, path, form, message):
    number = replied_order(world)
    before = world.fingerprint()
    response = post(world["sup"], f"/orders/{number}/{path}", form)
    assert response.status_code == 422 and message in text_of(response)
    assert_nothing_saved(world, before)


@pytest.mark.parametrize("path, form", [("send-back", {"reason": "重办"}),
                                        ("callback", {"satisfaction": "满意", "solved": "yes", "attributed": "no"})])
def test_an_unreplied_order_cannot_be_sent_back_or_called_back(world, path, form):
    number = world.new_order("U01", signed=True)
    before = world.fingerprint()
    response = post(world["sup"], f"/orders/{number}/{path}", form)
    assert response.status_code == 422 and "已回复" in text_of(response)
    assert_nothing_saved(world, before)


def test_a_unit_cannot_send_its_own_reply_back(world):
    number = replied_order(world)
    assert post(world["unit1"], f"/orders/{number}/send-back", {"reason": "x"}).status_code == 403
