"""`duban ARGS…` on a clock the test moves (not collected by pytest):

    python _clocked_duban.py CLOCK_FILE web --port 8001 …

The very `duban` command (web.cli.main: argument parsing, waitress, APScheduler, the engine), with one change:
the engine's clock reads the instant written in CLOCK_FILE (ISO-8601 with offset; the test replaces the file
atomically) instead of the system clock, so every process agrees on "now" and the test moves time for all of them.
"""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path


class FileClock:
    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def now(self) -> datetime:
        from engine.clock import parse_instant

        return parse_instant(self.path.read_text(encoding="ascii").strip())


def set_clock(path: Path, at: datetime) -> None:
    """Move every process's clock to `at` (write then rename: a reader never sees half a time)."""
    partial = path.with_suffix(".partial")
    partial.write_text(at.isoformat(), encoding="ascii")
    partial.replace(path)


if __name__ == "__main__":
    clock_file, *argv = sys.argv[1:]
    from workflows import bootstrap

    bootstrap.SystemClock = lambda: FileClock(clock_file)  # type: ignore[assignment,misc,return-value]
    from web.cli import main

    sys.exit(main(argv))
