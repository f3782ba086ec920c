"""Driving an engine on its virtual clock until the documents the rules asked for are issued."""
from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from config.documents import DocumentSettings
from engine.clock import VirtualClock
from engine.services import Engine
from workflows.documents.issuing import issue_all_pending

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def run_until(engine: Engine, clock: VirtualClock, until: datetime, *, documents: bool = True,
              settings: DocumentSettings | None = None, deliver: Callable[[], object] | None = None) -> None:
    """Fire every timer due by `until` at its own due time, issuing pending documents as a worker would; with
    `deliver`, the SMS go out a minute after each step (the worker's SMS job), and those already due at once."""
    if deliver is not None:
        deliver()
    while (due := engine.next_due()) is not None and due <= until:
        clock.set(max(due, clock.now()))
        engine.fire_due_timers()
        if documents:
            issue_all_pending(engine, settings)
        if deliver is not None and clock.now() + timedelta(minutes=1) <= until:
            clock.set(clock.now() + timedelta(minutes=1))
            deliver()
    clock.set(until)
    if documents:
        issue_all_pending(engine, settings)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_fonts(path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]
