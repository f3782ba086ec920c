"""Horizontal bar charts (columns: `columns.py`)."""
from __future__ import annotations

from collections.abc import Collection, Sequence

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
