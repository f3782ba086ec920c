"""Delivery reports from Aliyun, pushed (SmsReport to a secret URL) or polled (QuerySendDetails when push is not
configured): each recorded once, statuses only forward, failures acted on; and replies (SmsUp) `签收 <工单号>`
signing an order."""
from __future__ import annotations

import json

import pytest
import requests

from tests.sms.aliyun_world import PUSH_TOKEN, AliyunWorld, aliyun, aliyun_world, make_aliyun_world  # noqa: F401
from tests.sms.conftest import PHONE_A, PHONE_B
from tests.sms.test_sending import open_order
from workflows.scheduler import WorkerHealth, build_scheduler


def sent(world: AliyunWorld) -> tuple[dict, str]:
    world.run()
    (row,) = world.rows()
    return row, row["provider_id"]


def report_item(row: dict, *, success: bool = True, code: str = "DELIVERED", phone: str | None = None) -> dict:
    return {"phone_number": phone or row["recipient"][3:], "send_time": "2026-06-02 10:00:01",
            "report_time": "2026-06-02 10:00:09", "success": success, "err_code": code, "err_msg": "",
            "sms_size": "1", "biz_id": "123^0", "out_id": row["provider_id"]}


def push(world: AliyunWorld, items: list, *, token: str = PUSH_TOKEN, kind: str = "report") -> requests.Response:
    return requests.post(f"{world.base}/aliyun/{kind}/{token}", json=items, timeout=5)


