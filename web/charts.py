"""Server-drawn SVG charts for the dashboard, leadership trends and the card board (no JavaScript).

Every function returns a complete, self-contained `<svg>` string that is safe to mark as `Markup`: all text
(titles, labels, series names, units, colours) is XML-escaped here. Each chart carries `role="img"`, an
`aria-label`, a `<title>` and a `<desc>` summarising the numbers for screen readers, a `viewBox` with
`width="100%"` so it shrinks on a phone (it never grows past its natural width), and an inline `<style>`
whose selectors are all prefixed `.dbc` so several charts can share one page. Output is deterministic:
the same input always gives byte-identical SVG.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

WIDTH = 520  # viewBox width; the chart is drawn at most this wide and scales down with its container
PAD = 12
TITLE_SIZE = 16
LABEL_SIZE = 14
SMALL_SIZE = 12
EMPTY_TEXT = "暂无数据"
PALETTE: tuple[str, ...] = ("#1f5f99", "#d97706", "#2e7d32", "#9b1c1c", "#6a1b9a", "#00838f", "#6d4c41", "#c2185b")
SERIES_COLORS: dict[str, str] = {  # the card colours used elsewhere in the UI (see base.html)
    "黄牌": "#f5c518", "红牌": "#c62828", "督办函": "#37474f", "专报": "#6a1b9a",
}
_SHAPES = ("circle", "square", "diamond", "triangle")
_STYLE = (
    ".dbc text{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;"
    f"fill:#333;font-size:{LABEL_SIZE}px}}"
    f".dbc .dbc-title{{font-size:{TITLE_SIZE}px;font-weight:bold;fill:#222}}"
    f".dbc .dbc-small{{font-size:{SMALL_SIZE}px;fill:#555}}"
    ".dbc .dbc-empty{fill:#888}.dbc .dbc-strong{font-weight:bold;fill:#9b1c1c}"
    ".dbc .dbc-bg{fill:#fff}.dbc .dbc-grid{stroke:#e4e4e4;stroke-width:1}.dbc .dbc-axis{stroke:#999;stroke-width:1}"
    ".dbc .dbc-bar{fill:#3b6ea5}.dbc .dbc-bar.dbc-hl{fill:#c62828}"
    ".dbc .dbc-line{fill:none;stroke-width:2.2;stroke-linejoin:round;stroke-linecap:round}"
    ".dbc .dbc-seg{stroke:#fff;stroke-width:.6}"
)
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- text ------------------------------------------------------------------------------------------

def _esc(text: object) -> str:
    """XML-escape text for both element content and quoted attributes; drop characters XML forbids."""
    clean = _INVALID_XML.sub("", str(text))
    return (clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def _char_width(char: str) -> float:
    """Approximate advance of one character in ems (CJK and full-width forms are square)."""
    if ord(char) >= 0x2E80 or char == "…":
        return 1.0
    if char in " .,:;'|!il":
        return 0.3
    return 0.62 if char.isupper() or char in "%@mwMW" else 0.56


def text_width(text: str, size: float) -> float:
    """Estimated rendered width of `text` at font `size` (good enough for layout, errs on the wide side)."""
    return sum(_char_width(c) for c in text) * size


def truncate(text: str, max_width: float, size: float) -> str:
    """`text` shortened with a trailing … so it fits in `max_width` at font `size`."""
    if text_width(text, size) <= max_width:
        return text
    budget = max_width - size  # room left once the ellipsis is in
    kept, used = [], 0.0
    for char in text:
        used += _char_width(char) * size
        if used > budget:
            break
        kept.append(char)
    return "".join(kept) + "…"


def _n(value: float) -> str:
    """A coordinate with at most one decimal (keeps the markup small and deterministic)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: float, decimals: int = 2) -> str:
    """A data value for people: no trailing zeros, at most `decimals` decimals."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


# --- scales ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ticks:
    """Axis ticks from `values[0]` to `values[-1]`, `step` apart, printed with `decimals` decimals."""

    values: tuple[float, ...]
    step: float
    decimals: int

    @property
    def low(self) -> float:
        return self.values[0]

    @property
    def high(self) -> float:
        return self.values[-1]

    def label(self, value: float) -> str:
        return format_value(value, self.decimals)


def nice_ticks(low: float, high: float, *, integer: bool = False, max_ticks: int = 5) -> Ticks:
    """4 to `max_ticks` round tick values (steps of 1, 2, 2.5 or 5 × 10ⁿ) covering [low, high].

    With `integer` the step is a whole number (counts of orders never read 2.5). A flat range is widened so
    there is always something to draw.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("tick range must be finite")
    low, high = min(low, high), max(low, high)
    if high == low:
        high = low + (max_ticks - 1 if integer else 1)
    intervals = max(max_ticks - 1, 3)
    exponent = math.floor(math.log10((high - low) / intervals))
    for power in (exponent, exponent + 1, exponent + 2):
        for base in (1.0, 2.0, 2.5, 5.0):
            step = base * 10.0 ** power
            if integer and (step < 1 or step != int(step)):
                continue
            first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
            if last - first <= intervals:
                last = max(last, first + 3)  # at least four ticks
                decimals = max(0, math.ceil(-math.log10(step) - 1e-9) + (1 if base == 2.5 else 0))
                values = tuple(round(i * step, 10) for i in range(first, last + 1))
                return Ticks(values=values, step=step, decimals=decimals)
    raise AssertionError("unreachable: a step of 10^(exponent+2) always fits")


