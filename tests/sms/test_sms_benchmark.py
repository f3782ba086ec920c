"""Smoke test of workflows/bench/sms.py: tiny sizes, outcomes only (no timing is asserted)."""
from __future__ import annotations

import pytest

from workflows.bench import sms as sms_benchmark
from workflows.bench.sms import CASES, Out, run_benchmark


def test_the_quick_path_reports_every_failure_case_with_its_expected_final_status(capsys):
    summary = run_benchmark(orders=20, burst=True, out=Out(show_progress=False))
    out = capsys.readouterr().out

    by_name = {r.case.name: r for r in summary["cases"]}
    assert set(by_name) == {c.name for c in CASES} and len(CASES) == 9
    expected = {
        "21211 invalid number": (("failed",), 0),
        "21610 unsubscribed": (("failed",), 0),
        "429 then success": (("queued",), 1),
        "503 x5 (max attempts)": (("failed",), 0),
        "slow (client timeout)": (("queued",), 1),
        "drop before acceptance": (("queued",), 1),
        "drop after acceptance": (("queued",), 1),
        "undelivered 30003 receipt": (("undelivered", "queued"), 2),
        "failed 30006 receipt": (("failed",), 1),
    }
    for name, (statuses, accepted) in expected.items():
        result = by_name[name]
        assert (result.statuses, result.accepted) == (statuses, accepted), name
        assert result.ok, name
    # the details that make each case what it claims to be
    assert by_name["503 x5 (max attempts)"].attempts == (5,) and by_name["503 x5 (max attempts)"].requests == 5
    assert by_name["drop before acceptance"].attempts == (2,)  # resent exactly once
    assert by_name["slow (client timeout)"].attempts == (1,)  # found at the provider, not resent
    assert by_name["drop after acceptance"].attempts == (1,)
    assert by_name["failed 30006 receipt"].failing_numbers == 1 and by_name["failed 30006 receipt"].tasks == 1
    assert by_name["21211 invalid number"].failing_numbers == 1
    assert by_name["503 x5 (max attempts)"].failing_numbers == 0 and by_name["503 x5 (max attempts)"].tasks == 1
    assert summary["ok"] is True

    spread, burst = summary["throughput"]
    assert spread.rows == spread.messages == 40  # 20 orders x 2 phones, no digest: one Twilio message per row
    assert spread.receipts == spread.receipts_ok == spread.delivered == 40
    assert spread.statuses == {"delivered": 40}
    assert burst.rows == 40 and burst.messages == 40  # one order per unit at 10:00: nothing to merge
    assert "messages/s" in out and "receipts/s" in out
    for case in CASES:
        (line,) = [line for line in out.splitlines() if line.strip().startswith(case.name)]
        assert line.rstrip().endswith("ok"), line


def test_the_burst_run_merges_reminders_for_one_phone_into_digests():
    result = sms_benchmark.measure_throughput("sqlite://", 40, spread=False, label="burst", out=Out(False),
                                              receipts=False)
    assert result.rows == 80  # 40 orders x 2 phones
    assert result.messages == 40  # each phone had two reminders in the pass: one digest each
    assert result.statuses == {"merged": 80, "queued": 40}


@pytest.mark.parametrize("argv", [["--orders", "0"], ["--orders", "x"], ["--nonsense"]])
def test_main_rejects_bad_arguments_before_measuring_anything(argv, capsys, monkeypatch):
    monkeypatch.setattr(sms_benchmark, "run_benchmark", lambda *a, **k: pytest.fail("the benchmark ran"))
    with pytest.raises(SystemExit) as caught:
        sms_benchmark.main(argv)
    assert caught.value.code == 2 and "usage" in capsys.readouterr().err
