"""The default rule set, end to end through `duban replay` (virtual clock, real BPMN, real database)."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.clock import parse_instant
from config.settings import Settings
from workflows.replay import ReplayError, read_events, replay

DATA = Path(__file__).resolve().parent.parent / "data"
UNIT = {"type": "unit", "code": "U1", "name": "揭阳市市场监督管理局", "phones": ["+8613900000001"]}
TWO_PHONES = {"type": "unit", "code": "U2", "name": "榕城区人民政府", "phones": ["+8613900000002", "+8613900000012"]}


def run(records: list[dict], until: str, settings: Settings | None = None) -> list[dict]:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    out = io.StringIO()
    replay(read_events(lines), until=parse_instant(until), settings=settings or Settings(), out=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def order(number: str, at: str, category: str = "投诉", urgency: str = "一般", source: str = "12345",
          unit: str = "U1") -> dict:
    return {"at": at, "type": "order_created", "order": number, "unit": unit, "category": category,
            "urgency": urgency, "source": source}


def event(kind: str, number: str, at: str, **extra: object) -> dict:
    return {"at": at, "type": kind, "order": number, **extra}


def steps(lines: list[dict], number: str | None = None) -> list[tuple[str, str, str]]:
    """(local time, type, template) for every action of the order, sorted; quarterly reports left out.
    (Actions that share a time may come in any order.)"""
    return sorted((line["at"][:16], line["type"], line.get("template", "")) for line in lines
                  if line["type"] != "quarterly_report" and (number is None or line["order"] == number))


def test_worked_example_gives_exactly_the_expected_actions():
    records = [json.loads(line) for line in (DATA / "replay-example.jsonl").read_text(encoding="utf-8").splitlines()]
    got = run(records, "2026-12-31T00:00:00+08:00")
    expected = [json.loads(line) for line in (DATA / "replay-example.expected.jsonl").read_text(encoding="utf-8").splitlines()]
    as_set = lambda items: sorted(json.dumps(i, sort_keys=True, ensure_ascii=False) for i in items)  # noqa: E731
    assert as_set(got) == as_set(expected)
    assert [g["at"] for g in got] == sorted(g["at"] for g in got)  # ordered by time


def test_unreplied_complaint_climbs_the_whole_ladder_across_the_dragon_boat_holiday():
    got = run([UNIT, order("A1", "2026-06-01T10:00:00+08:00"), event("signed", "A1", "2026-06-01T11:00:00+08:00")],
              "2026-07-20T00:00:00+08:00")
    # 15 WD after Mon 06-01, skipping 06-19 (端午): Tue 06-23
    assert steps(got, "A1") == sorted([
        ("2026-06-01T10:00", "sms", "dispatched"),
        ("2026-06-22T09:00", "sms", "due_soon"),
        ("2026-06-24T09:00", "sms", "overdue"), ("2026-06-24T09:00", "urge_notice", ""),
        ("2026-06-24T09:00", "phone_urge", ""),
        ("2026-06-26T09:00", "yellow_card", ""), ("2026-06-26T09:00", "sms", "yellow_card"),
        ("2026-06-30T09:00", "red_card", ""), ("2026-06-30T09:00", "sms", "red_card"),
        ("2026-07-07T09:00", "supervision_letter", ""), ("2026-07-07T09:00", "sms", "supervision_letter"),
        # no written reply by Tue 07-14 (5 WD after the letter): 提级督办 the next working day
        ("2026-07-15T09:00", "escalated", ""), ("2026-07-15T09:00", "sms", "escalated"),
        ("2026-07-15T09:00", "phone_urge", ""),
    ])


def test_extension_before_the_deadline_moves_the_reminder_and_the_whole_ladder():
    got = run([UNIT, order("A2", "2026-06-01T10:00:00+08:00"), event("signed", "A2", "2026-06-01T11:00:00+08:00"),
               event("extension_approved", "A2", "2026-06-10T10:00:00+08:00", working_days=5)],
              "2026-07-20T00:00:00+08:00")
    # old deadline 06-23; +5 WD → Tue 06-30
    assert [s for s in steps(got, "A2") if s[1] != "sms" or s[2] != "dispatched"] == sorted([
        ("2026-06-29T09:00", "sms", "due_soon"),
        ("2026-07-01T09:00", "sms", "overdue"), ("2026-07-01T09:00", "urge_notice", ""),
        ("2026-07-01T09:00", "phone_urge", ""),
        ("2026-07-03T09:00", "yellow_card", ""), ("2026-07-03T09:00", "sms", "yellow_card"),
        ("2026-07-07T09:00", "red_card", ""), ("2026-07-07T09:00", "sms", "red_card"),
        ("2026-07-14T09:00", "supervision_letter", ""), ("2026-07-14T09:00", "sms", "supervision_letter"),
    ])


def test_extension_after_a_yellow_card_rearms_only_the_pending_steps():
    got = run([UNIT, order("A3", "2026-06-01T10:00:00+08:00"), event("signed", "A3", "2026-06-01T11:00:00+08:00"),
               event("extension_approved", "A3", "2026-06-27T10:00:00+08:00", working_days=5)],
              "2026-07-20T00:00:00+08:00")
    kinds = [(s[0][:10], s[1]) for s in steps(got, "A3") if s[1] != "sms"]
    assert kinds == [("2026-06-24", "phone_urge"), ("2026-06-24", "urge_notice"), ("2026-06-26", "yellow_card"),
                     ("2026-07-07", "red_card"), ("2026-07-14", "supervision_letter")]


def test_reply_stops_the_ladder_and_reopen_restarts_it_from_the_reopen_time():
    got = run([UNIT, order("A4", "2026-06-01T10:00:00+08:00", category="咨询"),
               event("signed", "A4", "2026-06-01T10:30:00+08:00"), event("replied", "A4", "2026-06-02T15:00:00+08:00"),
               event("closed", "A4", "2026-06-03T10:00:00+08:00"), event("reopened", "A4", "2026-06-04T10:00:00+08:00")],
              "2026-06-10T12:00:00+08:00")
    assert steps(got, "A4") == sorted([
        ("2026-06-01T10:00", "sms", "dispatched"),
        ("2026-06-02T09:00", "sms", "due_soon"),
        ("2026-06-04T10:00", "sms", "reopened"),
        ("2026-06-05T09:00", "sms", "due_soon"),  # new deadline: 2 WD after Thu 06-04 = Mon 06-08
        ("2026-06-09T09:00", "sms", "overdue"), ("2026-06-09T09:00", "urge_notice", ""),
        ("2026-06-09T09:00", "phone_urge", ""),
    ])


def test_urgent_order_escalates_by_the_hour_and_ignores_quiet_hours():
    got = run([UNIT, order("B1", "2026-06-02T22:30:00+08:00", category="求助", urgency="紧急")],
              "2026-06-08T00:00:00+08:00")
    lines = [line for line in got if line["order"] == "B1"]
    assert sorted((line["at"], line["type"], line.get("send_at") or "") for line in lines) == sorted([
        ("2026-06-02T22:30:00+08:00", "sms", "2026-06-02T22:30:00+08:00"),
        ("2026-06-03T22:30:00+08:00", "sms", "2026-06-03T22:30:00+08:00"),
        ("2026-06-03T22:30:00+08:00", "phone_urge", ""),
        ("2026-06-04T22:30:00+08:00", "yellow_card", ""),
        ("2026-06-04T22:30:00+08:00", "sms", "2026-06-04T22:30:00+08:00"),
        ("2026-06-06T22:30:00+08:00", "red_card", ""),
        ("2026-06-06T22:30:00+08:00", "sms", "2026-06-06T22:30:00+08:00"),
    ])


def test_very_urgent_order_is_overdue_after_two_hours():
    got = run([UNIT, order("B2", "2026-06-02T10:00:00+08:00", category="求助", urgency="特急")],
              "2026-06-02T13:00:00+08:00")
    assert steps(got, "B2") == [("2026-06-02T10:00", "sms", "dispatched"), ("2026-06-02T12:00", "phone_urge", ""),
                                ("2026-06-02T12:00", "sms", "overdue")]


def test_routine_sms_in_quiet_hours_waits_for_eight_in_the_morning():
    got = run([TWO_PHONES, order("C1", "2026-06-02T22:00:00+08:00", category="咨询", unit="U2")],
              "2026-06-02T23:00:00+08:00")
    assert [(line["to"], line["send_at"]) for line in got] == [
        ("+8613900000002", "2026-06-03T08:00:00+08:00"), ("+8613900000012", "2026-06-03T08:00:00+08:00")]
    assert all(line["at"] == "2026-06-02T22:00:00+08:00" for line in got)


def test_12315_complaint_runs_on_its_seven_day_statutory_clock():
    got = run([UNIT, order("D1", "2026-06-01T10:00:00+08:00", source="12315"),
               event("signed", "D1", "2026-06-01T11:00:00+08:00")], "2026-06-12T00:00:00+08:00")
    # 7 WD after Mon 06-01: Wed 06-10
    assert [s for s in steps(got, "D1") if s[1] == "sms"][1:3] == [("2026-06-09T09:00", "sms", "due_soon"),
                                                                  ("2026-06-11T09:00", "sms", "overdue")]


def test_instruction_on_an_order_closed_within_the_month_issues_no_letter():
    got = run([UNIT, order("E1", "2026-06-01T10:00:00+08:00"), event("signed", "E1", "2026-06-01T11:00:00+08:00"),
               event("instruction", "E1", "2026-06-05T10:00:00+08:00", leader="市长", text="请尽快办理"),
               event("replied", "E1", "2026-06-15T10:00:00+08:00"), event("closed", "E1", "2026-06-20T10:00:00+08:00")],
              "2026-10-01T00:00:00+08:00")
    assert [s[1:] for s in steps(got, "E1")] == [("sms", "dispatched"), ("sms", "instruction")]


def test_progress_report_waives_the_letter_only_when_the_rule_table_says_so(tmp_path):
    text = (Path(__file__).resolve().parents[2] / "config" / "rules.toml").read_text(encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text(text.replace("progress_report_waives_letter = false", "progress_report_waives_letter = true"),
                     encoding="utf-8")
    records = [UNIT, order("E2", "2026-06-01T10:00:00+08:00"), event("signed", "E2", "2026-06-01T11:00:00+08:00"),
               event("instruction", "E2", "2026-06-05T10:00:00+08:00", leader="市长", text="请尽快办理"),
               event("progress_reported", "E2", "2026-06-20T10:00:00+08:00"),
               event("replied", "E2", "2026-06-22T10:00:00+08:00")]
    default = [s[1] for s in steps(run(records, "2026-09-10T00:00:00+08:00"), "E2")]
    waived = [s[1] for s in steps(run(records, "2026-09-10T00:00:00+08:00", Settings(rules_file=rules)), "E2")]
    assert default.count("supervision_letter") == 1 and "special_report" in default
    assert "supervision_letter" not in waived and "special_report" in waived


def test_signed_in_time_means_no_sign_reminder():
    got = run([UNIT, order("F1", "2026-06-01T10:00:00+08:00", category="咨询"),
               event("signed", "F1", "2026-06-02T17:00:00+08:00"), event("replied", "F1", "2026-06-02T18:00:00+08:00")],
              "2026-06-10T00:00:00+08:00")
    assert [s[2] for s in steps(got, "F1")] == ["dispatched", "due_soon"]


def test_until_cuts_the_output():
    got = run([UNIT, order("G1", "2026-06-01T10:00:00+08:00")], "2026-06-22T10:00:00+08:00")
    assert steps(got, "G1")[-1] == ("2026-06-22T09:00", "sms", "due_soon")


BAD_INPUTS = [
    ('{"type": "unit", "code": "U1"', 1, "not valid JSON"),
    ('{"type": "unit", "code": "U1", "name": "x", "phones": ["010-12345678"]}', 1, "E.164"),
    ('{"at": "2026-06-01T10:00:00+08:00", "type": "order_created", "order": "X", "unit": "NOPE", "category": "投诉"}',
     2, "unknown unit"),
    ('{"at": "2026-06-01T10:00:00+08:00", "type": "replied", "order": "NOPE"}', 2, "unknown order"),
    ('{"at": "2026-06-01T10:00:00", "type": "order_created", "order": "X", "unit": "U1", "category": "投诉"}',
     2, "offset"),
    ('{"at": "2026-02-30T10:00:00+08:00", "type": "order_created", "order": "X", "unit": "U1", "category": "投诉"}',
     2, "not an ISO-8601 time"),
    ('{"at": "2026-06-01T10:00:00+08:00", "type": "order_created", "order": "X", "unit": "U1", "category": "闲聊"}',
     2, "category"),
]


@pytest.mark.parametrize(("line", "line_number", "message"), BAD_INPUTS)
def test_bad_lines_are_refused_with_their_number(line, line_number, message):
    first = json.dumps(UNIT, ensure_ascii=False) if line_number == 2 else line
    lines = [first, line] if line_number == 2 else [line]
    with pytest.raises(ReplayError) as caught:
        read_events(lines)
    assert caught.value.line == line_number and message in str(caught.value)


@pytest.mark.parametrize(("events", "message"), [
    ([event("replied", "H1", "2026-06-01T09:00:00+08:00")], "earlier than the line before"),
    ([event("replied", "H1", "2026-06-02T08:00:00+08:00"), event("closed", "H1", "2026-06-02T09:00:00+08:00"),
      event("closed", "H1", "2026-06-03T09:00:00+08:00")], "already closed"),
    ([event("closed", "H1", "2026-06-02T09:00:00+08:00")], "can only be closed after its unit replied"),
    ([event("reopened", "H1", "2026-06-02T09:00:00+08:00")], "only be reopened after"),
    ([event("extension_approved", "H1", "2026-06-02T09:00:00+08:00", working_days=0)], "working_days"),
    ([order("H1", "2026-06-02T10:00:00+08:00")], "created a second time"),
])
def test_impossible_events_stop_the_replay_naming_the_line(events, message):
    lines = [json.dumps(r, ensure_ascii=False) for r in [UNIT, order("H1", "2026-06-01T10:00:00+08:00"), *events]]
    with pytest.raises(ReplayError) as caught:
        read_events(lines)
    assert caught.value.line == len(lines) and message in caught.value.reason


def test_cli_exits_2_with_a_one_line_message_and_prints_nothing(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join([json.dumps(UNIT), json.dumps(order("X", "2026-06-01T10:00:00+08:00")),
                               json.dumps(event("signed", "Y", "2026-06-01T11:00:00+08:00"))]) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "web.cli", "replay", str(path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "line 3" in result.stderr and "unknown order 'Y'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_replays_the_worked_example(tmp_path):
    result = subprocess.run([sys.executable, "-m", "web.cli", "replay", str(DATA / "replay-example.jsonl"),
                             "--until", "2026-12-31T00:00:00+08:00"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 36
