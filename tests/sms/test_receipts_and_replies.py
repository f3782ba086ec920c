"""Delivery receipts and answers from units: only Twilio-signed webhooks are heard, each once, statuses only move
forward; a contact acknowledges or signs for an order through the signed link, or by replying 签收."""
from __future__ import annotations

from tests.conftest import local

import re

import requests

from tests.web_login import csrf_of, live_session

from tests.sms.conftest import PHONE_A, PHONE_B, PUBLIC_URL, SmsWorld
from tests.sms.test_sending import open_night_orders, open_order


def sent_row(world: SmsWorld) -> dict:
    (row,) = world.rows()
    return row


def post_signed(world: SmsWorld, path: str, form: dict, *, signed_url: str | None = None,
                signature: str | None = None) -> requests.Response:
    sig = signature if signature is not None else world.fake.sign(signed_url or PUBLIC_URL + path, form)
    return requests.post(world.base + path, data=form, headers={"X-Twilio-Signature": sig}, timeout=5)


def receipt_form(world: SmsWorld, sid: str, status: str, code: str | None = None) -> dict:
    form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status, "To": PHONE_A,
            "From": "+15005550006", "AccountSid": world.fake.account_sid, "ApiVersion": "2010-04-01"}
    if code:
        form["ErrorCode"] = code
    return form


def test_receipts_move_a_message_forward_and_prove_delivery(world: SmsWorld):
    open_order(world)
    world.run()
    sid = world.fake.messages[0].sid
    assert world.fake.deliver(sid, "sent") == 200
    assert sent_row(world)["status"] == "sent"
    world.clock.advance(minutes=1)
    assert world.fake.deliver(sid, "delivered") == 200
    row = sent_row(world)
    assert row["status"] == "delivered" and row["delivered_at"] == world.clock.now()
    with world.engine.store.reading() as tx:
        assert [r["status"] for r in tx.receipts_of(row["id"])] == ["sent", "delivered"]
    page = supervisor(world).get(f"{world.base}/sms/{row['id']}", timeout=5).text
    assert "已送达" in page and sid in page


def test_out_of_order_and_duplicate_receipts_never_move_a_message_back(world: SmsWorld):
    open_order(world)
    world.run()
    sid = world.fake.messages[0].sid
    assert world.fake.deliver(sid, "delivered") == 200
    assert world.fake.deliver(sid, "sent") == 200  # late: kept as evidence, changes nothing
    assert world.fake.deliver(sid, "delivered") == 200  # Twilio retried the webhook
    row = sent_row(world)
    assert row["status"] == "delivered"
    with world.engine.store.reading() as tx:
        receipts = tx.receipts_of(row["id"])
    assert [(r["status"], r["applied"]) for r in receipts] == [("delivered", True), ("sent", False)]


