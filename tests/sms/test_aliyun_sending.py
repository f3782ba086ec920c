"""Reminders through the official Alibaba Cloud SDK against a local fake of the SMS endpoint: the approved signature
and template code with the values as JSON, every answer mapped to the port's outcomes, and the ambiguity check
through QuerySendDetails (paged), so a message the provider accepted is never sent twice."""
from __future__ import annotations

import json
from datetime import timedelta

from tests.conftest import local
from tests.sms.aliyun_world import AliyunWorld, aliyun, aliyun_world, make_aliyun_world  # noqa: F401 (fixtures)
from tests.sms.conftest import PHONE_A, PHONE_B
from tests.sms.killed_worker import kill_a_worker_after_acceptance
from tests.sms.test_sending import open_night_orders, open_order
from workflows.dev.fake_aliyun import FakeSms


def sent_requests(world: AliyunWorld) -> list[dict[str, str]]:
    return [params for action, params in world.aliyun.calls if action == "SendSms"]


def test_a_reminder_goes_out_once_as_the_approved_template_with_its_values_as_json(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world, phones=(PHONE_A, PHONE_B))
    assert world.run().sent == 2
    request = sent_requests(world)[0]
    assert request["SignName"] == "揭阳12345" and request["TemplateCode"] == "SMS_480010001"
    assert request["PhoneNumbers"] == PHONE_A[3:]  # 11 digits, as Aliyun takes mainland numbers
    values = json.loads(request["TemplateParam"])
    assert set(values) == {"order", "unit", "deadline", "link"} and values["order"] == "WO-1"
    rows = {r["provider_id"]: r for r in world.rows()}
    for message in world.aliyun.messages:
        row = rows[message.out_id]
        assert row["status"] == "queued" and row["body"] == message.content  # what the handset shows is our proof
    assert world.run().sent == 0 and len(world.aliyun.messages) == 2


