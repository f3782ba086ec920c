"""Smoke test of workflows/bench/sms_aliyun.py: tiny sizes, outcomes only (no timing is asserted)."""
from __future__ import annotations

from workflows.bench.output import Out
from workflows.bench.sms_aliyun import CASES, run_benchmark


def test_the_aliyun_benchmark_ends_every_case_as_designed_and_sends_nothing_twice(capsys):
    summary = run_benchmark(20, Out(show_progress=False))
    figures, cases = summary["throughput"], summary["cases"]
    assert figures["messages"] == 40 and figures["pushed"] == 20 and figures["polled"] == 20
    assert figures["statuses"] == {"delivered": 40}
    expected = {  # final statuses, messages accepted, SendSms calls, failing numbers, supervisor tasks
        "OK": (["delivered"], 1, 1, 0, 0),
        "isv.BUSINESS_LIMIT_CONTROL then OK": (["delivered"], 1, 2, 0, 0),
        "HTTP 503 x5 (max attempts)": (["failed"], 0, 5, 0, 1),
        "isv.MOBILE_NUMBER_ILLEGAL": (["failed"], 0, 1, 1, 1),
        "isv.SMS_TEMPLATE_ILLEGAL": (["failed"], 0, 1, 0, 1),
        "slow (client timeout)": (["delivered"], 1, 1, 0, 0),
        "drop before acceptance": (["delivered"], 1, 2, 0, 0),
        "drop after acceptance": (["delivered"], 1, 1, 0, 0),
        "report EXPIRED, resent, delivered": (["delivered", "undelivered"], 2, 2, 0, 0),
        "report MK:0001 (empty number)": (["undelivered"], 1, 1, 1, 1),
    }
    assert set(cases) == {name for name, _, _ in CASES} == set(expected)
    for name, (statuses, accepted, sends, failing, tasks) in expected.items():
        got = cases[name]
        assert (got["statuses"], got["accepted"], got["sends"], got["failing"], got["tasks"]) == (
            statuses, accepted, sends, failing, tasks), name
    assert "messages/s" in capsys.readouterr().out