def test_a_pushed_report_proves_delivery_once_and_a_late_contrary_one_changes_nothing(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    row, out_id = sent(world)
    assert world.aliyun.report(out_id) == 200
    assert world.rows()[0]["status"] == "delivered"
    answer = push(world, [report_item(row)])  # Aliyun pushes again (it does not promise exactly once)
    assert answer.status_code == 200 and answer.json()["code"] == 0 and answer.json()["outcomes"] == ["duplicate"]
    assert push(world, [report_item(row, success=False, code="MK:0001")]).json()["outcomes"] == ["stale"]
    (row,) = world.rows()
    assert row["status"] == "delivered" and row["delivered_at"] == world.clock.now()
    with world.engine.store.reading() as tx:
        assert [(r["status"], r["applied"]) for r in tx.receipts_of(row["id"])] == [("delivered", True),
                                                                                   ("undelivered", False)]
    assert world.tasks() == []


def test_pushes_with_a_wrong_token_a_foreign_number_or_a_bad_item_change_nothing(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    row, _ = sent(world)
    assert push(world, [report_item(row)], token="guessed0123456789xx").status_code == 403
    assert push(world, [report_item(row, phone=PHONE_B[3:])]).json()["outcomes"] == ["number mismatch"]
    assert push(world, [report_item(row), {"out_id": row["provider_id"]}]).status_code == 400
    assert requests.post(f"{world.base}/aliyun/report/{PUSH_TOKEN}", data="not json", timeout=5).status_code == 400
    assert push(world, [dict(report_item(row), out_id="duban-999999-0123456789ab")]).json()["outcomes"] == [
        "unknown message"]
    assert world.rows()[0]["status"] == "queued"


def test_without_a_push_token_the_push_urls_do_not_exist(make_aliyun_world):
    world = make_aliyun_world(push=False)
    assert requests.post(f"{world.base}/aliyun/report/{PUSH_TOKEN}", json=[], timeout=5).status_code == 404


def test_an_empty_number_reported_marks_the_contact_and_raises_a_task(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    _, out_id = sent(world)
    world.aliyun.report(out_id, success=False, err_code="MK:0001")
    (row,) = world.rows()
    assert row["status"] == "undelivered" and row["error_code"] == "MK:0001"
    assert world.tasks()[0]["details"]["bad_number"] is True


def test_a_handset_that_was_off_gets_the_message_again_later(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    _, out_id = sent(world)
    world.aliyun.report(out_id, success=False, err_code="EXPIRED")
    first, again = world.rows()
    assert first["status"] == "undelivered" and again["status"] == "pending" and again["related_id"] == first["id"]
    world.clock.set(again["send_at"])
    assert world.run().sent == 1 and world.aliyun.sends() == 2


def test_without_push_the_worker_polls_query_send_details_for_reports(make_aliyun_world):
    world = make_aliyun_world(push=False)
    open_order(world, phones=(PHONE_A, PHONE_B))
    world.run()
    assert world.poll() == 0  # the carrier has not reported yet
    first, second = world.aliyun.messages
    world.aliyun.report(first.out_id, push=False)
    world.aliyun.report(second.out_id, success=False, err_code="MK:0001", push=False)
    assert world.poll() == 2
    statuses = {r["recipient"]: r["status"] for r in world.rows()}
    assert statuses == {PHONE_A: "delivered", PHONE_B: "undelivered"}
    assert world.poll() == 0  # nothing awaits a report any more: no more questions
    scheduler = build_scheduler(world.engine, world.sms, world.settings, WorkerHealth(5.0), blocking=False)
    assert scheduler.get_job("sms.receipts.poll") is not None


def test_with_push_the_worker_does_not_poll(aliyun_world: AliyunWorld):
    scheduler = build_scheduler(aliyun_world.engine, aliyun_world.sms, aliyun_world.settings, WorkerHealth(5.0),
                                blocking=False)
    assert scheduler.get_job("sms.receipts.poll") is None


def test_a_reply_signs_the_order_once_and_only_from_the_units_number(aliyun_world: AliyunWorld):
    world = aliyun_world
    open_order(world)
    world.run()
    assert world.aliyun.send_up(PHONE_B, "签收 WO-1", sequence_id=1) == 200  # not a contact of the unit
    with world.engine.store.reading() as tx:
        assert tx.get_order("WO-1").signed_at is None
    assert world.aliyun.send_up(PHONE_A, "签收 WO-1", sequence_id=2) == 200
    assert world.aliyun.send_up(PHONE_A, "签收 WO-1", sequence_id=2) == 200  # pushed twice
    with world.engine.store.reading() as tx:
        order = tx.get_order("WO-1")
        assert order.signed_at == world.clock.now()
        assert tx.inbound_outcome("aliyun-up-2") == "工单WO-1已签收，请按期办理。"
        assert "不存在或不属于本号码所在单位" in tx.inbound_outcome("aliyun-up-1")
    answer = push(world, [{"phone_number": PHONE_A[3:], "content": "签收 WO-1", "sequence_id": 3,
                           "send_time": "2026-06-02 10:05:00", "dest_code": "1234"}], kind="up")
    assert "无需重复签收" in answer.json()["outcomes"][0]  # a second sign-for is answered, not applied twice
    assert push(world, [{"content": "签收 WO-1"}], kind="up").status_code == 400


HOSTILE = {"surrogate-key": b'[{"\\ud800": 1}]',
           "surrogate-values": b'[{"out_id": "\\ud800", "phone_number": "\\udfff", "success": true, '
                               b'"content": "\\ud800", "sequence_id": "\\udc00"}]',
           "deep-nesting": b"[" * 30_000 + b"]" * 30_000}  # as deep as the pushes' 64 KB limit allows


@pytest.mark.parametrize("kind", ["report", "up"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_json_pushed_to_aliyun_urls_gets_a_400_and_changes_nothing(aliyun_world: AliyunWorld, kind: str,
                                                                          name: str):
    world = aliyun_world
    before = world.rows()
    response = requests.post(f"{world.base}/aliyun/{kind}/{PUSH_TOKEN}", data=HOSTILE[name], timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    assert world.rows() == before


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_a_utf16_report_is_read_as_json(aliyun_world: AliyunWorld, encoding: str):
    world = aliyun_world
    world.engine.register_unit("U1", "揭阳市生态环境局", ["+8613900000001"])
    world.engine.open_work_order(number="GD1", unit_code="U1", category="咨询", urgency="一般", source="12345",
                                 at=world.clock.now())
    world.run()
    row = world.rows()[0]
    item = {"phone_number": "13900000001", "success": True, "err_code": "DELIVERED", "out_id": row["provider_id"],
            "report_time": "2026-06-01 08:01:00", "biz_id": "1^0"}
    response = requests.post(f"{world.base}/aliyun/report/{PUSH_TOKEN}", timeout=30,
                             data=json.dumps([item], ensure_ascii=False).encode(encoding),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text[:300]
    assert world.rows()[0]["status"] == "delivered"