# --- svg scaffolding -------------------------------------------------------------------------------

def _document(title: str, desc: str, height: float, body: list[str]) -> str:
    """Wrap chart `body` elements in the accessible, scalable <svg> shell with a visible title."""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="dbc" role="img" aria-label="{_esc(title)}" '
            f'viewBox="0 0 {WIDTH} {_n(height)}" width="100%" preserveAspectRatio="xMidYMid meet" '
            f'style="display:block;max-width:{WIDTH}px;height:auto">'
            f"<title>{_esc(title)}</title><desc>{_esc(desc)}</desc><style>{_STYLE}</style>"
            f'<rect class="dbc-bg" width="{WIDTH}" height="{_n(height)}" rx="4"/>'
            f'<text class="dbc-title" x="{PAD}" y="{PAD + TITLE_SIZE}">'
            f"{_esc(truncate(title, WIDTH - 2 * PAD, TITLE_SIZE))}</text>")
    return head + "".join(body) + "</svg>"


def _top() -> float:
    """First y below the visible title."""
    return PAD + TITLE_SIZE + 14


def _empty(title: str) -> str:
    """A chart frame that says there is nothing to show."""
    height = _top() + 70
    body = [f'<text class="dbc-empty" x="{WIDTH / 2:g}" y="{_n(_top() + 36)}" text-anchor="middle">{EMPTY_TEXT}</text>']
    return _document(title, EMPTY_TEXT, height, body)


def _series_colors(names: Sequence[str], colors: Mapping[str, str] | None) -> list[str]:
    """Caller's colour, else the UI's card colour for that name, else the palette in order."""
    chosen = colors or {}
    return [chosen.get(name) or SERIES_COLORS.get(name) or PALETTE[i % len(PALETTE)] for i, name in enumerate(names)]


def _marker(shape: str, x: float, y: float, color: str, size: float = 4.0, tooltip: str = "") -> str:
    """A point marker; the shape varies by series so lines differ by more than colour."""
    tip = f"<title>{_esc(tooltip)}</title>" if tooltip else ""
    fill = f'fill="{_esc(color)}" stroke="#fff" stroke-width="1"'
    if shape == "square":
        return f'<rect x="{_n(x - size)}" y="{_n(y - size)}" width="{_n(2 * size)}" height="{_n(2 * size)}" {fill}>{tip}</rect>'
    if shape in ("diamond", "triangle"):
        s = size * 1.3
        corners = ([(x, y - s), (x + s, y), (x, y + s), (x - s, y)] if shape == "diamond"
                   else [(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)])
        points = " ".join(f"{_n(px)},{_n(py)}" for px, py in corners)
        return f'<polygon points="{points}" {fill}>{tip}</polygon>'
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(size)}" {fill}>{tip}</circle>'


def _legend(entries: Sequence[tuple[str, str]], y: float, *, lines: bool = False) -> tuple[list[str], float]:
    """Swatches with names, wrapping across the width; returns the elements and the height used."""
    parts: list[str] = []
    x, row, row_height = float(PAD), 0, LABEL_SIZE + 8
    for index, (name, color) in enumerate(entries):
        label = truncate(name, WIDTH / 2, SMALL_SIZE)
        width = 22 + text_width(label, SMALL_SIZE) + 16
        if x > PAD and x + width > WIDTH - PAD:
            x, row = float(PAD), row + 1
        cy = y + row * row_height + row_height / 2
        if lines:
            parts.append(f'<line x1="{_n(x)}" x2="{_n(x + 18)}" y1="{_n(cy)}" y2="{_n(cy)}" '
                         f'stroke="{_esc(color)}" stroke-width="2.2"/>')
            parts.append(_marker(_SHAPES[index % len(_SHAPES)], x + 9, cy, color, 3.5))
        else:
            parts.append(f'<rect x="{_n(x + 2)}" y="{_n(cy - 6)}" width="12" height="12" rx="2" fill="{_esc(color)}"/>')
        parts.append(f'<text class="dbc-small" x="{_n(x + 22)}" y="{_n(cy + 4)}">{_esc(label)}</text>')
        x += width
    return parts, (row + 1) * row_height + 4 if entries else 0.0


