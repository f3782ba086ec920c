"""The body in 仿宋 where one is installed (FandolFang), Noto Serif CJK SC otherwise, and `duban check-config`
saying which. The FandolFang test runs where the font is found (DUBAN_FANG_DIR, or the texlive path); CI without
texlive-lang-chinese runs the fallback test."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from config.documents import load_document_settings
from engine.documents.model import DocumentContent, Paragraph
from tests.documents.helpers import pdf_fonts, pdf_text, squeeze
from workflows.documents.fonts import FANG, find_cjk_fonts
from workflows.documents.pdf_render import render_pdf

TEXLIVE = Path("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol")
FANG_DIR = Path(os.environ.get("DUBAN_FANG_DIR", TEXLIVE))
NOTO = [d for d in load_document_settings().font_dirs if not (d / FANG).exists()]


def _content() -> DocumentContent:
    # 〖 is outside GB 2312: FandolFang lacks it, the fallback draws it
    return DocumentContent("urge_notice", "揭热线催〔2026〕9号", "关于督促办理工单GD20260601001的催办通知书",
                           "揭阳市生态环境局：", (Paragraph("请你单位于2026年6月8日前办结并答复市民〖河道偷排污水〗。"),),
                           "揭阳市12345热线管理办公室", "揭阳市12345热线管理办公室文件", date(2026, 6, 4))


def test_without_fandolfang_the_body_is_noto_serif_and_check_config_says_so(tmp_path):
    fonts = find_cjk_fonts(NOTO)
    assert fonts.body.name == "NotoSerifCJK-Regular.ttc" and fonts.fallback is None
    assert "Noto Serif CJK SC stands in for 仿宋_GB2312" in fonts.describe() and FANG in fonts.describe()
    env = {**os.environ, "DUBAN_FONT_DIRS": ":".join(map(str, NOTO))}
    out = subprocess.run([sys.executable, "-m", "web.cli", "check-config"], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[2])
    assert "PDF body font NotoSerifCJK-Regular.ttc" in out.stdout and "stands in for 仿宋_GB2312" in out.stdout


@pytest.mark.skipif(not (FANG_DIR / FANG).exists(), reason="FandolFang not installed (texlive-lang-chinese)")
def test_with_fandolfang_the_body_is_fangsong_and_noto_fills_in(tmp_path):
    fonts = find_cjk_fonts([FANG_DIR, *NOTO])
    assert fonts.body.name == FANG and fonts.fallback is not None
    assert fonts.describe().startswith(f"PDF body font {FANG} (仿宋)")
    path = tmp_path / "fang.pdf"
    path.write_bytes(render_pdf(_content(), fonts))
    names = [row[0] for row in pdf_fonts(path)]
    assert any("FandolFang" in n for n in names) and any("NotoSerifCJK" in n for n in names), names
    assert "〖河道偷排污水〗" in squeeze(pdf_text(path))
