"""Grouped columns: per category one column per series side by side, each labelled with its value."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from workflows.charts import svg

VALUE_SIZE = svg.VALUE_SIZE


def column_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str,
                 unit: str = "", titled: bool = True, colors: Mapping[str, str] | None = None) -> str:
    """Columns for each category, one per series in the legend's order, with the value over every column (0
    too). Values are written level when they fit over their column and upright otherwise; when not even that
    fits (too many columns) they are left to the tooltips and the description. A short `unit` (件, %) follows
    each tick on the y axis, a longer one is named over it. `titled=False` leaves the title out of the picture
    (a document prints its caption under it); it stays the chart's accessible name."""
    labels, names, values = svg.table_of(categories, series)
    if not labels or not names:
        return svg.empty_chart(title, titled=titled)
    table = svg.counts(values)
    palette = svg.series_colors(names, colors)
    integer = all(v == int(v) for column in table for v in column)
    ticks = svg.nice_ticks(0.0, max(max(column) for column in table), integer=integer)
    suffix = svg.tick_suffix(unit)
    texts = [[svg.format_value(v) for v in column] for column in table]
    left = svg.PAD + max(svg.text_width(ticks.label(v) + suffix, svg.SMALL_SIZE) for v in ticks.values) + 8
    right = svg.WIDTH - svg.PAD
    slot = (right - left) / len(labels)
    pitch = min(slot * 0.8 / len(names), 40.0)  # one column and the gap to the next
    widest = max(svg.text_width(t, VALUE_SIZE) for column in texts for t in column)
    mode = "level" if widest + 2 <= pitch else "upright" if VALUE_SIZE + 2 <= pitch else "none"
    room = {"level": VALUE_SIZE + 4, "upright": widest + 6, "none": 0.0}[mode]

    legend, legend_height = svg.legend(list(zip(names, palette, strict=True)), svg.top(titled) - 6)
    caption_height = 16.0 if unit and not suffix else 0.0
    plot_top = svg.top(titled) - 6 + legend_height + caption_height + room + 6
    plot_height = 200.0

    def y_of(value: float) -> float:
        return plot_top + plot_height * (1 - (value - ticks.low) / (ticks.high - ticks.low))

    caption = svg.unit_caption(unit, svg.PAD, svg.top(titled) - 6 + legend_height + svg.SMALL_SIZE)
    body = legend + caption + svg.y_axis(ticks, left, right, y_of, suffix)
    centers = [left + slot * (i + 0.5) for i in range(len(labels))]
    for index, (label, x) in enumerate(zip(labels, centers, strict=True)):
        first = x - pitch * len(names) / 2
        for s, (name, color) in enumerate(zip(names, palette, strict=True)):
            body.extend(_column(f"{label} · {name}", first + pitch * (s + 0.5), pitch * 0.84, table[s][index],
                                texts[s][index] + unit, color, y_of, mode))
    base = y_of(0.0)
    body.append(f'<line class="dbc-axis" x1="{svg.num(left)}" x2="{svg.num(right)}" y1="{svg.num(base)}" '
                f'y2="{svg.num(base)}"/>')
    axis_labels, axis_height = svg.x_labels(labels, centers, slot, base)
    body.extend(axis_labels)
    desc = "；".join(f"{label}：" + "，".join(f"{n} {texts[s][i]}{unit}" for s, n in enumerate(names))
                    for i, label in enumerate(labels))
    return svg.document(title, desc, base + axis_height + svg.PAD, body, titled=titled)


def _column(name: str, x: float, width: float, value: float, text: str, color: str,
            y_of: Callable[[float], float], mode: str) -> list[str]:
    """One column (none for 0) with its tooltip, and its value over it."""
    base, y = y_of(0.0), y_of(value)
    parts = [f"<g><title>{svg.esc(f'{name}：{text}')}</title>"]
    if value > 0:
        parts.append(f'<rect class="dbc-col" x="{svg.num(x - width / 2)}" y="{svg.num(y)}" width="{svg.num(width)}" '
                     f'height="{svg.num(base - y)}" fill="{svg.esc(color)}"/>')
    shown = svg.format_value(value)
    if mode == "level":
        parts.append(f'<text class="dbc-value" x="{svg.num(x)}" y="{svg.num(y - 3)}" text-anchor="middle">'
                     f"{svg.esc(shown)}</text>")
    elif mode == "upright":  # turned a quarter left, reading upwards from just over the column
        tx, ty = x + VALUE_SIZE * 0.35, y - 3
        parts.append(f'<text class="dbc-value" x="{svg.num(tx)}" y="{svg.num(ty)}" '
                     f'transform="rotate(-90 {svg.num(tx)} {svg.num(ty)})">{svg.esc(shown)}</text>')
    parts.append("</g>")
    return parts
