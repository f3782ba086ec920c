"""Reminders reach units through the real twilio client: the approved text with a signed link, once each, with
the provider's id stored; failures retried, refused or checked, never dropped silently and never doubled."""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import local
from tests.sms.conftest import PHONE_A, PHONE_B, PUBLIC_URL, SmsWorld
from tests.sms.killed_worker import kill_a_worker_after_acceptance


def open_order(world: SmsWorld, number: str = "WO-1", phones: tuple[str, ...] = (PHONE_A,), unit: str = "U1",
               at=None) -> None:
    world.engine.register_unit(unit, "揭阳市生态环境局", list(phones))
    world.clock.set(at or local(2026, 6, 2, 10, 0))
    world.engine.open_work_order(number=number, unit_code=unit, category="咨询", urgency="一般", source="12345",
                                 at=world.clock.now())


def test_a_reminder_goes_out_once_with_the_approved_text_a_signed_link_and_a_status_callback(world: SmsWorld):
    open_order(world, phones=(PHONE_A, PHONE_B))
    report = world.run()
    assert report.sent == 2
    assert sorted(m.to for m in world.fake.messages) == [PHONE_A, PHONE_B]
    message = world.fake.messages[0]
    assert message.from_ == "+15005550006"
    assert message.body.startswith("【揭阳12345】工单WO-1已派发至揭阳市生态环境局")
    assert f"{PUBLIC_URL}/a/" in message.body
    rows = world.rows()
    assert {r["status"] for r in rows} == {"queued"}
    by_sid = {r["provider_id"]: r for r in rows}
    row = by_sid[message.sid]
    assert row["body"] == message.body and row["attempts"] == 1
    assert message.status_callback == f"{PUBLIC_URL}/twilio/status?m={row['id']}"
    assert world.run().sent == 0 and len(world.fake.messages) == 2  # nothing goes twice


def test_quiet_hours_hold_a_routine_reminder_until_eight(world: SmsWorld):
    open_order(world, at=local(2026, 6, 2, 22, 0))
    world.clock.set(local(2026, 6, 2, 23, 30))
    assert world.run().sent == 0 and world.fake.messages == []
    world.clock.set(local(2026, 6, 3, 8, 0))
    assert world.run().sent == 1


def test_busy_provider_is_retried_with_backoff_and_the_message_goes_once(world: SmsWorld):
    open_order(world)
    world.fake.script("error:429:20429", "error:503:0")
    world.run()
    (row,) = world.rows()
    assert row["status"] == "pending" and row["error_code"] == "20429"
    assert row["send_at"] == world.clock.now() + timedelta(minutes=1)
    assert world.run().sent == 0  # not due yet
    world.clock.advance(minutes=1)
    world.run()
    (row,) = world.rows()
    assert row["status"] == "pending" and row["attempts"] == 2
    assert row["send_at"] == world.clock.now() + timedelta(minutes=5)
    world.clock.advance(minutes=5)
    assert world.run().sent == 1
    (row,) = world.rows()
    assert row["status"] == "queued" and row["attempts"] == 3 and row["last_error"] is None
    assert len(world.fake.messages) == 1


def test_a_provider_that_stays_down_ends_in_failed_with_a_reason_and_a_supervisor_task(world: SmsWorld):
    open_order(world)
    world.fake.script(*["error:503:0"] * 5)
    for _ in range(5):
        world.run()
        world.clock.advance(hours=2)
    (row,) = world.rows()
    assert row["status"] == "failed" and row["attempts"] == 5
    assert "5次尝试后仍未发出" in row["last_error"]
    (task,) = world.tasks()
    assert task["order_number"] == "WO-1" and task["status"] == "open"
    assert world.fake.messages == []


def test_an_invalid_number_stops_at_once_marks_the_contact_and_later_messages_are_not_attempted(world: SmsWorld):
    open_order(world)
    world.fake.script("error:400:21211")
    world.run()
    (row,) = world.rows()
    assert row["status"] == "failed" and row["error_code"] == "21211" and row["attempts"] == 1
    (task,) = world.tasks()
    assert task["details"]["bad_number"] is True and task["unit_code"] == "U1"
    with world.engine.store.reading() as tx:
        (contact,) = tx.failing_contacts()
    assert contact["phone"] == PHONE_A and "21211" in contact["failing_reason"]
    requests_before = len(world.fake.requests)
    world.clock.advance(days=1)
    world.engine.open_work_order(number="WO-2", unit_code="U1", category="咨询", urgency="一般", source="12345",
                                 at=world.clock.now())
    world.run()
    assert len(world.fake.requests) == requests_before  # the failing number is not tried again
    assert world.rows(order_number="WO-2")[0]["status"] == "failed"
    assert len(world.tasks()) == 1  # one task per broken number, not one per message


def test_an_unsubscribed_number_is_refused_for_good(world: SmsWorld):
    open_order(world)
    world.fake.script("error:400:21610")
    world.run()
    (row,) = world.rows()
    assert row["status"] == "failed" and row["error_code"] == "21610"
    assert world.tasks()[0]["details"]["bad_number"] is True


