"""Text cells for spreadsheets: every CSV Duban writes (the web's order list, the API's export) passes its text
through `formula_safe`, so a title like `=HYPERLINK("http://…")` is shown as text when opened in Excel or WPS
instead of being run as a formula (CSV injection)."""
from __future__ import annotations

# a spreadsheet may run a cell that starts with one of these as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """The text behind a quote (') when a spreadsheet would take it for a formula; otherwise unchanged."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
