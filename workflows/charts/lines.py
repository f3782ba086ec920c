"""Line charts: one line per series over periods."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from workflows.charts import svg

# --- line chart ------------------------------------------------------------------------------------

def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str,
               unit: str = "", y_max: float | None = None) -> str:
    """Trend lines over periods; None leaves a gap. Markers carry tooltips; a legend appears for 2+ series.

    The y axis starts at 0 (or lower if a value is negative) and reaches `y_max` (e.g. 100 for a rate in %)
    or the largest value, whichever is higher, in 4–5 round ticks.
    """
    periods, names, table = svg.table_of(labels, series, "periods")
    present = [v for values in table for v in values if v is not None]
    if not periods or not present:
        return svg.empty_chart(title)
    palette = svg.series_colors(names, None)
    high = max(max(present), y_max if y_max is not None else max(present))
    ticks = svg.nice_ticks(min(0.0, min(present)), high)
    suffix = svg.tick_suffix(unit)
    legend, legend_height = (svg.legend(list(zip(names, palette, strict=True)), svg.top() - 6, lines=True)
                             if len(names) > 1 else ([], 0.0))
    caption_height = 20.0 if unit and not suffix else 0.0
    plot_top = svg.top() - 6 + legend_height + caption_height + 12
    plot_height = 200.0
    left = svg.PAD + max(svg.text_width(ticks.label(v) + suffix, svg.SMALL_SIZE) for v in ticks.values) + 8
    right = svg.WIDTH - svg.PAD
    inset = 16.0
    slot = (right - left - 2 * inset) / max(len(periods) - 1, 1)
    xs = ([left + (right - left) / 2] if len(periods) == 1
          else [left + inset + i * slot for i in range(len(periods))])

    def y_of(value: float) -> float:
        return plot_top + plot_height * (1 - (value - ticks.low) / (ticks.high - ticks.low))

    body = legend + svg.unit_caption(unit, svg.PAD, plot_top - 12) + svg.y_axis(ticks, left, right, y_of, suffix)
    markers: list[str] = []
    for index, (name, values, color) in enumerate(zip(names, table, palette, strict=True)):
        line, points = _series_line(name, periods, values, xs, y_of, color, svg.SHAPES[index % len(svg.SHAPES)], unit)
        body.extend(line)
        markers.extend(points)
    base = y_of(ticks.low)
    body.append(f'<line class="dbc-axis" x1="{svg.num(left)}" x2="{svg.num(right)}" y1="{svg.num(base)}" y2="{svg.num(base)}"/>')
    axis_labels, axis_height = svg.x_labels(periods, xs, slot if len(periods) > 1 else right - left, base)
    body.extend(axis_labels)
    body.extend(markers)  # on top of every line, so no series hides another's points
    desc = "；".join(f"{name}：" + "，".join(f"{p} {'无数据' if v is None else svg.format_value(v) + unit}"
                                           for p, v in zip(periods, values, strict=True))
                    for name, values in zip(names, table, strict=True))
    return svg.document(title, desc, base + axis_height + svg.PAD, body)


def _series_line(name: str, periods: Sequence[str], values: Sequence[float | None], xs: Sequence[float],
                 y_of: Callable[[float], float], color: str, shape: str, unit: str) -> tuple[list[str], list[str]]:
    """One series: a path broken at every None (M starts a new run), and a marker per value."""
    commands: list[str] = []
    markers: list[str] = []
    previous: float | None = None
    for period, value, x in zip(periods, values, xs, strict=True):
        if value is not None:
            y = y_of(value)
            commands.append(f"{'L' if previous is not None else 'M'}{svg.num(x)} {svg.num(y)}")
            markers.append(svg.marker(shape, x, y, color, tooltip=f"{period} · {name}：{svg.format_value(value)}{unit}"))
        previous = value
    drawn = any(c.startswith("L") for c in commands)
    line = [f'<path class="dbc-line" stroke="{svg.esc(color)}" d="{" ".join(commands)}"/>'] if drawn else []
    return line, markers
