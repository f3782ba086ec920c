"""Two replay fixes of issue 17: the due-soon reminder follows a moved deadline, and a replay split across
processes prints each quarterly report once."""
from __future__ import annotations

import io
import json

import workflows.replay as replay_module
from config.settings import Settings
from engine.clock import parse_instant
from tests.scenarios.test_replay_rules import UNIT, event, order, run, steps
from workflows.replay import read_events, replay

LADDER_AFTER_EXTENSION = [  # old deadline Tue 06-23, +5 working days → Tue 06-30
    ("2026-07-03T09:00", "yellow_card", ""), ("2026-07-03T09:00", "sms", "yellow_card"),
    ("2026-07-07T09:00", "red_card", ""), ("2026-07-07T09:00", "sms", "red_card"),
    ("2026-07-14T09:00", "supervision_letter", ""), ("2026-07-14T09:00", "sms", "supervision_letter"),
]


def test_extension_granted_after_the_reminder_brings_a_reminder_before_the_new_deadline():
    got = run([UNIT, order("F1", "2026-06-01T10:00:00+08:00"), event("signed", "F1", "2026-06-01T11:00:00+08:00"),
               event("extension_approved", "F1", "2026-06-22T15:00:00+08:00", working_days=5)],
              "2026-07-20T00:00:00+08:00")
    assert [s for s in steps(got, "F1") if s[2] != "dispatched"] == sorted([
        ("2026-06-22T09:00", "sms", "due_soon"),  # before the old deadline 06-23
        ("2026-06-29T09:00", "sms", "due_soon"),  # the last working day before the new one
        ("2026-07-01T09:00", "sms", "overdue"), ("2026-07-01T09:00", "urge_notice", ""),
        ("2026-07-01T09:00", "phone_urge", ""), *LADDER_AFTER_EXTENSION])


def test_extension_granted_after_the_overdue_notice_reminds_again_but_does_not_repeat_the_notice():
    got = run([UNIT, order("F2", "2026-06-01T10:00:00+08:00"), event("signed", "F2", "2026-06-01T11:00:00+08:00"),
               event("extension_approved", "F2", "2026-06-24T15:00:00+08:00", working_days=5)],
              "2026-07-20T00:00:00+08:00")
    assert [s for s in steps(got, "F2") if s[2] != "dispatched"] == sorted([
        ("2026-06-22T09:00", "sms", "due_soon"),
        ("2026-06-24T09:00", "sms", "overdue"), ("2026-06-24T09:00", "urge_notice", ""),
        ("2026-06-24T09:00", "phone_urge", ""),
        ("2026-06-29T09:00", "sms", "due_soon"),  # re-sent for the new deadline; the overdue step is not repeated
        *LADDER_AFTER_EXTENSION])


def test_extension_granted_after_the_new_reminder_moment_sends_no_late_reminder():
    # granted Tue 06-23 at 10:00 for 1 working day: new deadline Wed 06-24, whose reminder moment (06-23 09:00) has passed
    got = run([UNIT, order("F3", "2026-06-01T10:00:00+08:00"), event("signed", "F3", "2026-06-01T11:00:00+08:00"),
               event("extension_approved", "F3", "2026-06-23T10:00:00+08:00", working_days=1)],
              "2026-06-25T00:00:00+08:00")
    assert [s for s in steps(got, "F3") if s[2] == "due_soon"] == [("2026-06-22T09:00", "sms", "due_soon")]


def _records_over_two_quarters() -> list[dict]:
    records: list[dict] = [UNIT]
    for day in range(1, 29):
        for n in range(3):
            records.append(order(f"Q{day:02d}{n}", f"2026-06-{day:02d}T1{n}:00:00+08:00"))
    return records


def test_replay_split_across_processes_prints_each_quarterly_report_once(monkeypatch):
    lines = [json.dumps(r, ensure_ascii=False) for r in _records_over_two_quarters()]
    outputs = {}
    for workers in (1, 2):
        monkeypatch.setattr(replay_module, "PARALLEL_THRESHOLD", 0)  # split even this small file
        out = io.StringIO()
        replay(read_events(lines), until=parse_instant("2026-10-15T00:00:00+08:00"), settings=Settings(), out=out,
               workers=workers)
        outputs[workers] = out.getvalue()
    reports = [json.loads(line)["quarter"] for line in outputs[2].splitlines() if '"quarterly_report"' in line]
    assert reports == ["2026Q2", "2026Q3"]
    assert sorted(outputs[2].splitlines()) == sorted(outputs[1].splitlines())
