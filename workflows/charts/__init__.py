"""Server-drawn SVG charts for the pages (dashboard, leadership trends, the card board; no JavaScript) and,
rasterised to PNG by `workflows.documents.charts`, for the 专报. Neither Flask nor a rendering library here.

Every function returns a complete, self-contained `<svg>` string that is safe to mark as `Markup`: all text
(titles, labels, series names, units, colours) is XML-escaped here. Each chart carries `role="img"`, an
`aria-label`, a `<title>` and a `<desc>` summarising the numbers for screen readers, a `viewBox` with
`width="100%"` so it shrinks on a phone (it never grows past its natural width), and an inline `<style>`
whose selectors are all prefixed `.dbc` so several charts can share one page. Output is deterministic:
the same input always gives byte-identical SVG.
"""
from workflows.charts.bars import bar_chart
from workflows.charts.columns import column_chart
from workflows.charts.lines import line_chart
from workflows.charts.svg import format_value, nice_ticks, text_width, truncate

__all__ = ["bar_chart", "column_chart", "format_value", "line_chart", "nice_ticks", "text_width", "truncate"]