def test_a_timeout_after_twilio_accepted_is_checked_with_twilio_and_never_sent_twice(make_world):
    world = make_world(twilio_timeout=1.0)  # a short client timeout; the fake answers after 3 s
    open_order(world)
    world.fake.script("slow:3")
    report = world.run()
    assert report.ambiguous == 1
    (row,) = world.rows()
    assert row["status"] == "unknown" and row["provider_id"] is None
    assert world.run().sent == 0  # not resent while unconfirmed
    world.clock.advance(minutes=10)
    report = world.run()
    assert report.confirmed == 1 and report.sent == 0
    (row,) = world.rows()
    assert row["status"] == "queued" and row["provider_id"] == world.fake.messages[0].sid
    assert len(world.fake.messages) == 1


def test_a_connection_dropped_after_acceptance_is_found_and_not_resent(world: SmsWorld):
    open_order(world)
    world.fake.script("drop_after_accept")
    world.run()
    world.clock.advance(minutes=10)
    world.run()
    (row,) = world.rows()
    assert row["status"] == "queued" and len(world.fake.messages) == 1


def test_a_connection_dropped_before_acceptance_is_sent_again_once_twilio_confirms_it_has_nothing(world: SmsWorld):
    open_order(world)
    world.fake.script("drop")
    world.run()
    assert world.rows()[0]["status"] == "unknown"
    world.clock.advance(minutes=10)
    world.run()  # twilio has no such message: back in the queue
    assert world.rows()[0]["status"] == "pending"
    world.run()
    (row,) = world.rows()
    assert row["status"] == "queued" and row["attempts"] == 2
    assert len(world.fake.messages) == 1


def test_a_worker_that_dies_after_twilio_accepted_leaves_no_second_sms(world: SmsWorld, make_world):
    """The worker is killed between Twilio's answer and our commit: the row stays `sending`. The next worker
    (a fresh engine on the same database) finds it at Twilio instead of sending it again."""
    open_order(world)

    class Crash(BaseException):
        pass

    real = world.sms.gateway

    class DiesAfterSending:
        name = "twilio"

        def send(self, message):
            real.send(message)
            raise Crash()

        def find_sent(self, *args):  # pragma: no cover - the dying worker never gets here
            return real.find_sent(*args)

    try:
        world.sms.delivery.run(DiesAfterSending())
    except Crash:
        pass
    assert world.rows()[0]["status"] == "sending" and len(world.fake.messages) == 1
    world.clock.advance(minutes=6)  # past the sending lease
    world.run()  # a new pass: recovers the row as unknown and checks it with Twilio
    (row,) = world.rows()
    assert row["status"] == "queued" and row["provider_id"] == world.fake.messages[0].sid
    world.clock.advance(hours=1)
    world.run()
    assert len(world.fake.messages) == 1


def test_a_lost_acceptance_is_found_behind_hundreds_of_later_messages_to_a_busy_number(world: SmsWorld):
    """The worker dies after Twilio accepted; before the check, 300 other messages go to the same number. The
    check pages through all of them back to the attempt and finds it: no second SMS."""
    open_order(world)
    world.fake.script("drop_after_accept")  # the answer never arrives: as good as a worker killed mid-call
    world.run()
    (lost,) = world.fake.messages
    client = world.sms.gateway.client
    for n in range(300):
        client.messages.create(to=PHONE_A, from_="+15005550006", body=f"【揭阳12345】其他提醒{n}")
    world.clock.advance(minutes=10)
    assert world.run().confirmed == 1
    (row,) = world.rows()
    assert row["status"] == "queued" and row["provider_id"] == lost.sid
    world.clock.advance(hours=1)
    world.run()
    assert [m.sid for m in world.fake.messages if m.body == lost.body] == [lost.sid]  # sent once


def test_a_message_sent_again_carries_the_same_text_and_link_as_its_first_attempt(world: SmsWorld):
    open_order(world)
    world.fake.script("drop")  # the request may have reached Twilio; it did not
    world.run()
    (first,) = world.rows()
    assert first["status"] == "unknown" and f"{PUBLIC_URL}/a/" in first["body"]
    world.clock.advance(minutes=10)
    world.run()  # Twilio has nothing: back in the queue
    world.clock.advance(minutes=7)
    world.run()
    (message,) = world.fake.messages
    assert message.body == first["body"]
    (row,) = world.rows()
    assert row["status"] == "queued" and row["attempts"] == 2 and row["body"] == first["body"]


def open_night_orders(world: SmsWorld, count: int) -> None:
    """`count` orders for one contact dispatched at 21:00: their reminders wait for 08:00 together."""
    world.engine.register_unit("U1", "揭阳市生态环境局", [PHONE_A])
    world.clock.set(local(2026, 6, 2, 21, 0))
    for n in range(count):
        world.engine.open_work_order(number=f"WO-{n}", unit_code="U1", category="咨询", urgency="一般",
                                     source="12345", at=world.clock.now())
    world.clock.set(local(2026, 6, 3, 8, 0))


