"""Every `duban` command answers bad input with one line on stderr and exit code 2, never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

CASES = [
    (["status", "--database", "bogus://x"], {}, "unusable database URL"),
    (["status", "--database", "postgresql+psycopg://nobody@127.0.0.1:1/x"], {}, "cannot use the database"),
    (["replay", "no-such-file.jsonl"], {}, "no such file"),
    (["replay", str(ROOT / "tests/data/replay-example.jsonl"), "--until", "yesterday"], {}, "not an ISO-8601 time"),
    (["demo", "--orders", "-5"], {}, "must be at least 1"),
    (["check-config"], {"DUBAN_RULES_FILE": "/nonexistent/rules.toml"}, "file not found"),
    (["check-config"], {"DUBAN_BPMN_DIR": "/nonexistent"}, "does not exist"),
    (["status"], {"DUBAN_TICK_SECONDS": "abc"}, "is not a number"),
    (["no-such-command"], {}, "invalid choice"),
]


@pytest.mark.parametrize(("argv", "env", "message"), CASES, ids=[" ".join(c[0])[:40] for c in CASES])
def test_bad_input_gets_one_clear_line(argv, env, message, tmp_path):
    result = subprocess.run([sys.executable, "-m", "web.cli", *argv], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path, env={**os.environ, **env})
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
