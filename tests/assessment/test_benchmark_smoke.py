"""The benchmark runs end to end on a small size (the full size is `duban assessment benchmark`)."""
from __future__ import annotations

from workflows.bench.assessment import run_benchmark


def test_benchmark_smoke(capsys):
    figures = run_benchmark(units=5, orders=1500, database=True)
    assert figures["lines"] > 1500 and figures["db_read_compute_s"] > 0
    assert figures["db_lines"] == figures["lines"]  # the database path classifies the same facts the same way
    out = capsys.readouterr().out
    assert "5 units, 1,500 orders" in out and "SQLite" in out
