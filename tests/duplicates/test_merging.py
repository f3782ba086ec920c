"""Issue 19 item 3: 并单. A merged child's ladder stops, the parent's reply and closing are recorded on it and it can
still be called back; the assessment counts the parent once; unmerging restores the child's own clock from that
moment; all of it audited, drawn in its own BPMN process, and in replay (`merged`, `unmerged`)."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from config.loader import load_calendar, load_rules
from config.settings import Settings
from engine.domain.location import order_location
from engine.persistence.assessment_store import AssessmentRecords
from engine.persistence.tables import actions, audit_log, order_events
from tests.conftest import local
from tests.web_login import client_as, post
from workflows.replay import ReplayError, read_events, replay

START = local(2026, 6, 1, 9, 0)  # a Monday


def _kinds(engine, number, after=None):
    with engine.store.reading() as tx:
        query = sa.select(actions.c.kind, actions.c.at).where(actions.c.order_number == number)
        return [r.kind for r in tx.c.execute(query) if after is None or r.at > after]


def _events(engine, number):
    with engine.store.reading() as tx:
        return [(r.type, r.details) for r in tx.c.execute(
            sa.select(order_events.c.type, order_events.c.details).where(order_events.c.order_number == number)
            .order_by(order_events.c.id))]


def _run_until(engine, clock, until):
    while (due := engine.next_due()) is not None and due <= until:
        clock.set(max(due, clock.now()))
        engine.fire_due_timers(limit=1000)
    clock.set(until)


@pytest.fixture
def city(make_engine, clock):
    engine = make_engine(clock=clock)
    engine.register_unit("U1", "市住建局", ["+8613800138000"])
    engine.register_unit("U2", "市城管局", ["+8613800138001"])
    clock.set(START)
    for number, unit, phone in (("P", "U1", "13900000001"), ("C", "U2", "13900000002")):
        engine.open_work_order(number=number, unit_code=unit, category="求助", urgency="一般", source="12345", at=START,
                               location=order_location(content="临江北路12号路灯不亮", address="临江北路12号",
                                                       caller_phone=phone))
    return engine


def test_a_merged_child_stops_its_ladder_and_follows_its_parent(city, clock):
    engine = city
    clock.set(START + timedelta(hours=2))
    engine.merge("C", parent="P", actor="sup", note="同一路灯")
    _run_until(engine, clock, START + timedelta(days=30))  # far past both deadlines
    child_actions = _kinds(engine, "C", after=START + timedelta(hours=1))
    assert child_actions == ["merged"]  # no SMS, card or letter of its own after the merge
    assert "yellow_card" in _kinds(engine, "P") and "supervision_letter" in _kinds(engine, "P")
    assert engine.possible_duplicates("C")[0]["status"] == "merged"
    engine.record_event("P", "signed", at=clock.now())
    engine.record_event("P", "replied", at=clock.now(), note="已更换灯泡")
    engine.record_event("P", "closed", at=clock.now())
    types = [t for t, _ in _events(engine, "C")]
    assert types[-3:] == ["merged", "replied", "closed"]
    assert dict(_events(engine, "C"))["replied"] == {"note": "已更换灯泡", "parent": "P"}
    assert _kinds(engine, "C")[-2:] == ["merged_reply", "merged_closed"]  # the merge process saw both
    engine.record_event("C", "callback", at=clock.now(), details={"satisfaction": "满意", "solved": True})
    with engine.store.reading() as tx:
        assert tx.get_order("C").status == "closed"
        audits = [r.action for r in tx.c.execute(sa.select(audit_log.c.action).where(audit_log.c.order_number == "C"))]
        facts = AssessmentRecords(tx).read_facts(START - timedelta(days=1), START + timedelta(days=40),
                                                 clock.now(), load_rules(), load_calendar())
    assert "order.merged" in audits and "order.callback" in audits
    assert {f.number for f in facts.orders} == {"P"}  # the parent counts once, the child not at all


def test_unmerging_restores_the_childs_own_clock_from_that_moment(city, clock):
    engine = city
    with engine.store.reading() as tx:
        before = tx.get_order("C").deadline_at
    clock.set(START + timedelta(days=1))
    engine.merge("C", parent="P", actor="sup")
    with pytest.raises(Exception, match="已并入 P"):
        engine.merge("C", parent="P", actor="sup")
    clock.set(START + timedelta(days=3))
    engine.unmerge("C", actor="sup", note="并错了")
    with engine.store.reading() as tx:
        order = tx.get_order("C")
    assert order.deadline_at == before + timedelta(days=2)
    assert "并单期间暂停 48 小时" in order.deadline_explanation
    _run_until(engine, clock, order.deadline_at + timedelta(days=3))
    assert "overdue" in [k for k in _kinds(engine, "C", after=START + timedelta(days=3))] or \
        "sms" in _kinds(engine, "C", after=START + timedelta(days=3))
    assert [t for t, _ in _events(engine, "C")][-2:] == ["merged", "unmerged"]
    assert dict(_events(engine, "C"))["unmerged"]["merged_for"] == "48小时"


UNITS = [{"type": "unit", "code": "U1", "name": "市住建局", "phones": ["+8613800138000"]},
         {"type": "unit", "code": "U2", "name": "市城管局", "phones": ["+8613800138001"]}]


def _line(at, kind, order, **extra):
    return json.dumps({"at": at, "type": kind, "order": order, **extra}, ensure_ascii=False)


def _replay_lines():
    return [json.dumps(u, ensure_ascii=False) for u in UNITS] + [
        _line("2026-06-01T09:00:00+08:00", "order_created", "P", unit="U1", category="求助"),
        _line("2026-06-01T10:00:00+08:00", "order_created", "C", unit="U2", category="求助"),
        _line("2026-06-01T11:00:00+08:00", "order_created", "X", unit="U2", category="求助"),
        _line("2026-06-01T12:00:00+08:00", "merged", "C", parent="P"),
        _line("2026-06-01T12:30:00+08:00", "merged", "X", parent="P"),
        _line("2026-06-02T12:00:00+08:00", "unmerged", "X"),
        _line("2026-06-03T09:00:00+08:00", "signed", "P"),
        _line("2026-06-03T10:00:00+08:00", "replied", "P"),
        _line("2026-06-03T11:00:00+08:00", "closed", "P")]


def test_replay_merges_and_unmerges_in_one_shard_whatever_the_workers():
    lines = _replay_lines()
    outputs = []
    for workers in (1, 2):
        out = io.StringIO()
        replay(read_events(lines), until=None, settings=Settings(), out=out, workers=workers)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    rows = [json.loads(line) for line in outputs[0].splitlines()]
    child = [(r["type"], r.get("template")) for r in rows if r.get("order") == "C"]
    assert [k for k, _ in child if k != "sms"] == ["merged", "merged_reply", "merged_closed"]
    assert [t for k, t in child if k == "sms"] == ["dispatched"]  # only the dispatch notice before the merge
    assert any(r["type"] == "yellow_card" for r in rows if r.get("order") == "X")  # its own ladder again


@pytest.mark.parametrize("bad, reason", [
    (_line("2026-06-01T12:00:00+08:00", "merged", "C", parent="NOPE"), "line 5: parent must name an order"),
    (_line("2026-06-01T12:00:00+08:00", "unmerged", "C"), "line 5: order C is not merged"),
    (_line("2026-06-01T12:00:00+08:00", "merged", "C", parent="C"), "cannot be merged into itself"),
])
def test_replay_refuses_an_impossible_merge_before_anything_runs(bad, reason):
    lines = _replay_lines()[:4] + [bad]
    with pytest.raises(ReplayError, match=reason):
        read_events(lines)


def test_a_supervisor_merges_and_unmerges_on_the_order_page(app, client, token, api_engine):
    from tests.api.conftest import auth, order_body

    key = token("intake")
    place = {"address": "揭阳市榕城区马牙路8号", "content": "马牙路8号井盖缺失"}
    client.post("/api/v1/orders", json=order_body("GD-M1", **place), headers=auth(key))
    client.post("/api/v1/orders", json=order_body("GD-M2", **place, citizen={"phone": "13700000001"}), headers=auth(key))
    supervisor = client_as(app, api_engine, "sup19m", "supervisor")
    assert "并单（本单并入 GD-M1）" in supervisor.get("/orders/GD-M2").get_data(as_text=True)
    assert post(supervisor, "/orders/GD-M2/merge", {"parent": "GD-M1"}).status_code == 302
    page = supervisor.get("/orders/GD-M2").get_data(as_text=True)
    assert "已并单" in page and "撤销并单</button>" in page and "已并单</td>" not in page
    assert "并入本单的工单" in supervisor.get("/orders/GD-M1").get_data(as_text=True)
    refused = post(supervisor, "/orders/GD-M1/merge", {"parent": "GD-M2"})
    assert refused.status_code == 422 and "本身已并入" in refused.get_data(as_text=True)
    assert post(supervisor, "/orders/GD-M2/unmerge").status_code == 302
    assert "撤销并单</button>" not in supervisor.get("/orders/GD-M2").get_data(as_text=True)
