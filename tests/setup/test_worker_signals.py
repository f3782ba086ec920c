"""`duban worker` stops cleanly on SIGTERM (what systemd sends) and on Ctrl-C: exit code 0, a log line, no traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

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


# A stop whose signal is handled while the main thread is already blocked, as when SIGINT lands just before the main
# thread enters its wait (after Python's last check for signals, before the lock's system call): here it is handled
# on another thread, which gives the same state at once — the handler has run at C level, the main thread sleeps.
LOST_SIGNAL = """
import signal, sys, threading, time
from apscheduler.schedulers.background import BackgroundScheduler
from workflows.scheduler import WorkerHealth, run_until_signalled

def signal_another_thread():
    def handled_here():
        time.sleep(0.5)  # the main thread is in its wait by now
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
    threading.Thread(target=handled_here, daemon=True).start()

started = time.monotonic()
left = run_until_signalled(BackgroundScheduler(), WorkerHealth(tick_seconds=5.0), signal_another_thread)
print(f"stopped after {time.monotonic() - started - 0.5:.2f} s, left running {left}", flush=True)
"""


def test_a_signal_handled_while_the_main_thread_waits_still_stops_the_worker(tmp_path):
    """The CI failures (no exit within 10 s of SIGINT): the worker's main thread waited an hour at a time, and a
    signal that did not interrupt that wait was taken only when it ended."""
    result = subprocess.run([sys.executable, "-c", LOST_SIGNAL], capture_output=True, text=True, timeout=15,
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    stopped_after = float(result.stdout.split()[2])
    assert stopped_after < 1, result.stdout
    assert "left running []" in result.stdout


def test_the_stop_waits_briefly_for_a_running_job_and_names_one_left_running():
    from workflows.scheduler import WorkerHealth

    health, release = WorkerHealth(tick_seconds=5.0), threading.Event()
    job = threading.Thread(target=health.job("outbox.sms", lambda: release.wait(10)))
    job.start()
    while not health.running["outbox.sms"]:
        threading.Event().wait(0.01)
    assert health.wait_idle(0.1) == ["outbox.sms"]  # still running: the stop leaves it (crash-safe) and says so
    release.set()
    assert health.wait_idle(5) == []
    job.join()
