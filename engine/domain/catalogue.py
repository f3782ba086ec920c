"""The dispatch catalogue (派单目录, 国办函〔2025〕66号): which unit usually handles a matter. Entries are tried in
the file's order; the first whose keywords appear in the order's title or content (and whose categories, if it
names any, include the order's) suggests its unit. An entry without keywords matches on the category alone."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueEntry:
    topic: str
    unit: str
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # empty: every category

    def matches(self, text: str, category: str) -> bool:
        if self.categories and category not in self.categories:
            return False
        return not self.keywords or any(k in text for k in self.keywords)

    def why(self, text: str) -> str:
        hits = [k for k in self.keywords if k in text]
        return f"派单目录「{self.topic}」" + (f"（关键词：{'、'.join(hits)}）" if hits else "（按诉求类型）")


@dataclass(frozen=True)
class DispatchCatalogue:
    entries: tuple[CatalogueEntry, ...] = ()

    def suggest(self, *, title: str, category: str, content: str | None = None,
                exclude: Iterable[str] = ()) -> CatalogueEntry | None:
        """The first entry that fits the order, skipping units in `exclude` (the unit that objected)."""
        text = f"{title}\n{content or ''}"
        skipped = set(exclude)
        return next((e for e in self.entries if e.unit not in skipped and e.matches(text, category)), None)
