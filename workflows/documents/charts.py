"""The documents' charts are the pages' charts: a `Chart` block is drawn by the same SVG code as the dashboard
(`workflows.charts.column_chart`, untitled: the document prints the caption under it) and rasterised to PNG by
cairosvg. Text is set in Noto Sans CJK SC, found by fontconfig (Debian fonts-noto-cjk); without it the Chinese
labels cannot be drawn, as the PDF cannot be made."""
from __future__ import annotations

import cairosvg

from engine.documents.model import Chart
from workflows.charts import column_chart

SCALE = 3.5  # 520 px wide × 3.5 = 1820 px: about 300 dpi at the 150 mm the documents print it


def chart_svg(chart: Chart) -> str:
    """The SVG the document's PNG is made from."""
    return column_chart(chart.labels, chart.series, title=chart.caption, unit=chart.unit, titled=False)


def to_png(svg: str, scale: float = SCALE) -> bytes:
    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale, background_color="#fff")  # opaque: on paper


def render_chart(chart: Chart) -> bytes:
    return to_png(chart_svg(chart))
