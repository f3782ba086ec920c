"""The unit's cards-and-letters page gives each 督办函's written-reply date and takes a written answer, recorded on
the order and shown to supervisors; a bad answer is refused and changes nothing."""
from __future__ import annotations

import pytest

from tests.web_login import post
from tests.webapp.conftest import World, assert_nothing_saved, text_of


def test_the_letter_shows_its_reply_by_date_and_takes_a_written_answer(world: World):
    page = text_of(world["unit1"].get("/unit/cards"))
    letter = page.split("督办函：书面答复", 1)[1].split("催办通知书与督办函（公文）", 1)[0]
    assert "GD101" in letter and "请于 2026-06-25 23:59 前书面答复" in letter
    response = post(world["unit1"], "/unit/letters/GD101/answer", {"text": "已约谈物业负责人，本周内完成整改"},
                    follow_redirects=True)
    assert "已提交工单 GD101 督办函的书面答复" in text_of(response)
    [event] = [e for e in world.events("GD101") if e["type"] == "letter_answered"]
    assert event["details"] == {"text": "已约谈物业负责人，本周内完成整改"} and event["actor"] == "unit1"
    assert "督办函书面答复" in text_of(world["sup"].get("/orders/GD101"))


@pytest.mark.parametrize("user, number, text, status", [
    ("unit1", "GD101", "", 422), ("unit1", "GD101", "长" * 2001, 422),
    ("unit1", "GD104", "没有督办函的工单", 422), ("unit1", "GD201", "别的单位的工单", 404),
    ("sup", "GD101", "督办员不能代答", 403),
])
def test_a_bad_written_answer_is_refused_and_changes_nothing(world: World, user, number, text, status):
    before = world.fingerprint()
    response = post(world[user], f"/unit/letters/{number}/answer", {"text": text})
    assert response.status_code == status
    if status == 422:
        assert "书面答复" in text_of(response) or "督办函" in text_of(response)
    assert_nothing_saved(world, before)
