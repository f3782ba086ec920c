"""`.ci/run` installs Debian packages only when one is missing: `.ci/missing-packages` names them, and says
nothing when all are there, every time, also under `set -euo pipefail` (a `fc-list | grep -q` pipe died with
141 in most runs and made CI reinstall the fonts)."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

SCRIPT = ROOT / ".ci" / "missing-packages"


def _fake_tools(folder, *, with_cjk: bool) -> dict[str, str]:
    """fc-list, chromium, pdftotext and ldconfig (libcairo present) stand-ins; fc-list prints a long list so a reader that stops early
    (grep -q) would break the pipe, as on a machine with many fonts."""
    fonts = [f"/usr/share/fonts/truetype/f{i}.ttf: Font {i}:style=Regular" for i in range(20000)]
    if with_cjk:
        fonts.insert(3, "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc: Noto Sans CJK SC:style=Regular")
    (folder / "fonts.txt").write_text("\n".join(fonts) + "\n")
    cairo = "echo '\tlibcairo.so.2 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcairo.so.2'"
    for name, body in (("fc-list", f"cat {folder / 'fonts.txt'}"), ("chromium", "true"), ("pdftotext", "true"),
                       ("ldconfig", cairo)):
        tool = folder / name
        tool.write_text(f"#!/bin/sh\n{body}\n")
        tool.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:{os.path.dirname(shutil.which('bash'))}"}


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f"set -euo pipefail; out=\"$({SCRIPT})\"; printf '%s' \"$out\""],
                          capture_output=True, text=True, env=env, timeout=30)


def test_nothing_to_install_when_everything_is_there_twenty_times_in_a_row(tmp_path):
    env = _fake_tools(tmp_path, with_cjk=True)
    for _ in range(20):
        result = _run(env)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_names_the_fonts_package_when_no_cjk_font_is_installed(tmp_path):
    result = _run(_fake_tools(tmp_path, with_cjk=False))
    assert result.returncode == 0
    assert result.stdout.split() == ["fonts-noto-cjk"]


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig not installed")
def test_this_machine_has_what_the_tests_need():
    for _ in range(20):
        result = _run(dict(os.environ))
        assert (result.returncode, result.stdout) == (0, "")
