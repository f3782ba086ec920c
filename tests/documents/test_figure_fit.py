"""A chart that does not fit under the text is scaled down to the room its page has left, within a limit, as a
typesetter would, instead of going with its caption to the next page and leaving half a page empty (the Q1 2026
quarterly report's page 2 did); below the limit it still goes over whole, its caption with it."""
from __future__ import annotations

from workflows.documents.pdf_layout import Item, paginate


def _flow(lines: int, figure: float, least: float) -> list[Item]:
    text = [Item(10.0, lambda pdf, top: None) for _ in range(lines)]
    chart = Item(figure, lambda pdf, top: None, keep_with_next=True, least=least)
    caption = Item(8.0, lambda pdf, top: None)
    return [*text, chart, caption, Item(10.0, lambda pdf, top: None)]


def _where(pages, item) -> tuple[int, float]:
    return next((n, top) for n, page in enumerate(pages) for it, top in page if it is item)


def test_a_chart_is_scaled_down_to_stay_under_the_text_with_its_caption():
    items = _flow(12, figure=100.0, least=70.0)  # 200 mm page: 120 of text, 80 left, 8 of them for the caption
    chart, caption, after = items[12:]
    pages = paginate(items, first_top=0.0, top=0.0, bottom=200.0)
    assert _where(pages, chart) == (0, 120.0) and chart.height == 72.0
    assert _where(pages, caption) == (0, 192.0) and _where(pages, after) == (1, 0.0)


def test_a_chart_that_would_be_too_small_goes_to_the_next_page_whole():
    items = _flow(13, figure=100.0, least=70.0)  # 70 mm left: less than the 70 + 8 the chart and caption need
    chart, caption = items[13], items[14]
    pages = paginate(items, first_top=0.0, top=0.0, bottom=200.0)
    assert _where(pages, chart) == (1, 0.0) and chart.height == 100.0 and _where(pages, caption) == (1, 100.0)
