"""Line breaking for Chinese official documents (避头尾): no line starts with a closing mark (。，、；：？！）》」…)
and none ends with an opening one (（《「“); short runs of Latin letters and digits (12345, 10:00, 2026) are not split;
a long one (an order number) fills the rest of a line rather than leaving a gap. Pure: the caller measures text with its font."""
from __future__ import annotations

import re
from collections.abc import Callable

NO_LINE_START = set("。，、；：？！）》」』”’〕】%…—·,.;:?!)]}")
NO_LINE_END = set("（《「『“‘〔【([{")
LONG_RUN = 8  # runs of letters and digits longer than this (order numbers) may be cut; shorter ones (12345, 10:00) not
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:/%\-]*|.", re.S)


def break_lines(text: str, width_of: Callable[[str], float], *, width: float, first_width: float | None = None
                ) -> list[str]:
    """Greedy lines of at most `width` (the first at most `first_width`). A closing mark that would start a line
    stays at the end of the previous one, which may then run over by that mark (the renderer squeezes it)."""
    lines: list[str] = []
    current = ""
    limit = first_width if first_width is not None else width
    tokens = _TOKEN.findall(text)
    tokens.reverse()
    while tokens:
        token = tokens.pop()
        if token == "\n":
            lines.append(current)
            current, limit = "", width
        elif width_of(current + token) <= limit or token in NO_LINE_START:
            current += token
        elif not current or len(token) > LONG_RUN or width_of(token) > width:  # a long run fills the line first
            cut = len(token) - 1
            while cut > 0 and width_of(current + token[:cut]) > limit:
                cut -= 1
            if cut == 0 and current:  # not even one more character fits here
                lines.append(current)
                current, limit = "", width
                tokens.append(token)
                continue
            lines.append(current + token[:max(cut, 1)])
            tokens.append(token[max(cut, 1):])
            current, limit = "", width
        else:
            carried = ""
            while current and current[-1] in NO_LINE_END:  # an opening mark goes down with what it opens
                carried, current = current[-1] + carried, current[:-1]
            lines.append(current)
            current, limit = carried, width
            tokens.append(token)
    if current or not lines:
        lines.append(current)
    return lines
