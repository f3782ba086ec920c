"""The pieces every chart is made of: text measure, escaping, ticks, legend, axes, the <svg> document."""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

WIDTH = 520  # viewBox width; the chart is drawn at most this wide and scales down with its container
PAD = 12
TITLE_SIZE = 16
LABEL_SIZE = 14
SMALL_SIZE = 12
VALUE_SIZE = 11  # a value written over its column
EMPTY_TEXT = "暂无数据"
PALETTE: tuple[str, ...] = ("#1f5f99", "#d97706", "#2e7d32", "#9b1c1c", "#6a1b9a", "#00838f", "#6d4c41", "#c2185b")
SERIES_COLORS: dict[str, str] = {  # the card colours used elsewhere in the UI (see base.html)
    "黄牌": "#f5c518", "红牌": "#c62828", "督办函": "#37474f", "专报": "#6a1b9a",
}
SHAPES = ("circle", "square", "diamond", "triangle")
_STYLE = (
    ".dbc text{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;"
    f"fill:#333;font-size:{LABEL_SIZE}px}}"
    f".dbc .dbc-title{{font-size:{TITLE_SIZE}px;font-weight:bold;fill:#222}}"
    f".dbc .dbc-small{{font-size:{SMALL_SIZE}px;fill:#555}}"
    f".dbc .dbc-value{{font-size:{VALUE_SIZE}px;fill:#222}}"
    ".dbc .dbc-empty{fill:#888}.dbc .dbc-strong{font-weight:bold;fill:#9b1c1c}"
    ".dbc .dbc-bg{fill:#fff}.dbc .dbc-grid{stroke:#e4e4e4;stroke-width:1}.dbc .dbc-axis{stroke:#999;stroke-width:1}"
    ".dbc .dbc-bar{fill:#3b6ea5}.dbc .dbc-bar.dbc-hl{fill:#c62828}"
    ".dbc .dbc-line{fill:none;stroke-width:2.2;stroke-linejoin:round;stroke-linecap:round}"
)
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- text ------------------------------------------------------------------------------------------

def esc(text: object) -> str:
    """XML-escape text for both element content and quoted attributes; drop characters XML forbids."""
    clean = _INVALID_XML.sub("", str(text))
    return (clean.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def _char_width(char: str) -> float:
    """Advance of one character in ems, at least Noto Sans CJK SC's (the charts' font; bold digits 0.59): CJK,
    full-width forms, … and · are square; Latin letters and signs are proportional."""
    if ord(char) >= 0x2E80 or char in "…·":
        return 1.0
    if char in "%@mwMW":
        return 0.95
    if char in " .,:;'|!il":
        return 0.33
    if char.isdigit():
        return 0.6
    return 0.76 if char.isupper() else 0.68


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


def num(value: float) -> str:
    """A coordinate with at most one decimal (keeps the markup small and deterministic)."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_value(value: float, decimals: int = 2) -> str:
    """A data value for people: no trailing zeros, at most `decimals` decimals."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def finite(value: float | None) -> float | None:
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

def document(title: str, desc: str, height: float, body: list[str], *, titled: bool = True) -> str:
    """Wrap chart `body` elements in the accessible, scalable <svg> shell; the title is drawn when `titled`
    (a document prints its own caption under the picture instead) and is always the accessible name."""
    visible = (f'<text class="dbc-title" x="{PAD}" y="{PAD + TITLE_SIZE}">'
               f"{esc(truncate(title, WIDTH - 2 * PAD, TITLE_SIZE))}</text>") if titled else ""
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="dbc" role="img" aria-label="{esc(title)}" '
            f'viewBox="0 0 {WIDTH} {num(height)}" width="100%" preserveAspectRatio="xMidYMid meet" '
            f'style="display:block;max-width:{WIDTH}px">'
            f"<title>{esc(title)}</title><desc>{esc(desc)}</desc><style>{_STYLE}</style>"
            f'<rect class="dbc-bg" width="{WIDTH}" height="{num(height)}" rx="4"/>{visible}')
    return head + "".join(body) + "</svg>"


def top(titled: bool = True) -> float:
    """First y below the visible title (or the top margin of an untitled chart)."""
    return PAD + TITLE_SIZE + 14 if titled else PAD + 6


def empty_chart(title: str, *, titled: bool = True) -> str:
    """A chart frame that says there is nothing to show."""
    height = top(titled) + 70
    body = [f'<text class="dbc-empty" x="{WIDTH / 2:g}" y="{num(top(titled) + 36)}" text-anchor="middle">'
            f"{EMPTY_TEXT}</text>"]
    return document(title, EMPTY_TEXT, height, body, titled=titled)


def table_of(categories: Sequence[object], series: Sequence[tuple[str, Sequence[float | None]]],
             what: str = "categories") -> tuple[list[str], list[str], list[list[float | None]]]:
    """(labels, series names, values per series) with non-finite values as None; ValueError when a series
    does not have one value per category."""
    labels = [str(c) for c in categories]
    names = [str(name) for name, _ in series]
    table = [[finite(v) for v in values] for _, values in series]
    for name, values in zip(names, table, strict=True):
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} {what}")
    return labels, names, table


def counts(table: Sequence[Sequence[float | None]]) -> list[list[float]]:
    """Bar heights: a missing or negative value draws as 0."""
    return [[max(v or 0.0, 0.0) for v in values] for values in table]


