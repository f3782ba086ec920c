"""Signalling a `duban` process started in its own session, as a terminal's Ctrl-C or systemd's stop does."""
from __future__ import annotations

import os
import signal
import subprocess
import time


def stop_group(process: subprocess.Popen, sent: int, output) -> tuple[int, float, str]:
    """Send `sent` to the process group; returns (exit code, seconds until it ended, what `output` said after)."""
    started = time.monotonic()
    try:
        os.killpg(process.pid, sent)
        code = process.wait(timeout=10)
        return code, time.monotonic() - started, output.read()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
