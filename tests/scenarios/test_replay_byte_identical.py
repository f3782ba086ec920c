"""Replay output is byte-identical to the reference outputs kept in tests/data, on the worked example and on a
2,000-order demo scenario generated here (fixed clock and seed): the engine's speed work must not change what the
rules do. The references were produced by the engine before that work (with issue 17's two replay fixes), then
regenerated when issue 12 added the letter's reply_by and 提级督办: with those lines taken out they equal the old ones."""
from __future__ import annotations

import gzip
import io
import json
from datetime import datetime, timezone
from pathlib import Path

from config.settings import Settings
from engine.clock import parse_instant
from workflows.dev.demo import demo_records
from workflows.replay import read_events, replay

DATA = Path(__file__).resolve().parent.parent / "data"
DEMO_NOW = datetime(2026, 9, 1, 2, tzinfo=timezone.utc)  # demo_records sets the hour in this zone


def replayed(lines: list[str], until: str | None = None) -> str:
    out = io.StringIO()
    replay(read_events(lines), until=parse_instant(until) if until else None, settings=Settings(), out=out, workers=1)
    return out.getvalue()


def first_difference(got: str, expected: str) -> str:
    for number, (a, b) in enumerate(zip(got.splitlines(), expected.splitlines()), start=1):
        if a != b:
            return f"line {number}:\n got      {a}\n expected {b}"
    return f"{len(got.splitlines())} lines, expected {len(expected.splitlines())}"


def test_worked_example_output_is_byte_identical():
    lines = (DATA / "replay-example.jsonl").read_text(encoding="utf-8").splitlines()
    got = replayed(lines, "2026-12-31T00:00:00+08:00")
    expected = (DATA / "replay-example.expected.jsonl").read_text(encoding="utf-8")
    assert got == expected, first_difference(got, expected)


def test_two_thousand_order_scenario_output_is_byte_identical():
    lines = [json.dumps(record, ensure_ascii=False) for record in demo_records(DEMO_NOW, orders=2000)]
    got = replayed(lines)
    expected = gzip.decompress((DATA / "replay-demo-2000.expected.jsonl.gz").read_bytes()).decode("utf-8")
    assert len(expected.splitlines()) == 15_166  # 13,121 before issue 12 added 提级督办 (escalated, its SMS and call)
    assert got == expected, first_difference(got, expected)
