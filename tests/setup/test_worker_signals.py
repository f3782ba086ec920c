"""`duban worker` stops cleanly on SIGTERM (what systemd sends) and on Ctrl-C: exit code 0, a log line, no traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.setup.processes import stop_group


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_worker_stops_cleanly_on_a_signal(sent, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DUBAN_HOME": str(tmp_path), "DUBAN_LOG_FORMAT": "text",
           "DUBAN_PUBLIC_URL": "http://127.0.0.1:8000"}
    env.pop("DUBAN_DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "web.cli", "worker"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        while "worker started" not in (line := process.stderr.readline()):
            assert line, "the worker ended before it started"
    finally:
        code, stopped_after, rest = stop_group(process, sent, process.stderr)
    assert code == 0
    assert stopped_after < 3
    assert "worker stopped" in rest and "Traceback" not in rest
