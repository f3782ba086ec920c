"""Label text without font metrics: names wrapped by character count and written as `<text>` elements.

A narrow character is `UNIT` px wide and a wide (CJK) one counts two; closing punctuation may hang at the end
of a full line rather than start the next one.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from html import escape

from web.diagram.geometry import Box, px

FONT = 12          # px, the label font size
LINE = 15          # px between baselines
UNIT = FONT * 0.55  # width of a narrow character; a wide (CJK) one counts two
_CLOSING = frozenset("，。、：；？！）》」』】〉,.;:?!)]}%")


def _char_units(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _units(text: str) -> int:
    return sum(_char_units(ch) for ch in text)


def _tokens(text: str) -> Iterator[str]:
    """Latin words stay whole; each wide character and each space is its own token."""
    word = ""
    for ch in text:
        if ch.isspace() or _char_units(ch) == 2:
            if word:
                yield word
                word = ""
            yield " " if ch.isspace() else ch
        else:
            word += ch
    if word:
        yield word


def wrap(text: str, width: float, max_lines: int) -> list[str]:
    """Break `text` into lines of at most `width` px (estimated), ellipsizing past `max_lines`."""
    limit = max(2, int(width / UNIT))
    lines = [line for paragraph in text.split("\n") for line in _wrap_paragraph(paragraph.strip(), limit)]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _units(last) + 1 > limit:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _wrap_paragraph(text: str, limit: int) -> list[str]:
    lines: list[str] = []
    line, used = "", 0
    for token in _tokens(text):
        size = _units(token)
        if token == " ":
            if line and used + 1 <= limit:
                line, used = line + " ", used + 1
            continue
        if used + size <= limit or (line and token[0] in _CLOSING and size <= 2):
            line, used = line + token, used + size
            continue
        if line.strip():
            lines.append(line.rstrip())
        while size > limit:  # one word longer than a line: cut it
            cut = _cut(token, limit)
            lines.append(token[:cut])
            token = token[cut:]
            size = _units(token)
        line, used = token, size
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _cut(token: str, limit: int) -> int:
    used = 0
    for i, ch in enumerate(token):
        used += _char_units(ch)
        if used > limit:
            return max(i, 1)
    return len(token)


def svg_text(lines: list[str], x: float, top: float, anchor: str = "middle", cls: str = "bpmn-label") -> str:
    """A `<text>` of one `<tspan>` per line, the first line's top at `top`."""
    spans = "".join(f'<tspan x="{px(x)}" y="{px(top + FONT - 1 + i * LINE)}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text class="{cls}" text-anchor="{anchor}">{spans}</text>'


def text_box(lines: list[str], x: float, top: float, anchor: str) -> Box:
    """The estimated box `svg_text(lines, x, top, anchor)` covers."""
    width = max((_units(line) for line in lines), default=0) * UNIT
    left = {"middle": x - width / 2, "start": x, "end": x - width}[anchor]
    return Box(left, top, width, len(lines) * LINE)
