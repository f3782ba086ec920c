"""Two workers delivering the same outbox on PostgreSQL at the same moment: every message goes exactly once."""
from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from tests.conftest import local
from tests.sms.conftest import SENDER
from workflows.bootstrap import build_sms


@pytest.mark.postgres
def test_two_workers_send_each_message_once(pg_url, make_engine, clock, fake, settings):
    s = replace(settings, sms_gateway="twilio", twilio_account_sid=fake.account_sid,
                twilio_auth_token=fake.auth_token, twilio_from=SENDER, twilio_api_url=fake.url,
                public_url="https://duban.example.gov.cn", twilio_timeout=2.0)
    first = make_engine(clock=clock, database_url=pg_url)
    second = make_engine(clock=clock, database_url=pg_url, worker_id="second-worker")
    clock.set(local(2026, 6, 2, 10, 0))
    for u in range(40):
        first.register_unit(f"U{u}", f"单位{u}", [f"+86139{u:08d}"])
        first.open_work_order(number=f"WO-{u}", unit_code=f"U{u}", category="咨询", urgency="一般",
                              source="12345", at=clock.now())
    senders = [build_sms(s, first), build_sms(s, second)]
    barrier = threading.Barrier(2)
    reports = []

    def work(sms):
        barrier.wait()
        for _ in range(5):
            reports.append(sms.delivery.run(sms.gateway, limit=7))

    threads = [threading.Thread(target=work, args=(sms,)) for sms in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.sent for r in reports) == 40
    assert sorted(m.to for m in fake.messages) == sorted(f"+86139{u:08d}" for u in range(40))
    with first.store.reading() as tx:
        statuses = tx.c.exec_driver_sql("select status, count(*) from outbox group by status").all()
        workers = {w for (w,) in tx.c.exec_driver_sql("select distinct claimed_by from outbox")}
    assert dict(statuses) == {"queued": 40}
    assert workers == {"test-worker", "second-worker"}  # both took part