def _y_axis(ticks: Ticks, left: float, right: float, y_of: Callable[[float], float], unit: str) -> list[str]:
    """Horizontal grid lines with tick labels right-aligned left of the plot."""
    parts = []
    for value in ticks.values:
        y = y_of(value)
        parts.append(f'<line class="dbc-grid" x1="{_n(left)}" x2="{_n(right)}" y1="{_n(y)}" y2="{_n(y)}"/>')
        parts.append(f'<text class="dbc-small" x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end">'
                     f"{_esc(ticks.label(value) + unit)}</text>")
    return parts


def _tick_suffix(unit: str) -> str:
    """Short units (%, 件, 天) go on every tick label; longer ones are shown once above the axis."""
    return unit if len(unit) <= 1 else ""


def _unit_caption(unit: str, x: float, y: float) -> list[str]:
    if not unit or _tick_suffix(unit):
        return []
    return [f'<text class="dbc-small" x="{_n(x)}" y="{_n(y)}">单位：{_esc(unit)}</text>']


def _x_labels(labels: Sequence[str], centers: Sequence[float], slot: float, y: float) -> tuple[list[str], float]:
    """Category labels under the plot: level if they fit, slanted if there is room, else every k-th one."""
    need = max(text_width(label, SMALL_SIZE) for label in labels) + 4
    parts: list[str] = []
    if need <= slot:
        for label, x in zip(labels, centers, strict=True):
            parts.append(f'<text class="dbc-small" x="{_n(x)}" y="{_n(y + SMALL_SIZE + 4)}" text-anchor="middle">'
                         f"{_esc(label)}</text>")
        return parts, SMALL_SIZE + 10
    if slot >= SMALL_SIZE + 4 and len(labels) <= 24:
        longest, slant = 0.0, math.cos(math.radians(40))
        for label, x in zip(labels, centers, strict=True):
            short = truncate(label, min(96.0, (x + 4 - PAD) / slant), SMALL_SIZE)  # never past the left edge
            longest = max(longest, text_width(short, SMALL_SIZE))
            ty = y + SMALL_SIZE
            parts.append(f'<text class="dbc-small" x="{_n(x + 4)}" y="{_n(ty)}" text-anchor="end" '
                         f'transform="rotate(-40 {_n(x + 4)} {_n(ty)})">{_esc(short)}</text>')
        return parts, longest * math.sin(math.radians(40)) + SMALL_SIZE + 10
    every = math.ceil(need / slot)
    for index, (label, x) in enumerate(zip(labels, centers, strict=True)):
        if index % every == 0:
            short = truncate(label, every * slot - 6, SMALL_SIZE)
            parts.append(f'<text class="dbc-small" x="{_n(x)}" y="{_n(y + SMALL_SIZE + 4)}" text-anchor="middle">'
                         f"{_esc(short)}</text>")
    return parts, SMALL_SIZE + 10


# --- bar chart -------------------------------------------------------------------------------------

