"""Bar charts: horizontal bars and stacked columns."""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from workflows.charts import svg

# --- bar chart -------------------------------------------------------------------------------------

def bar_chart(items: Sequence[tuple[str, float]], *, title: str, unit: str = "",
              highlight: Collection[str] = ()) -> str:
    """Horizontal bars, one per (label, value), label on the left and the value at the bar's end.

    Bar lengths are proportional to the values (the longest bar is the largest value; negatives draw no bar).
    Labels in `highlight` are drawn in red with a bold label. Long labels end in … (hover shows the full one).
    """
    rows = [(str(label), svg.finite(value) or 0.0) for label, value in items]
    if not rows:
        return svg.empty_chart(title)
    row_height, bar_height = 30.0, 18.0
    value_texts = [svg.format_value(value) + unit for _, value in rows]
    label_width = min(max(svg.text_width(label, svg.LABEL_SIZE) for label, _ in rows), svg.WIDTH * 0.34)
    value_width = max(svg.text_width(text, svg.SMALL_SIZE) for text in value_texts) + 8
    x0 = svg.PAD + label_width + 8
    plot_width = svg.WIDTH - svg.PAD - value_width - x0
    largest = max(value for _, value in rows)
    top = svg.top()
    body: list[str] = []
    for index, ((label, value), value_text) in enumerate(zip(rows, value_texts, strict=True)):
        y = top + index * row_height
        length = plot_width * value / largest if largest > 0 and value > 0 else 0.0
        marked = label in highlight
        body.append(f"<g><title>{svg.esc(f'{label}：{value_text}')}</title>")
        strong = ' class="dbc-strong"' if marked else ""
        body.append(f'<text{strong} x="{svg.num(x0 - 8)}" '
                    f'y="{svg.num(y + bar_height / 2 + 5)}" text-anchor="end">'
                    f"{svg.esc(svg.truncate(label, label_width, svg.LABEL_SIZE))}</text>")
        body.append(f'<rect class="dbc-bar{" dbc-hl" if marked else ""}" x="{svg.num(x0)}" y="{svg.num(y)}" '
                    f'width="{svg.num(length)}" height="{svg.num(bar_height)}" rx="2"/>')
        body.append(f'<text class="dbc-small" x="{svg.num(x0 + length + 5)}" y="{svg.num(y + bar_height / 2 + 4)}">'
                    f"{svg.esc(value_text)}</text></g>")
    bottom = top + len(rows) * row_height - (row_height - bar_height)
    body.append(f'<line class="dbc-axis" x1="{svg.num(x0)}" x2="{svg.num(x0)}" y1="{svg.num(top - 4)}" y2="{svg.num(bottom + 4)}"/>')
    desc = "；".join(f"{label}：{text}" for (label, _), text in zip(rows, value_texts, strict=True))
    return svg.document(title, desc, bottom + svg.PAD + 4, body)


# --- stacked columns -------------------------------------------------------------------------------

def stacked_bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str,
                      colors: Mapping[str, str] | None = None) -> str:
    """Vertical columns, one per category, each stacking the series' values bottom-up, with a legend.

    `series` is [(name, values)] with one value per category (ValueError otherwise). Colours come from
    `colors`, else 黄牌/红牌/督办函/专报 get the UI's card colours, else a fixed palette.
    """
    labels, names, values = svg.table_of(categories, series)
    table = svg.counts(values)
    if not labels or not table:
        return svg.empty_chart(title)
    palette = svg.series_colors(names, colors)
    totals = [sum(column) for column in zip(*table, strict=True)]
    integer = all(v == int(v) for values in table for v in values)
    ticks = svg.nice_ticks(0.0, max(totals), integer=integer)
    legend, legend_height = svg.legend(list(zip(names, palette, strict=True)), svg.top() - 6)
    plot_top = svg.top() - 6 + legend_height + 10
    plot_height = 200.0
    left = svg.PAD + max(svg.text_width(ticks.label(v), svg.SMALL_SIZE) for v in ticks.values) + 8
    right = svg.WIDTH - svg.PAD
    slot = (right - left) / len(labels)
    bar_width = min(slot * 0.62, 44.0)

    def y_of(value: float) -> float:
        return plot_top + plot_height * (1 - (value - ticks.low) / (ticks.high - ticks.low))

    body = legend + svg.y_axis(ticks, left, right, y_of, "")
    centers = [left + slot * (i + 0.5) for i in range(len(labels))]
    for index, (label, x) in enumerate(zip(labels, centers, strict=True)):
        body.extend(_column(label, x, bar_width, [(n, t[index], c) for n, t, c in zip(names, table, palette,
                                                                                       strict=True)], y_of))
        total_text = svg.format_value(totals[index])
        if totals[index] > 0 and svg.text_width(total_text, svg.SMALL_SIZE) <= slot:
            body.append(f'<text class="dbc-small" x="{svg.num(x)}" y="{svg.num(y_of(totals[index]) - 4)}" '
                        f'text-anchor="middle">{svg.esc(total_text)}</text>')
    base = y_of(0.0)
    body.append(f'<line class="dbc-axis" x1="{svg.num(left)}" x2="{svg.num(right)}" y1="{svg.num(base)}" y2="{svg.num(base)}"/>')
    axis_labels, axis_height = svg.x_labels(labels, centers, slot, plot_top + plot_height)
    body.extend(axis_labels)
    desc = "；".join(f"{label}：" + "，".join(f"{n} {svg.format_value(t[i])}" for n, t in zip(names, table, strict=True))
                    for i, label in enumerate(labels))
    return svg.document(title, desc, plot_top + plot_height + axis_height + svg.PAD, body)


def _column(label: str, x: float, width: float, segments: Sequence[tuple[str, float, str]],
            y_of: Callable[[float], float]) -> list[str]:
    """One stacked column: a rect per non-zero segment, each with a tooltip."""
    parts, running = [], 0.0
    for name, value, color in segments:
        if value <= 0:
            continue
        y_low, y_high = y_of(running), y_of(running + value)
        running += value
        parts.append(f'<rect class="dbc-seg" x="{svg.num(x - width / 2)}" y="{svg.num(y_high)}" width="{svg.num(width)}" '
                     f'height="{svg.num(y_low - y_high)}" fill="{svg.esc(color)}">'
                     f"<title>{svg.esc(f'{label} · {name}：{svg.format_value(value)}')}</title></rect>")
    return parts
