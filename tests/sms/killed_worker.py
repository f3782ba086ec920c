"""A real worker process killed by os._exit right after the provider accepted its message and before it could
record that: its row is committed `sending`, nothing more. Used for each gateway's crash test."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

KILLED_WORKER = """
import json, os, sys
from config.settings import Settings
from engine.clock import VirtualClock, parse_instant
from workflows.bootstrap import build_engine, build_sms

url, at, overrides = sys.argv[1:4]
settings = Settings(worker_id="doomed", secret_key="test-secret-key-0123456789",
                    public_url="https://duban.example.gov.cn", **json.loads(overrides))
engine = build_engine(settings, clock=VirtualClock(parse_instant(at)), database_url=url)
sms = build_sms(settings, engine)
real = sms.gateway.send

def send_then_die(message):
    real(message)       # the provider accepted it ...
    os._exit(1)         # ... and the worker is killed before it can record that

sms.gateway.send = send_then_die
sms.delivery.run(sms.gateway)
"""


def kill_a_worker_after_acceptance(world: Any, tmp_path: Path, **settings: str) -> None:
    """Run one delivery pass in a separate process (same database, same virtual time) that dies mid-way."""
    script = tmp_path / "doomed.py"
    script.write_text(KILLED_WORKER, encoding="utf-8")
    result = subprocess.run([sys.executable, str(script), str(world.engine.store.engine.url),
                             world.clock.now().isoformat(), json.dumps(settings)], capture_output=True, text=True,
                            timeout=60, cwd=str(Path(__file__).resolve().parents[2]))
    assert result.returncode == 1, result.stderr