def bar_chart(items: Sequence[tuple[str, float]], *, title: str, unit: str = "",
              highlight: Collection[str] = ()) -> str:
    """Horizontal bars, one per (label, value), label on the left and the value at the bar's end.

    Bar lengths are proportional to the values (the longest bar is the largest value; negatives draw no bar).
    Labels in `highlight` are drawn in red with a bold label. Long labels end in … (hover shows the full one).
    """
    rows = [(str(label), _finite(value) or 0.0) for label, value in items]
    if not rows:
        return _empty(title)
    row_height, bar_height = 30.0, 18.0
    value_texts = [format_value(value) + unit for _, value in rows]
    label_width = min(max(text_width(label, LABEL_SIZE) for label, _ in rows), WIDTH * 0.34)
    value_width = max(text_width(text, SMALL_SIZE) for text in value_texts) + 8
    x0 = PAD + label_width + 8
    plot_width = WIDTH - PAD - value_width - x0
    largest = max(value for _, value in rows)
    top = _top()
    body: list[str] = []
    for index, ((label, value), value_text) in enumerate(zip(rows, value_texts, strict=True)):
        y = top + index * row_height
        length = plot_width * value / largest if largest > 0 and value > 0 else 0.0
        marked = label in highlight
        body.append(f"<g><title>{_esc(f'{label}：{value_text}')}</title>")
        strong = ' class="dbc-strong"' if marked else ""
        body.append(f'<text{strong} x="{_n(x0 - 8)}" '
                    f'y="{_n(y + bar_height / 2 + 5)}" text-anchor="end">'
                    f"{_esc(truncate(label, label_width, LABEL_SIZE))}</text>")
        body.append(f'<rect class="dbc-bar{" dbc-hl" if marked else ""}" x="{_n(x0)}" y="{_n(y)}" '
                    f'width="{_n(length)}" height="{_n(bar_height)}" rx="2"/>')
        body.append(f'<text class="dbc-small" x="{_n(x0 + length + 5)}" y="{_n(y + bar_height / 2 + 4)}">'
                    f"{_esc(value_text)}</text></g>")
    bottom = top + len(rows) * row_height - (row_height - bar_height)
    body.append(f'<line class="dbc-axis" x1="{_n(x0)}" x2="{_n(x0)}" y1="{_n(top - 4)}" y2="{_n(bottom + 4)}"/>')
    desc = "；".join(f"{label}：{text}" for (label, _), text in zip(rows, value_texts, strict=True))
    return _document(title, desc, bottom + PAD + 4, body)


# --- stacked columns -------------------------------------------------------------------------------

def stacked_bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *, title: str,
                      colors: Mapping[str, str] | None = None) -> str:
    """Vertical columns, one per category, each stacking the series' values bottom-up, with a legend.

    `series` is [(name, values)] with one value per category (ValueError otherwise). Colours come from
    `colors`, else 黄牌/红牌/督办函/专报 get the UI's card colours, else a fixed palette.
    """
    labels = [str(c) for c in categories]
    names = [str(name) for name, _ in series]
    table = [[max(_finite(v) or 0.0, 0.0) for v in values] for _, values in series]
    for name, values in zip(names, table, strict=True):
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} categories")
    if not labels or not table:
        return _empty(title)
    palette = _series_colors(names, colors)
    totals = [sum(column) for column in zip(*table, strict=True)]
    integer = all(v == int(v) for values in table for v in values)
    ticks = nice_ticks(0.0, max(totals), integer=integer)
    legend, legend_height = _legend(list(zip(names, palette, strict=True)), _top() - 6)
    plot_top = _top() - 6 + legend_height + 10
    plot_height = 200.0
    left = PAD + max(text_width(ticks.label(v), SMALL_SIZE) for v in ticks.values) + 8
    right = WIDTH - PAD
    slot = (right - left) / len(labels)
    bar_width = min(slot * 0.62, 44.0)

    def y_of(value: float) -> float:
        return plot_top + plot_height * (1 - (value - ticks.low) / (ticks.high - ticks.low))

    body = legend + _y_axis(ticks, left, right, y_of, "")
    centers = [left + slot * (i + 0.5) for i in range(len(labels))]
    for index, (label, x) in enumerate(zip(labels, centers, strict=True)):
        body.extend(_column(label, x, bar_width, [(n, t[index], c) for n, t, c in zip(names, table, palette,
                                                                                       strict=True)], y_of))
        total_text = format_value(totals[index])
        if totals[index] > 0 and text_width(total_text, SMALL_SIZE) <= slot:
            body.append(f'<text class="dbc-small" x="{_n(x)}" y="{_n(y_of(totals[index]) - 4)}" '
                        f'text-anchor="middle">{_esc(total_text)}</text>')
    base = y_of(0.0)
    body.append(f'<line class="dbc-axis" x1="{_n(left)}" x2="{_n(right)}" y1="{_n(base)}" y2="{_n(base)}"/>')
    axis_labels, axis_height = _x_labels(labels, centers, slot, plot_top + plot_height)
    body.extend(axis_labels)
    desc = "；".join(f"{label}：" + "，".join(f"{n} {format_value(t[i])}" for n, t in zip(names, table, strict=True))
                    for i, label in enumerate(labels))
    return _document(title, desc, plot_top + plot_height + axis_height + PAD, body)


