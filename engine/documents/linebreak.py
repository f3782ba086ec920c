"""Line breaking for Chinese official documents. Pure: the caller measures text with its font.

- 避头尾: no line starts with a closing mark (。，、；：？！）》」…) and none ends with an opening one (（《「“).
- Identifiers never break: order numbers (GD202610220113), document numbers (揭热线督〔2026〕12号), dates and
  times (2026年10月22日10:30), figures (12.5%, 4份). One that does not fit goes down whole to the next line, and the
  line it leaves is spread (justified) by the renderer; only an identifier wider than a whole line is cut.
- Titles break only between the phrases they are built from, the lines as even as they can be (GB/T 9704
  §7.3.3: 词意完整, 排列对称, 梯形或菱形).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

NO_LINE_START = set("。，、；：？！）》」』”’〕】%…—·,.;:?!)]}")
NO_LINE_END = set("（《「『“‘〔【([{")
# one token each, never split: a 文号 with up to 4 characters of prefix, a date with its time, a Latin/digit run
_IDENTIFIER = (r"[\u4e00-\u9fff]{0,4}〔\d{4}〕\d+号"
               r"|(?:\d{4}年)?\d{1,2}月\d{1,2}日(?:\d{1,2}:\d{2})?"
               r"|\d{4}年(?:第[一二三四1-4]季度)?"
               r"|[A-Za-z0-9][A-Za-z0-9.:/%\-+]*[件份次条天个名]?")  # a count keeps its measure word (4份)
_TOKEN = re.compile(rf"{_IDENTIFIER}|.", re.S)
IDENTIFIER = re.compile(_IDENTIFIER)


def tokens(text: str) -> list[str]:
    """The text cut where a line may break (between characters, never inside an identifier)."""
    return _TOKEN.findall(text)


def break_lines(text: str, width_of: Callable[[str], float], *, width: float, first_width: float | None = None
                ) -> list[str]:
    """Greedy lines of at most `width` (the first at most `first_width`). A closing mark that would start a line
    stays at the end of the previous one, which may then run over by that mark (the renderer squeezes it)."""
    lines: list[str] = []
    current = ""
    limit = first_width if first_width is not None else width
    pending = tokens(text)
    pending.reverse()
    while pending:
        token = pending.pop()
        if token == "\n":
            lines.append(current)
            current, limit = "", width
        elif width_of(current + token) <= limit or token in NO_LINE_START:
            current += token
        elif width_of(token) > width or not current:  # wider than a whole line: only then is an identifier cut
            cut = len(token) - 1
            while cut > 1 and width_of(current + token[:cut]) > limit:
                cut -= 1
            if width_of(current + token[:cut]) > limit and current:
                lines.append(current)
                current, limit = "", width
                pending.append(token)
                continue
            lines.append(current + token[:cut])
            pending.append(token[cut:])
            current, limit = "", width
        else:
            carried = ""
            while current and current[-1] in NO_LINE_END:  # an opening mark goes down with what it opens
                carried, current = current[-1] + carried, current[:-1]
            lines.append(current)
            current, limit = carried, width
            pending.append(token)
    if current or not lines:
        lines.append(current)
    return lines


def balance_title(parts: Sequence[str], width_of: Callable[[str], float], *, width: float) -> list[str]:
    """A title's lines: breaks only between `parts` (its phrases), as few lines as fit, the widths as even as
    possible; a tie goes to the longer upper line (倒梯形). A phrase wider than the line falls back to
    `break_lines`."""
    parts = [p for p in parts if p]
    if not parts:
        return [""]
    if any(width_of(p) > width for p in parts):
        return break_lines("".join(parts), width_of, width=width)
    best: tuple[int, float, float, list[str]] | None = None

    def consider(lines: list[str]) -> None:
        nonlocal best
        widths = [width_of(line) for line in lines]
        if max(widths) > width:
            return
        key = (len(lines), max(widths) - min(widths), -widths[0], lines)
        if best is None or key[:3] < best[:3]:
            best = key

    n = len(parts)
    for count in range(1, min(n, 4) + 1):
        for cuts in _cut_sets(n, count - 1):
            bounds = (0, *cuts, n)
            consider(["".join(parts[a:b]) for a, b in zip(bounds, bounds[1:])])
        if best is not None:
            return best[3]
    return break_lines("".join(parts), width_of, width=width)


def _cut_sets(n: int, k: int, start: int = 1) -> list[tuple[int, ...]]:
    if k == 0:
        return [()]
    return [(i, *rest) for i in range(start, n - k + 1) for rest in _cut_sets(n, k - 1, i + 1)]
