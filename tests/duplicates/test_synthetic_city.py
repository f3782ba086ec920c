"""Issue 19 acceptance: on a synthetic city with known repeats (the same address spelled otherwise, a point some
metres off, the same caller in other words, nearly the same words) and the look-alikes that are not repeats, the
candidates `duban duplicates` prints find ≥ 90 % of the repeats and ≥ 90 % of them are right."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from engine.domain.location import order_location
from tests.api.conftest import duban
from tests.conftest import local
from workflows.bench.synthetic_city import build

UNITS = ("U-CG", "U-ZJ")


@pytest.fixture
def city_run(make_engine, clock, sqlite_url, capsys, monkeypatch):
    engine = make_engine(clock=clock)
    for code in UNITS:
        engine.register_unit(code, f"单位{code}", ["+8613800138000"])
    city = build(60, start=local(2026, 5, 1, 8, 0))
    for n, order in enumerate(city.orders):
        clock.set(max(clock.now(), order.at))
        engine.open_work_order(number=order.number, unit_code=UNITS[n % 2], category=order.category, urgency="一般",
                               source="12345", at=order.at, location=order_location(**order.location()))
    monkeypatch.setenv("DUBAN_SECRET_KEY", "test-secret-key-0123456789")
    capsys.readouterr()
    assert duban(["--log-format", "text", "duplicates", "--format", "jsonl", "--database", sqlite_url]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return city, lines


def test_repeats_are_found_and_look_alikes_are_not(city_run):
    city, lines = city_run
    kinds = Counter(o.kind for o in city.orders)
    assert kinds["same_address"] and kinds["nearby"] and kinds["same_caller"] and kinds["reworded"]
    assert sum(v for k, v in kinds.items() if k.startswith("distractor")) >= 15
    assert all(set(line) == {"order", "candidate", "score", "reasons"} and line["reasons"] for line in lines)
    truth = city.true_pairs()
    listed = {frozenset((line["order"], line["candidate"])) for line in lines}
    precision = len(listed & truth) / len(listed)
    repeats = city.repeats()
    found = {line["order"] for line in lines if frozenset((line["order"], line["candidate"])) in truth}
    recall = len(found & repeats) / len(repeats)
    wrong = [(line, next(o.kind for o in city.orders if o.number == line["order"]))
             for line in lines if frozenset((line["order"], line["candidate"])) not in truth]
    missed = [o.kind for o in city.orders if o.number in repeats - found]
    assert recall >= 0.9 and precision >= 0.9, (recall, precision, missed, wrong[:5])
    reasons = {reason for line in lines for reason in line["reasons"]}  # each kind of evidence, in words
    assert "地址相同" in reasons and "同一来电号码" in reasons
    assert any(r.startswith("相距约") and r.endswith("米") for r in reasons)
    assert any(r.startswith("内容相似度0.") for r in reasons)
