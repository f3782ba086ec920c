"""Running `duban ARGS…` inside the test process: the CLI's `main(argv)` with what a fresh process would have had —
its own environment, working folder, stdin, stdout and stderr — and nothing left behind for the next test.

A `duban` process costs about 3 s of imports before it reads its arguments, so the many bad-input cases run here;
a few cases in each test file still start the real executable (exit code and stderr of the process itself)."""
from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path


def run_duban(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, drop: Sequence[str] = (),
              stdin: str = "") -> subprocess.CompletedProcess:
    """`duban *argv` run in-process: `env` added to (and `drop` removed from) os.environ, `cwd` the working folder,
    `stdin` what it reads. Returns what subprocess.run(…, capture_output=True, text=True) would."""
    from web.cli import main
    from workflows.documents.issuing import default_settings

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    root = logging.getLogger()
    saved_logging = (root.handlers[:], root.level,
                     {name: logger.level for name, logger in logging.Logger.manager.loggerDict.items()
                      if isinstance(logger, logging.Logger)})
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="") for _ in range(2))
    saved_stdin = sys.stdin
    default_settings.cache_clear()  # the documents settings the environment names, read afresh
    try:
        os.environ.update(env or {})
        for name in drop:
            os.environ.pop(name, None)
        os.chdir(cwd)
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
        with redirect_stdout(out), redirect_stderr(err), warnings.catch_warnings():
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse's errors, and commands that exit
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if exc.code is not None and not isinstance(exc.code, int):
                    print(exc.code, file=sys.stderr)
    finally:
        sys.stdin = saved_stdin
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        root.handlers[:], level, levels = saved_logging
        root.setLevel(level)
        for name, logger in list(logging.Logger.manager.loggerDict.items()):
            if isinstance(logger, logging.Logger):
                logger.setLevel(levels.get(name, logging.NOTSET))
        logging.captureWarnings(False)
        default_settings.cache_clear()
    return subprocess.CompletedProcess(["duban", *argv], code, _text(out), _text(err))


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]
