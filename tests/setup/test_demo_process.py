"""`duban demo` as an operator runs it: quiet terminal (logs in DUBAN_HOME/demo.log), the URL, users and password
printed last, and Ctrl-C — SIGINT to the whole process group, as a terminal sends it — stops everything within 3 s."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT
from tests.setup.processes import stop_group

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_until_password(process: subprocess.Popen, limit: float) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "password" in line:
            return lines
    raise AssertionError("the demo printed no password line:\n" + "\n".join(lines))


def test_the_demo_prints_its_url_last_and_stops_on_ctrl_c_within_3_seconds(tmp_path):
    port = _free_port()
    env = {**os.environ, "DUBAN_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("DUBAN_DATABASE_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "web.cli", "demo", "--orders", "30", "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        lines = _read_until_password(process, 240)
        time.sleep(3)  # the worker's first passes run (timers, SMS, documents) while the page is open
    finally:
        _code, stopped_after, rest = stop_group(process, signal.SIGINT, process.stdout)
    text = "\n".join(lines)
    assert "Traceback" not in text + rest and "warning" not in (text + rest).lower()
    assert lines[-1].split() == ["password", "duban-demo-2026"]
    assert lines[-3].split() == ["open", f"http://127.0.0.1:{port}/"] and lines[-2].split()[0] == "users"
    assert len(lines) <= 10, text  # the log is in the file, not on the terminal
    assert rest.strip() == "duban demo: stopped"
    assert stopped_after < 3, f"stopped after {stopped_after:.1f} s"
    log = (tmp_path / "home" / "demo.log").read_text()
    assert "maximum number of running instances" not in log
    assert (tmp_path / "home" / "duban.db").exists() and (tmp_path / "home" / "secret.key").exists()

    status = subprocess.run([sys.executable, "-m", "web.cli", "status"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    shown = json.loads(status.stdout)  # `duban status` in the same folder reads the demo's database
    assert shown["database"] == f"sqlite:///{tmp_path / 'home' / 'duban.db'}"
    assert shown["timer_backlog"]["waiting_instances"] > 0


def test_the_demo_refuses_to_replace_a_database_it_did_not_create(tmp_path, monkeypatch, capsys):
    from web.cli import main

    monkeypatch.setenv("DUBAN_HOME", str(tmp_path))
    monkeypatch.delenv("DUBAN_DATABASE_URL", raising=False)
    assert main(["unit", "add", "U01", "揭阳市生态环境局", "--phone", "13800138000"]) == 0
    capsys.readouterr()
    assert main(["demo", "--no-serve", "--orders", "5", "--verbose"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"duban demo: error: {tmp_path / 'duban.db'} holds data the demo did not create")
    assert main(["unit", "list"]) == 0 and capsys.readouterr().out.startswith("U01 ")  # untouched
