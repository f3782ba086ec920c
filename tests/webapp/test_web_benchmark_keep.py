"""`duban web-benchmark --keep`: the filled database is kept and a second run reuses it (no second fill), and
`--only` times just the matching pages for each role (a slow page measured again, alone)."""
from __future__ import annotations

import pytest

from web.cli import main as duban


def test_a_kept_fill_is_reused_and_only_the_matching_pages_are_timed(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    args = ["--log-format", "text", "web-benchmark", "--orders", "40", "--page-requests", "2", "--keep",
            "--database", url]
    duban([*args, "--only", "^/leader/cards$"])
    first = capsys.readouterr().out
    assert "filled in" in first and "/leader/cards" in first and "/orders" not in first.split("milliseconds")[-1]
    duban([*args, "--only", r"/assessment/\d{4}/export\.xlsx"])  # the year's workbook, stored by the refresh
    second = capsys.readouterr().out
    assert "kept fill reused" in second and "reopened in" in second and "filled in" not in second
    timed = [line for line in second.splitlines() if line.startswith("  /assessment/2026/export.xlsx")]
    assert len(timed) == 3 and all(" ok" in line or "SLOW" in line for line in timed)  # supervisor, leader, admin
    with pytest.raises(SystemExit, match="holds 40 work orders, not 41"):  # a kept fill of another size
        duban([*args, "--orders", "41"])
