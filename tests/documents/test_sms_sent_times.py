"""The record table of a letter shows when each SMS actually left (the outbox's sent time, through the real
delivery path), not the time the rule step asked for it; an SMS not yet gone is marked as such."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from config.settings import Settings
from engine.clock import VirtualClock
from engine.documents.model import Table, content_from_json
from engine.persistence.document_store import DocumentRecords
from engine.persistence.tables import outbox
from tests.conftest import local
from workflows.adapters.outbox_sms import OutboxOnlySmsGateway
from workflows.bootstrap import build_engine, build_sms
from workflows.documents.issuing import issue_all_pending

DELAY = timedelta(minutes=7)  # each SMS leaves this long after its rule step (a worker's delivery pass)


@pytest.fixture(scope="module")
def letter(tmp_path_factory):
    clock = VirtualClock(local(2026, 6, 1, 8, 0))
    settings = Settings(worker_id="sms-times")
    engine = build_engine(settings, clock=clock,
                          database_url=f"sqlite:///{tmp_path_factory.mktemp('sms-times')}/duban.db")
    sms = build_sms(settings, engine, gateway=OutboxOnlySmsGateway())
    engine.register_unit("U01", "揭阳市生态环境局", ["+8613800138000"])
    engine.open_work_order(number="GD20260601001", unit_code="U01", category="咨询", urgency="一般", source="12345",
                           at=local(2026, 6, 1, 10, 0), title="河道偷排污水")
    clock.set(local(2026, 6, 1, 10, 0) + DELAY)
    sms.delivery.run(sms.gateway)  # the dispatch notice
    engine.record_event("GD20260601001", "signed", at=local(2026, 6, 1, 11, 0))
    until = local(2026, 6, 30, 12, 0)
    while (due := engine.next_due()) is not None and due <= until:
        clock.set(max(due, clock.now()))
        engine.fire_due_timers()
        issue_all_pending(engine)  # the documents are worded before their step's SMS leaves
        clock.set(clock.now() + DELAY)
        sms.delivery.run(sms.gateway)
    with engine.store.reading() as tx:
        records = DocumentRecords(tx)
        _, rows = records.listing(kind="supervision_letter")
        content = content_from_json(records.get(rows[0]["id"])["content"])
        sent = [dict(r) for r in tx.c.execute(sa.select(outbox.c.template, outbox.c.send_at, outbox.c.sent_at,
                                                        outbox.c.status).where(outbox.c.channel == "sms")).mappings()]
    return content, sent


def test_each_sms_line_is_dated_when_it_left(letter):
    content, sent = letter
    [table] = [b for b in content.blocks if isinstance(b, Table)]
    sms_rows = [row for row in table.rows if row[1].startswith("短信提醒")]
    assert sms_rows, table.rows
    gone = {(r["sent_at"].astimezone(local(2026, 6, 1).tzinfo).strftime("%Y年%-m月%-d日%H:%M"))
            for r in sent if r["sent_at"] is not None}
    for when, _ in sms_rows:
        assert when.endswith(":07"), sms_rows  # 09:07, not the rule's 09:00
        assert when in gone
    assert ("2026年6月1日10:07", "短信提醒（派单）") in sms_rows
    assert ("2026年6月2日09:07", "短信提醒（临期）") in sms_rows
    assert not any(when.endswith(":00") and what.startswith("短信提醒") for when, what in table.rows)


def test_the_letters_own_sms_not_yet_gone_is_not_listed_as_sent(letter):
    content, _ = letter
    [table] = [b for b in content.blocks if isinstance(b, Table)]
    letter_line = [row for row in table.rows if row[1].startswith("发出督办函")]
    assert letter_line[-1][1] == f"发出督办函（{content.number}）"  # the letter's own line, with its number
    assert not any(what == "短信提醒（督办函）" for _, what in table.rows)  # it left after the letter was worded
