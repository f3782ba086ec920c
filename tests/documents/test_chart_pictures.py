"""The 专报's chart pictures: the pages' SVG rasterised with Noto Sans CJK SC, so Chinese legends and labels are
Chinese characters, not the empty boxes a font without CJK draws."""
from __future__ import annotations

import subprocess
from io import BytesIO

from PIL import Image, ImageChops

from engine.documents.model import Chart
from workflows.documents.charts import SCALE, render_chart


def legend_strip(png: bytes) -> Image.Image:
    """The picture's top rows, where the legend is (an untitled chart starts with it)."""
    image = Image.open(BytesIO(png)).convert("L")
    return image.crop((0, 0, image.width, int(40 * SCALE)))


def test_fontconfig_gives_the_charts_noto_sans_cjk():
    found = subprocess.run(["fc-match", "Noto Sans CJK SC"], check=True, capture_output=True, text=True).stdout
    assert "Noto Sans CJK" in found, found  # Debian fonts-noto-cjk (.ci/missing-packages installs it)


def test_different_chinese_legends_draw_different_glyphs():
    def chart(legend: str) -> bytes:
        return render_chart(Chart("图1", ("市监局",), ((legend, (3.0,)),), "件"))

    received, closed = legend_strip(chart("受理量")), legend_strip(chart("办结量"))
    # a font without CJK draws the same empty box for every character: both strips would be the same
    assert ImageChops.difference(received, closed).getbbox() is not None
