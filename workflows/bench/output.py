"""How the benchmark scripts talk: figures on stdout, progress on stderr only when it is a terminal."""
from __future__ import annotations

import sys


class Out:
    def __init__(self, show_progress: bool | None = None) -> None:
        self.show_progress = sys.stderr.isatty() if show_progress is None else show_progress

    def line(self, text: str = "") -> None:
        print(text, flush=True)

    def progress(self, text: str) -> None:
        if self.show_progress:
            sys.stderr.write(f"\r\x1b[K{text}")
            sys.stderr.flush()

    def done(self) -> None:
        if self.show_progress:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
