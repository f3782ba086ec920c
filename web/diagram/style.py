"""How the drawing looks: the CSS scoped to `.bpmn-diagram`, the class names it targets, and the legend."""
from __future__ import annotations

from web.diagram.geometry import px

STYLE = """<style>
.bpmn-diagram{background:#fff}
.bpmn-diagram text{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
 font-size:12px;fill:#2f3337}
.bpmn-diagram .bpmn-title{font-weight:600}
.bpmn-diagram .shape{fill:#fff;stroke:#8a9099;stroke-width:1.5}
.bpmn-diagram .container>.shape{fill:#fafbfc}
.bpmn-diagram .pool>.shape,.bpmn-diagram .group-box,.bpmn-diagram .bracket{fill:none}
.bpmn-diagram .group-box{stroke-dasharray:10 4 2 4}
.bpmn-diagram .end-event>.shape{stroke-width:4}
.bpmn-diagram .non-interrupting>.shape{stroke-dasharray:5 3}
.bpmn-diagram .marker{fill:none;stroke:#5f6670;stroke-width:1.5;stroke-linejoin:round;stroke-linecap:round}
.bpmn-diagram .marker .fill{fill:#5f6670}
.bpmn-diagram .marker .knock{stroke:#fff}
.bpmn-diagram .gateway .marker{stroke-width:3.5}
.bpmn-diagram .flow-el .line{fill:none;stroke:#9aa0a6;stroke-width:1.5;stroke-linejoin:round}
.bpmn-diagram .flow-el .head{fill:#9aa0a6;stroke:none}
.bpmn-diagram .flow-el .tail{fill:#fff;stroke:#9aa0a6;stroke-width:1.5}
.bpmn-diagram .message-flow .line{stroke-dasharray:8 5}
.bpmn-diagram .message-flow .head{fill:#fff;stroke:#9aa0a6;stroke-width:1.5}
.bpmn-diagram .association .line,.bpmn-diagram [class*="data-"] .line{stroke-dasharray:2 4}
.bpmn-diagram .bpmn-flow-label{fill:#5f6670}
.bpmn-diagram .done .shape{stroke:#2e7d32;fill:#e8f5e9}
.bpmn-diagram .done .marker{stroke:#2e7d32}
.bpmn-diagram .done .marker .fill{fill:#2e7d32}
.bpmn-diagram .done.container>.shape{fill:#f6fbf6}
.bpmn-diagram .flow-el.done .line{stroke:#2e7d32;stroke-width:2.5}
.bpmn-diagram .flow-el.done .head{fill:#2e7d32;stroke:#2e7d32}
.bpmn-diagram .flow-el.done .tail{stroke:#2e7d32}
.bpmn-diagram .flow-el.done .bpmn-flow-label{fill:#2e7d32;font-weight:600}
.bpmn-diagram .current .shape{stroke:#ef6c00;fill:#fff3e0;stroke-width:4}
.bpmn-diagram .current .marker{stroke:#e65100}
.bpmn-diagram .current .marker .fill{fill:#e65100}
.bpmn-diagram .current.container>.shape{fill:#fffaf3;stroke-width:3}
.bpmn-diagram .current.end-event>.shape{stroke-width:5}
.bpmn-diagram .current>text{font-weight:600;fill:#bf360c}
.bpmn-diagram .shape.inner{fill:none;stroke-width:1.5}
</style>"""


def css_class(name: str) -> str:
    """A BPMN kind as the CSS class the style targets: `endEvent` → `end-event`."""
    return "".join("-" + ch.lower() if ch.isupper() else ch for ch in name)


def legend_group(x: float, y: float) -> str:
    """The 完成 / 当前 / 未到达 swatches as a `<g>` whose top left is at (x, y)."""
    items = [("done", "完成"), ("current", "当前"), ("", "未到达")]
    out = ['<g class="legend">']
    for i, (state, text) in enumerate(items):
        left = x + i * 86
        out.append(f'<g class="el legend-item {state}"><rect class="shape" x="{px(left + 2)}" y="{px(y + 6)}" '
                   f'width="22" height="14" rx="3"/></g>'
                   f'<text class="bpmn-label" x="{px(left + 32)}" y="{px(y + 18)}">{text}</text>')
    out.append("</g>")
    return "".join(out)


def legend_svg() -> str:
    """A small standalone legend: 完成 / 当前 / 未到达."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" role="img" width="260" height="28" '
            f'viewBox="0 0 260 28" aria-label="图例：完成、当前、未到达"><title>图例</title>{STYLE}'
            f"{legend_group(0, 0)}</svg>")
