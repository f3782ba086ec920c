"""Print the positions the layout test measured (test-artifacts/gbt9704-layout.json) as a table, in mm from the
page's top edge (page number: its 一字线's centre line and left edge), with render times:

    python -m tests.documents.print_layout
"""
from __future__ import annotations

import json

from tests.documents.helpers import ARTIFACTS

COLUMNS = ("mark", "number", "title", "first_body_line", "page_number_centre", "page_number_x", "imprint_lines",
           "pages", "render_seconds", "render_cpu_seconds")


def main() -> None:
    measured = json.loads((ARTIFACTS / "gbt9704-layout.json").read_text())
    print("| kind | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for key, row in sorted(measured.items()):
        cells = [", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in (row.get(c) for c in COLUMNS)]
        print(f"| {key} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
