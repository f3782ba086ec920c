"""Server-drawn SVG charts for the dashboard, leadership trends and the card board (no JavaScript).

Every function returns a complete, self-contained `<svg>` string that is safe to mark as `Markup`: all text
(titles, labels, series names, units, colours) is XML-escaped here. Each chart carries `role="img"`, an
`aria-label`, a `<title>` and a `<desc>` summarising the numbers for screen readers, a `viewBox` with
`width="100%"` so it shrinks on a phone (it never grows past its natural width), and an inline `<style>`
whose selectors are all prefixed `.dbc` so several charts can share one page. Output is deterministic:
the same input always gives byte-identical SVG.
"""
from web.charts.bars import bar_chart, stacked_bar_chart
from web.charts.lines import line_chart
from web.charts.svg import format_value, nice_ticks, text_width, truncate

__all__ = ["bar_chart", "format_value", "line_chart", "nice_ticks", "stacked_bar_chart", "text_width", "truncate"]
