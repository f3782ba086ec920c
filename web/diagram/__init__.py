"""Server-side SVG drawings of the BPMN processes, with a work order's progress highlighted.

The layout comes from the file's diagram interchange (BPMNDI): every `bpmndi:BPMNShape` gives a
bounds box and every `bpmndi:BPMNEdge` its waypoints, so nothing is laid out here. Parsing and
drawing the static parts is done once per (sha256 of the file, process id) and cached; a request
only adds the highlight classes:

- every drawn element is a `<g data-id="<bpmn id>">` with class `done` when the instance completed
  it and `current` when it waits there (both when a loop passed it and waits there again);
- a flow is `done` when the instance went along it: given `taken` (pairs of element ids, see
  `engine.runtime.progress.StepProgress.flows`) exactly those; otherwise when its source is
  completed and its target is completed or current.

Arrowheads are drawn as polygons, not `<marker>`s, so several diagrams can sit in one HTML page
without id clashes and the highlight CSS colours them. The `<style>` is scoped to `.bpmn-diagram`.
Text has no font metrics here, so names are wrapped by character count, a CJK character counting
as two narrow ones.

The package: `parsing` reads the plane into `model` nodes and edges; `shapes` and `edges` draw them with
`text` (wrapping), `placement` (labels without a BPMNLabel) and `geometry`; `render` caches the drawing and
adds the highlight; `style` holds the CSS and the legend.
"""
from __future__ import annotations

from web.diagram.render import cached_drawing as _drawing
from web.diagram.render import readable_width, render_svg
from web.diagram.style import legend_svg
from web.diagram.text import UNIT, wrap

# `_drawing` is the parse-and-draw cache; tests/unit/test_diagram.py reads its cache_info().
__all__ = ["UNIT", "_drawing", "legend_svg", "readable_width", "render_svg", "wrap"]