def test_reminders_for_one_contact_in_one_pass_become_one_digest(world: SmsWorld):
    open_night_orders(world, 3)
    report = world.run()
    assert report.merged == 3 and report.sent == 1
    (message,) = world.fake.messages
    assert message.body.startswith("【揭阳12345】您有3件工单的督办提醒（WO-0、WO-1、WO-2）")
    merged = [r for r in world.rows() if r["status"] == "merged"]
    digest = [r for r in world.rows() if r["template"] == "digest"][0]
    assert len(merged) == 3 and {r["related_id"] for r in merged} == {digest["id"]}


def test_the_same_text_to_the_same_number_is_not_sent_twice_within_a_day(world: SmsWorld):
    open_order(world)
    world.run()
    (first,) = world.rows()
    with world.engine.store.transaction() as tx:
        tx.add_outbox([{"key": "again", "channel": "sms", "order_number": "WO-1", "recipient": PHONE_A,
                        "template": first["template"], "params": first["params"], "send_at": world.clock.now(),
                        "created_at": world.clock.now()}])
    world.clock.advance(hours=3)
    report = world.run()
    assert report.suppressed == 1 and len(world.fake.messages) == 1
    again = world.rows(key="again")[0]
    assert again["status"] == "suppressed" and again["related_id"] == first["id"]
    world.clock.advance(days=1)
    with world.engine.store.transaction() as tx:
        tx.add_outbox([{"key": "next-day", "channel": "sms", "order_number": "WO-1", "recipient": PHONE_A,
                        "template": first["template"], "params": first["params"], "send_at": world.clock.now(),
                        "created_at": world.clock.now()}])
    assert world.run().sent == 1  # a day later the same reminder may go again


def test_a_worker_process_killed_after_twilio_accepted_leaves_no_second_sms(world: SmsWorld, tmp_path):
    """The same as above with a real process killed by os._exit: its row is committed `sending`, nothing more."""
    open_order(world)
    kill_a_worker_after_acceptance(world, tmp_path, sms_gateway="twilio", twilio_account_sid=world.fake.account_sid,
                                   twilio_auth_token=world.fake.auth_token, twilio_from="+15005550006",
                                   twilio_api_url=world.fake.url)
    assert len(world.fake.messages) == 1 and world.rows()[0]["status"] == "sending"
    world.clock.advance(minutes=6)
    world.run()
    world.clock.advance(hours=2)
    world.run()
    (row,) = world.rows()
    assert row["status"] == "queued" and row["provider_id"] == world.fake.messages[0].sid
    assert len(world.fake.messages) == 1


def test_a_digest_with_the_same_text_but_new_reminders_goes_out_and_only_a_true_repeat_is_held(world: SmsWorld):
    """Two orders of one unit, never signed: the dispatch notices (Tue 10:00), the 临期提醒 (Wed 09:00) and the
    签收超时 reminders (Thu 09:00, exactly a day later) each come as a digest whose text is the same (您有2件工单的
    督办提醒（WO-0、WO-1）…) but whose reminders are new: each digest goes out. The same reminders queued again
    within the day are a true repeat and are held back."""
    world.engine.register_unit("U1", "揭阳市生态环境局", [PHONE_A])
    world.clock.set(local(2026, 6, 2, 10, 0))
    for n in range(2):
        world.engine.open_work_order(number=f"WO-{n}", unit_code="U1", category="咨询", urgency="一般",
                                     source="12345", at=world.clock.now())
    world.run()
    for day in (3, 4):
        world.clock.set(local(2026, 6, day, 9, 0))
        world.engine.fire_due_timers()
        world.run()
    digests = world.rows(template="digest")
    carried = {d["id"]: sorted(r["template"] for r in world.rows(related_id=d["id"], status="merged"))
               for d in digests}
    assert sorted(carried.values()) == [["dispatched"] * 2, ["due_soon"] * 2, ["sign_overdue"] * 2]
    assert [d["status"] for d in digests] == ["queued"] * 3, [(d["status"], d["last_error"]) for d in digests]
    assert len(world.fake.messages) == 3
    assert {m.body.split("：")[0] for m in world.fake.messages} == {"【揭阳12345】您有2件工单的督办提醒（WO-0、WO-1），请查看并签收"}

    world.clock.advance(hours=1)
    sign_overdue = world.rows(template="sign_overdue")
    with world.engine.store.transaction() as tx:
        tx.add_outbox([{"key": f"again-{r['order_number']}", "channel": "sms", "order_number": r["order_number"],
                        "recipient": PHONE_A, "template": "sign_overdue", "params": r["params"],
                        "send_at": world.clock.now(), "created_at": world.clock.now()} for r in sign_overdue])
    report = world.run()
    assert report.merged == 2 and report.suppressed == 1 and report.sent == 0 and len(world.fake.messages) == 3
    repeat = world.rows(template="digest")[-1]
    assert repeat["status"] == "suppressed"
    assert carried[repeat["related_id"]] == ["sign_overdue"] * 2  # held back as the digest that carried the same