def test_forged_tampered_and_misaddressed_callbacks_are_refused_and_change_nothing(world: SmsWorld):
    open_order(world)
    world.run()
    sid = world.fake.messages[0].sid
    row = sent_row(world)
    path = f"/twilio/status?m={row['id']}"
    form = receipt_form(world, sid, "delivered")
    assert post_signed(world, path, form, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert post_signed(world, path, form, signature="").status_code == 403
    tampered = dict(form, MessageStatus="failed", ErrorCode="30006")
    genuine_sig = world.fake.sign(PUBLIC_URL + path, form)
    assert post_signed(world, path, tampered, signature=genuine_sig).status_code == 403
    # signed over the URL the proxy forwards to (http://127.0.0.1…) instead of the public one
    assert post_signed(world, path, form, signed_url=world.base + path).status_code == 403
    # signed with another account's token
    from twilio.request_validator import RequestValidator
    other = RequestValidator("someone-else's-token").compute_signature(PUBLIC_URL + path, form)
    assert post_signed(world, path, form, signature=other).status_code == 403
    assert sent_row(world)["status"] == "queued"
    with world.engine.store.reading() as tx:
        assert tx.receipts_of(row["id"]) == [] and tx.failing_contacts() == []
    # the genuine one, then the same request replayed
    assert post_signed(world, path, form).status_code == 200
    replay = post_signed(world, path, form)
    assert replay.status_code == 200 and replay.text == "duplicate"
    assert sent_row(world)["status"] == "delivered"


def test_a_receipt_that_arrives_before_our_commit_is_matched_by_the_callback_reference(make_world):
    """Twilio may call back before we stored its id (or after a timeout we never got it): `m=` names the row."""
    world = make_world(twilio_timeout=1.0)  # a short client timeout; the fake answers after 3 s
    open_order(world)
    world.fake.script("slow:3")
    world.run()
    row = sent_row(world)
    assert row["status"] == "unknown"
    sid = world.fake.messages[0].sid
    assert world.fake.deliver(sid, "delivered") == 200
    row = sent_row(world)
    assert row["status"] == "delivered" and row["provider_id"] == sid
    world.clock.advance(minutes=30)
    world.run()
    assert len(world.fake.messages) == 1 and sent_row(world)["status"] == "delivered"


def test_undelivered_because_the_handset_was_off_is_sent_again_after_the_backoff(world: SmsWorld):
    open_order(world)
    world.run()
    first = world.fake.messages[0].sid
    world.fake.deliver(first, "undelivered", 30003)
    rows = world.rows()
    assert [r["status"] for r in rows] == ["undelivered", "pending"]
    assert rows[1]["related_id"] == rows[0]["id"] and rows[0]["related_id"] == rows[1]["id"]
    world.run()
    assert len(world.fake.messages) == 1  # not before the backoff
    world.clock.advance(minutes=1)
    world.run()
    assert len(world.fake.messages) == 2
    world.fake.deliver(world.fake.messages[1].sid, "delivered")
    assert [r["status"] for r in world.rows()] == ["undelivered", "delivered"]
    assert world.tasks() == []


def test_failed_because_the_number_is_a_landline_marks_it_and_raises_a_task(world: SmsWorld):
    open_order(world)
    world.run()
    world.fake.deliver(world.fake.messages[0].sid, "failed", 30006)
    row = sent_row(world)
    assert row["status"] == "failed" and row["error_code"] == "30006"
    (task,) = world.tasks()
    assert task["details"]["bad_number"] is True
    page = supervisor(world).get(f"{world.base}/sms?group=failed", timeout=5).text
    assert "号码失效的联系人" in page and "+86139****0001" in page and PHONE_A not in page


def supervisor(world: SmsWorld) -> requests.Session:
    return live_session(world.base, world.engine, "supervisor1", "supervisor")


def contact_form(world: SmsWorld, path: str) -> tuple[requests.Session, str]:
    """The contact's browser after opening the link: its session and the form's CSRF token."""
    session = requests.Session()
    return session, csrf_of(session.get(world.base + path, timeout=5).text)


def link_in(body: str) -> str:
    match = re.search(r"https://duban\.example\.gov\.cn(/a/[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def test_the_contact_signs_for_the_order_through_the_link_without_a_password(world: SmsWorld):
    open_order(world)
    world.run()
    path = link_in(world.fake.messages[0].body)
    page = requests.get(world.base + path, timeout=5)
    assert page.status_code == 200 and "工单 WO-1" in page.text and "+86139****0001" in page.text
    world.clock.advance(minutes=20)
    contact, token = contact_form(world, path)
    assert contact.post(world.base + path + "/sign", data={"order": "WO-1"}, timeout=5).status_code == 400  # no token
    done = contact.post(world.base + path + "/sign", data={"order": "WO-1", "csrf_token": token}, timeout=5)
    assert done.status_code == 200 and "工单WO-1已签收" in done.text
    assert [r.status_code for r in done.history] == [303]  # POST-redirect-GET: a reload does not sign again
    assert "签收工单 WO-1" not in done.text  # signed: 签收 is no longer offered
    row = sent_row(world)
    with world.engine.store.reading() as tx:
        order = tx.get_order("WO-1")
    assert order.signed_at == world.clock.now() and order.status == "signed"
    assert row["acknowledged_at"] == world.clock.now()
    again = contact.post(world.base + path + "/sign", data={"order": "WO-1", "csrf_token": token}, timeout=5)
    assert again.status_code == 409 and "已签收" in again.text


def test_the_link_page_says_how_late_the_order_is_and_offers_no_sign_for_a_replied_one(world: SmsWorld):
    open_order(world)  # 咨询 of Tue 2 June: deadline Thu 4 June 23:59
    world.run()
    path = link_in(world.fake.messages[0].body)
    world.clock.set(local(2026, 6, 9, 10, 0))  # Fri 5, Mon 8, Tue 9
    page = requests.get(world.base + path, timeout=5).text
    assert "已超期3个工作日" in page and "签收工单 WO-1" in page
    world.engine.record_event("WO-1", "replied", at=world.clock.now())
    page = requests.get(world.base + path, timeout=5).text
    assert "超期" not in page and "签收工单 WO-1" not in page


def test_a_link_cannot_act_on_another_order_and_forged_or_expired_links_are_refused(world: SmsWorld):
    open_order(world)
    world.engine.register_unit("U2", "揭东区人民政府", [PHONE_B])
    world.engine.open_work_order(number="OTHER", unit_code="U2", category="咨询", urgency="一般", source="12345",
                                 at=world.clock.now())
    world.run()
    body = next(m.body for m in world.fake.messages if m.to == PHONE_A)
    path = link_in(body)
    contact, token = contact_form(world, path)
    assert contact.post(world.base + path + "/sign", data={"order": "OTHER", "csrf_token": token},
                        timeout=5).status_code == 404
    with world.engine.store.reading() as tx:
        assert tx.get_order("OTHER").signed_at is None
    forged = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert requests.get(world.base + forged, timeout=5).status_code == 403
    assert contact.post(world.base + forged + "/sign", data={"order": "WO-1", "csrf_token": token},
                        timeout=5).status_code == 403
    world.clock.advance(days=15)
    expired = requests.get(world.base + path, timeout=5)
    assert expired.status_code == 410 and "过期" in expired.text
    with world.engine.store.reading() as tx:
        assert tx.get_order("WO-1").signed_at is None


def test_the_digest_link_lists_every_order_it_covers(world: SmsWorld):
    open_night_orders(world, 2)
    world.run()
    page = requests.get(world.base + link_in(world.fake.messages[0].body), timeout=5).text
    assert "工单 WO-0" in page and "工单 WO-1" in page


def test_a_reply_sign_for_an_order_signs_it_once(world: SmsWorld):
    open_order(world)
    url = PUBLIC_URL + "/twilio/inbound"
    assert world.fake.send_inbound(url, from_=PHONE_A, to="+15005550006", body="签收 WO-1", sid="SM" + "1" * 32) == 200
    with world.engine.store.reading() as tx:
        order = tx.get_order("WO-1")
    assert order.signed_at is not None
    assert world.fake.send_inbound(url, from_=PHONE_A, to="+15005550006", body="签收 WO-1", sid="SM" + "1" * 32) == 200
    with world.engine.store.reading() as tx:
        events = [e for e in tx.c.exec_driver_sql(
            "select type from order_events where order_number='WO-1'").scalars()]
    assert events.count("signed") == 1


def test_replies_from_strangers_forgeries_and_nonsense_do_nothing(world: SmsWorld):
    open_order(world)
    path = "/twilio/inbound"
    stranger = {"MessageSid": "SM" + "2" * 32, "From": "+8613700000000", "To": "+15005550006", "Body": "签收 WO-1"}
    response = post_signed(world, path, stranger)
    assert response.status_code == 200 and "不属于本号码所在单位" in response.text
    forged = {"MessageSid": "SM" + "3" * 32, "From": PHONE_A, "To": "+15005550006", "Body": "签收 WO-1"}
    assert post_signed(world, path, forged, signature="Zm9yZ2Vk").status_code == 403
    nonsense = {"MessageSid": "SM" + "4" * 32, "From": PHONE_A, "To": "+15005550006", "Body": "你好"}
    assert "未能识别" in post_signed(world, path, nonsense).text
    with world.engine.store.reading() as tx:
        assert tx.get_order("WO-1").signed_at is None
