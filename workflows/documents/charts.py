"""Bar charts drawn on the server as PNG (Pillow). With the CJK fonts (the PDF's) labels and legends are in
Chinese; without them (DOCX on a machine without fonts-noto-cjk) Pillow's own font draws what it can."""
from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from engine.documents.model import Chart

COLOURS = ((176, 32, 32), (236, 160, 150), (80, 80, 80))
WIDTH, HEIGHT = 1600, 700
LEFT, RIGHT, TOP, BOTTOM = 110, 40, 60, 90


def _font(size: int, fonts: Any = None) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    if fonts is not None:
        return ImageFont.truetype(str(fonts.body), size, index=fonts.face if str(fonts.body).endswith(".ttc") else 0)
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType
        return ImageFont.load_default()


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float((int(value / step) + 1) * step)


def _label(draw: ImageDraw.ImageDraw, label: str, x: float, y: float, room: float, font: Any, small: Any) -> None:
    """A bar's label under it; one too wide for its group goes on two lines in the smaller type."""
    if draw.textlength(label, font=font) <= room:
        draw.text((x, y), label, fill="black", font=font, anchor="mt")
        return
    half = (len(label) + 1) // 2
    for n, part in enumerate((label[:half], label[half:])):
        draw.text((x, y + n * 26), part, fill="black", font=small, anchor="mt")


def render_chart(chart: Chart, fonts: Any = None) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(26, fonts), _font(22, fonts)
    top = _nice_top(max((v for _, values in chart.series for v in values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    for i in range(5):
        y = base - plot_h * i / 4
        draw.line((LEFT, y, WIDTH - RIGHT, y), fill=(220, 220, 220), width=1)
        draw.text((LEFT - 12, y), f"{top * i / 4:g}", fill="black", font=small, anchor="rm")
    draw.line((LEFT, TOP, LEFT, base), fill="black", width=2)
    draw.line((LEFT, base, WIDTH - RIGHT, base), fill="black", width=2)
    groups = max(len(chart.labels), 1)
    group_w = plot_w / groups
    bar_w = group_w * 0.8 / max(len(chart.series), 1)
    for g, label in enumerate(chart.labels):
        x0 = LEFT + g * group_w + group_w * 0.1
        for s, (_, values) in enumerate(chart.series):
            value = values[g]
            height = plot_h * value / top
            left = x0 + s * bar_w
            draw.rectangle((left, base - height, left + bar_w - 2, base), fill=COLOURS[s % len(COLOURS)])
            if value:
                draw.text((left + bar_w / 2, base - height - 4), f"{value:g}", fill="black", font=small, anchor="mb")
        _label(draw, label, LEFT + g * group_w + group_w / 2, base + 12, group_w * 0.95, font, small)
    for s, (legend, _) in enumerate(chart.series):
        x = LEFT + 20 + s * 260
        draw.rectangle((x, 18, x + 30, 42), fill=COLOURS[s % len(COLOURS)])
        draw.text((x + 40, 30), legend, fill="black", font=font, anchor="lm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