def _column(label: str, x: float, width: float, segments: Sequence[tuple[str, float, str]],
            y_of: Callable[[float], float]) -> list[str]:
    """One stacked column: a rect per non-zero segment, each with a tooltip."""
    parts, running = [], 0.0
    for name, value, color in segments:
        if value <= 0:
            continue
        y_low, y_high = y_of(running), y_of(running + value)
        running += value
        parts.append(f'<rect class="dbc-seg" x="{_n(x - width / 2)}" y="{_n(y_high)}" width="{_n(width)}" '
                     f'height="{_n(y_low - y_high)}" fill="{_esc(color)}">'
                     f"<title>{_esc(f'{label} · {name}：{format_value(value)}')}</title></rect>")
    return parts


# --- line chart ------------------------------------------------------------------------------------

def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str,
               unit: str = "", y_max: float | None = None) -> str:
    """Trend lines over periods; None leaves a gap. Markers carry tooltips; a legend appears for 2+ series.

    The y axis starts at 0 (or lower if a value is negative) and reaches `y_max` (e.g. 100 for a rate in %)
    or the largest value, whichever is higher, in 4–5 round ticks.
    """
    periods = [str(label) for label in labels]
    names = [str(name) for name, _ in series]
    table = [[_finite(v) for v in values] for _, values in series]
    for name, values in zip(names, table, strict=True):
        if len(values) != len(periods):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(periods)} periods")
    present = [v for values in table for v in values if v is not None]
    if not periods or not present:
        return _empty(title)
    palette = _series_colors(names, None)
    high = max(max(present), y_max if y_max is not None else max(present))
    ticks = nice_ticks(min(0.0, min(present)), high)
    suffix = _tick_suffix(unit)
    legend, legend_height = (_legend(list(zip(names, palette, strict=True)), _top() - 6, lines=True)
                             if len(names) > 1 else ([], 0.0))
    caption_height = 16.0 if unit and not suffix else 0.0
    plot_top = _top() - 6 + legend_height + caption_height + 12
    plot_height = 200.0
    left = PAD + max(text_width(ticks.label(v) + suffix, SMALL_SIZE) for v in ticks.values) + 8
    right = WIDTH - PAD
    inset = 16.0
    slot = (right - left - 2 * inset) / max(len(periods) - 1, 1)
    xs = ([left + (right - left) / 2] if len(periods) == 1
          else [left + inset + i * slot for i in range(len(periods))])

    def y_of(value: float) -> float:
        return plot_top + plot_height * (1 - (value - ticks.low) / (ticks.high - ticks.low))

    body = legend + _unit_caption(unit, PAD, plot_top - 8) + _y_axis(ticks, left, right, y_of, suffix)
    markers: list[str] = []
    for index, (name, values, color) in enumerate(zip(names, table, palette, strict=True)):
        line, points = _series_line(name, periods, values, xs, y_of, color, _SHAPES[index % len(_SHAPES)], unit)
        body.extend(line)
        markers.extend(points)
    base = y_of(ticks.low)
    body.append(f'<line class="dbc-axis" x1="{_n(left)}" x2="{_n(right)}" y1="{_n(base)}" y2="{_n(base)}"/>')
    axis_labels, axis_height = _x_labels(periods, xs, slot if len(periods) > 1 else right - left, base)
    body.extend(axis_labels)
    body.extend(markers)  # on top of every line, so no series hides another's points
    desc = "；".join(f"{name}：" + "，".join(f"{p} {'无数据' if v is None else format_value(v) + unit}"
                                           for p, v in zip(periods, values, strict=True))
                    for name, values in zip(names, table, strict=True))
    return _document(title, desc, base + axis_height + PAD, body)


def _series_line(name: str, periods: Sequence[str], values: Sequence[float | None], xs: Sequence[float],
                 y_of: Callable[[float], float], color: str, shape: str, unit: str) -> tuple[list[str], list[str]]:
    """One series: a path broken at every None (M starts a new run), and a marker per value."""
    commands: list[str] = []
    markers: list[str] = []
    previous: float | None = None
    for period, value, x in zip(periods, values, xs, strict=True):
        if value is not None:
            y = y_of(value)
            commands.append(f"{'L' if previous is not None else 'M'}{_n(x)} {_n(y)}")
            markers.append(_marker(shape, x, y, color, tooltip=f"{period} · {name}：{format_value(value)}{unit}"))
        previous = value
    drawn = any(c.startswith("L") for c in commands)
    line = [f'<path class="dbc-line" stroke="{_esc(color)}" d="{" ".join(commands)}"/>'] if drawn else []
    return line, markers