def test_throttling_is_retried_with_backoff_and_the_message_goes_once(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    world.aliyun.script("error:isv.BUSINESS_LIMIT_CONTROL", "http:400:Throttling.User")
    world.run()
    (row,) = world.rows()
    assert row["status"] == "pending" and row["error_code"] == "isv.BUSINESS_LIMIT_CONTROL"
    assert row["send_at"] == world.clock.now() + timedelta(minutes=1)
    world.clock.advance(minutes=1)
    world.run()
    assert world.rows()[0]["error_code"] == "Throttling.User"
    world.clock.advance(minutes=5)
    assert world.run().sent == 1
    (row,) = world.rows()
    assert row["status"] == "queued" and row["attempts"] == 3 and len(world.aliyun.messages) == 1


def test_a_service_that_stays_down_ends_failed_with_a_reason_and_a_supervisor_task(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    world.aliyun.script(*["http:503:ServiceUnavailable"] * 5)
    for _ in range(5):
        world.run()
        world.clock.advance(hours=2)
    (row,) = world.rows()
    assert row["status"] == "failed" and row["attempts"] == 5 and "ServiceUnavailable" in row["last_error"]
    assert world.tasks()[0]["order_number"] == "WO-1" and world.aliyun.messages == []


def test_an_invalid_number_stops_at_once_and_marks_the_contact(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    world.aliyun.script("error:isv.MOBILE_NUMBER_ILLEGAL")
    world.run()
    (row,) = world.rows()
    assert row["status"] == "failed" and row["error_code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    (task,) = world.tasks()
    assert task["details"]["bad_number"] is True
    with world.engine.store.reading() as tx:
        (contact,) = tx.failing_contacts()
    assert contact["phone"] == PHONE_A


def test_template_and_signature_refusals_fail_at_once_with_a_task_but_leave_the_number_alone(
        aliyun_world: AliyunWorld):
    world = aliyun_world
    world.aliyun.templates.pop("SMS_480010001")  # the console withdrew the dispatch template
    open_order(world)
    world.aliyun.script("error:isv.SMS_SIGNATURE_ILLEGAL")
    world.run()
    world.clock.advance(minutes=1)
    world.run()  # the second phone-less retry never happens: both messages failed at the first answer
    rows = world.rows()
    assert [r["error_code"] for r in rows] == ["isv.SMS_SIGNATURE_ILLEGAL"]
    assert rows[0]["status"] == "failed" and rows[0]["attempts"] == 1
    world.engine.open_work_order(number="WO-2", unit_code="U1", category="咨询", urgency="一般", source="12345",
                                 at=world.clock.now())
    world.run()
    second = world.rows(order_number="WO-2")[0]
    assert second["status"] == "failed" and second["error_code"] == "isv.SMS_TEMPLATE_ILLEGAL"
    assert [t["details"]["bad_number"] for t in world.tasks()] == [False, False]
    with world.engine.store.reading() as tx:
        assert tx.failing_contacts() == []


def test_wrong_credentials_are_retried_not_dropped(make_aliyun_world):
    world = make_aliyun_world(aliyun_access_key_secret="not-the-secret")
    open_order(world)
    world.run()
    (row,) = world.rows()
    assert row["status"] == "pending" and row["error_code"] == "SignatureDoesNotMatch"


def test_values_are_cut_to_the_providers_per_variable_limit_and_the_kept_text_is_the_sent_one(
        aliyun_world: AliyunWorld):
    world = aliyun_world
    world.engine.register_unit("U1", "揭阳市生态环境局", [PHONE_A])
    world.clock.set(local(2026, 6, 2, 21, 0))
    for n in range(4):
        world.engine.open_work_order(number=f"GD2026060200000000{n:05d}", unit_code="U1", category="咨询",
                                     urgency="一般", source="12345", at=world.clock.now())
    world.clock.set(local(2026, 6, 3, 8, 0))
    assert world.run().sent == 1
    (request,) = sent_requests(world)
    orders = json.loads(request["TemplateParam"])["orders"]
    assert len(orders) <= 35 and orders == "GD202606020000000000000等"  # whole numbers only, never a cut one
    digest = world.rows(template="digest")[0]
    assert digest["body"] == world.aliyun.messages[0].content


def test_a_slow_answer_is_checked_with_query_send_details_and_never_sent_twice(make_aliyun_world):
    world = make_aliyun_world(aliyun_timeout=1.0)
    open_order(world)
    world.aliyun.script("slow:3")
    assert world.run().ambiguous == 1
    (row,) = world.rows()
    assert row["status"] == "unknown" and row["provider_id"] is None
    assert world.run().sent == 0
    world.clock.advance(minutes=10)
    report = world.run()
    assert report.confirmed == 1 and report.sent == 0
    (row,) = world.rows()
    assert row["status"] == "queued" and row["provider_id"] == world.aliyun.messages[0].out_id
    assert world.aliyun.sends() == 1


def test_a_drop_after_acceptance_is_found_on_a_later_page_and_not_resent(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    world.aliyun.script("drop_after_accept")
    world.run()
    for n in range(60):  # 60 later messages to the same number that day: ours is on page 2 (newest first)
        world.aliyun.messages.append(FakeSms(biz_id=f"{n}^0", out_id=f"other-{n}", phone=PHONE_A[3:],
                                             template_code="SMS_480010002", content="【揭阳12345】别的短信",
                                             sent_at=world.clock.now() + timedelta(seconds=n + 1)))
    assert world.rows()[0]["status"] == "unknown"
    world.clock.advance(minutes=10)
    assert world.run().confirmed == 1
    queries = [p for action, p in world.aliyun.calls if action == "QuerySendDetails"]
    assert [q["CurrentPage"] for q in queries] == ["1", "2"]
    assert world.rows()[0]["status"] == "queued" and world.aliyun.sends() == 1


def test_a_drop_before_acceptance_is_sent_again_once_aliyun_has_nothing(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    world.aliyun.script("drop")
    world.run()
    world.clock.advance(minutes=10)
    world.run()
    assert world.rows()[0]["status"] == "pending"
    world.run()
    (row,) = world.rows()
    assert row["status"] == "queued" and row["attempts"] == 2 and len(world.aliyun.messages) == 1


def test_an_unreachable_endpoint_is_retried(make_aliyun_world):
    world = make_aliyun_world(aliyun_api_url="http://127.0.0.1:9")  # nothing listens there
    open_order(world)
    world.run()
    (row,) = world.rows()
    assert row["status"] == "pending" and row["error_code"] == "connect"


def test_a_night_of_reminders_goes_as_one_digest(aliyun_world: AliyunWorld):
    open_night_orders(aliyun_world, 3)
    assert aliyun_world.run().sent == 1
    assert sent_requests(aliyun_world)[0]["TemplateCode"] == "SMS_480010010"


def test_a_worker_process_killed_after_aliyun_accepted_leaves_no_second_sms(aliyun_world: AliyunWorld, tmp_path):
    world = aliyun_world
    open_order(world, phones=(PHONE_A,))
    kill_a_worker_after_acceptance(world, tmp_path, sms_gateway="aliyun", aliyun_api_url=world.aliyun.url,
                                   aliyun_access_key_id=world.aliyun.access_key_id,
                                   aliyun_access_key_secret=world.aliyun.access_key_secret)
    assert len(world.aliyun.messages) == 1 and world.rows()[0]["status"] == "sending"
    world.clock.advance(minutes=6)  # past the sending lease: the next pass checks instead of sending
    world.run()
    world.clock.advance(hours=2)
    world.run()
    (row,) = world.rows()
    assert row["status"] == "queued" and row["provider_id"] == world.aliyun.messages[0].out_id
    assert world.aliyun.sends() == 1  # 0 duplicates