def series_colors(names: Sequence[str], colors: Mapping[str, str] | None) -> list[str]:
    """Caller's colour, else the UI's card colour for that name, else the palette in order."""
    chosen = colors or {}
    return [chosen.get(name) or SERIES_COLORS.get(name) or PALETTE[i % len(PALETTE)] for i, name in enumerate(names)]


def marker(shape: str, x: float, y: float, color: str, size: float = 4.0, tooltip: str = "") -> str:
    """A point marker; the shape varies by series so lines differ by more than colour."""
    tip = f"<title>{esc(tooltip)}</title>" if tooltip else ""
    fill = f'fill="{esc(color)}" stroke="#fff" stroke-width="1"'
    if shape == "square":
        return f'<rect x="{num(x - size)}" y="{num(y - size)}" width="{num(2 * size)}" height="{num(2 * size)}" {fill}>{tip}</rect>'
    if shape in ("diamond", "triangle"):
        s = size * 1.3
        corners = ([(x, y - s), (x + s, y), (x, y + s), (x - s, y)] if shape == "diamond"
                   else [(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)])
        points = " ".join(f"{num(px)},{num(py)}" for px, py in corners)
        return f'<polygon points="{points}" {fill}>{tip}</polygon>'
    return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(size)}" {fill}>{tip}</circle>'


def legend(entries: Sequence[tuple[str, str]], y: float, *, lines: bool = False) -> tuple[list[str], float]:
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
            parts.append(f'<line x1="{num(x)}" x2="{num(x + 18)}" y1="{num(cy)}" y2="{num(cy)}" '
                         f'stroke="{esc(color)}" stroke-width="2.2"/>')
            parts.append(marker(SHAPES[index % len(SHAPES)], x + 9, cy, color, 3.5))
        else:
            parts.append(f'<rect x="{num(x + 2)}" y="{num(cy - 6)}" width="12" height="12" rx="2" fill="{esc(color)}"/>')
        parts.append(f'<text class="dbc-small" x="{num(x + 22)}" y="{num(cy + 4)}">{esc(label)}</text>')
        x += width
    return parts, (row + 1) * row_height + 4 if entries else 0.0


def y_axis(ticks: Ticks, left: float, right: float, y_of: Callable[[float], float], unit: str) -> list[str]:
    """Horizontal grid lines with tick labels right-aligned left of the plot."""
    parts = []
    for value in ticks.values:
        y = y_of(value)
        parts.append(f'<line class="dbc-grid" x1="{num(left)}" x2="{num(right)}" y1="{num(y)}" y2="{num(y)}"/>')
        parts.append(f'<text class="dbc-small" x="{num(left - 6)}" y="{num(y + 4)}" text-anchor="end">'
                     f"{esc(ticks.label(value) + unit)}</text>")
    return parts


def tick_suffix(unit: str) -> str:
    """% goes on every tick label (0%…100%); any other unit (件, 工作日) is named once over the axis, 单位：件."""
    return unit if unit == "%" else ""


def unit_caption(unit: str, x: float, y: float) -> list[str]:
    if not unit or tick_suffix(unit):
        return []
    return [f'<text class="dbc-small" x="{num(x)}" y="{num(y)}">单位：{esc(unit)}</text>']


def x_labels(labels: Sequence[str], centers: Sequence[float], slot: float, y: float) -> tuple[list[str], float]:
    """Category labels under the plot: level if they fit, slanted if there is room, else every k-th one."""
    need = max(text_width(label, SMALL_SIZE) for label in labels) + 4
    parts: list[str] = []
    if need <= slot and all(text_width(label, SMALL_SIZE) <= _centred_room(x) for label, x in zip(labels, centers)):
        for label, x in zip(labels, centers, strict=True):
            parts.append(f'<text class="dbc-small" x="{num(x)}" y="{num(y + SMALL_SIZE + 4)}" text-anchor="middle">'
                         f"{esc(label)}</text>")
        return parts, SMALL_SIZE + 10
    if slot * math.sin(math.radians(40)) >= SMALL_SIZE + 1 and len(labels) <= 24:  # slanted lines 1 em apart
        longest, slant = 0.0, math.cos(math.radians(40))
        for label, x in zip(labels, centers, strict=True):
            short = truncate(label, min(96.0, (x + 4 - PAD) / slant), SMALL_SIZE)  # never past the left edge
            longest = max(longest, text_width(short, SMALL_SIZE))
            ty = y + SMALL_SIZE
            parts.append(f'<text class="dbc-small" x="{num(x + 4)}" y="{num(ty)}" text-anchor="end" '
                         f'transform="rotate(-40 {num(x + 4)} {num(ty)})">{esc(short)}</text>')
        return parts, longest * math.sin(math.radians(40)) + SMALL_SIZE + 10
    every = math.ceil(need / slot)
    for index, (label, x) in enumerate(zip(labels, centers, strict=True)):
        if index % every == 0:
            short = truncate(label, min(every * slot - 6, _centred_room(x)), SMALL_SIZE)
            parts.append(f'<text class="dbc-small" x="{num(x)}" y="{num(y + SMALL_SIZE + 4)}" text-anchor="middle">'
                         f"{esc(short)}</text>")
    return parts, SMALL_SIZE + 10


def _centred_room(x: float) -> float:
    """The widest text centred on `x` that stays inside the picture."""
    return 2 * min(x - 2, WIDTH - 2 - x)
