"""What the work-order list is asked for: filters, search text, sort and page, read from and written back to a
query string, each value checked (a bad one is refused in Chinese and English)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from engine.domain.errors import InvalidInput
from engine.domain.rules import CATEGORIES, URGENCIES
from engine.domain.work_order import STATUS_LABELS, Status
from engine.persistence.tables import work_orders

# The unit still owes a reply in these statuses: a reply stops the escalation ladder (bpmn/README.md), so only
# these can be overdue.
OPEN_STATUSES = (Status.DISPATCHED, Status.SIGNED)
CARD_CHOICES = ("yellow", "red", "any")
SORTS = ("dispatched_at", "deadline_at", "number", "unit", "status")
DEFAULT_SORT = "dispatched_at"
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 200
MAX_PAGE = 100_000
MAX_QUERY_LENGTH = 100
MAX_UNIT_CODE_LENGTH = 32  # work_orders.unit_code

# query-string name -> OrderFilter field (the pages' links, forms and the export link use these names)
ARG_NAMES = {"unit": "unit_code", "status": "status", "category": "category", "urgency": "urgency",
             "overdue": "overdue", "card": "card", "instructed": "instructed", "returned": "returned", "q": "q",
             "open": "open", "due_by": "due_by", "since": "since",
             "sort": "sort", "dir": "descending", "page": "page", "per_page": "per_page"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

ORDER_COLUMNS = (work_orders.c.number, work_orders.c.title, work_orders.c.unit_code, work_orders.c.category,
                  work_orders.c.urgency, work_orders.c.source, work_orders.c.status, work_orders.c.dispatched_at,
                  work_orders.c.deadline_at, work_orders.c.deadline_provisional, work_orders.c.signed_at,
                  work_orders.c.replied_at, work_orders.c.closed_at, work_orders.c.returned_at)
# sort name -> leading sort columns; the order number always comes last so every order has one place
SORT_COLUMNS: dict[str, tuple[sa.Column[Any], ...]] = {
    "dispatched_at": (work_orders.c.dispatched_at,),
    "deadline_at": (work_orders.c.deadline_at,),
    "number": (),
    "unit": (work_orders.c.unit_code, work_orders.c.dispatched_at),
    "status": (work_orders.c.status, work_orders.c.dispatched_at),
}


def _bad(chinese: str, english: str) -> InvalidInput:
    return InvalidInput(f"{chinese} / {english}")


@dataclass(frozen=True)
class OrderFilter:
    """What the list shows. Every field is checked on construction (InvalidInput), so a filter is always usable."""

    unit_code: str | None = None
    status: str | None = None
    category: str | None = None
    urgency: str | None = None
    overdue: bool | None = None  # open (待签收/办理中), not returned, and past its deadline
    card: str | None = None  # yellow | red | any: has an active (not withdrawn) card of that colour
    instructed: bool | None = None  # has a leadership instruction (领导批示)
    returned: bool | None = None  # returned by the unit (退单) and not re-dispatched yet
    q: str | None = None  # number prefix (or the whole number), or a piece of the title
    open: bool | None = None  # 在办: 待签收 or 办理中
    due_by: date | None = None  # 临期: open, not returned, not yet overdue, deadline by the end of this day
    since: date | None = None  # dispatched on or after this day (今日新增: today)
    sort: str = DEFAULT_SORT
    descending: bool = True
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        self._check_choices()
        self._check_sizes()

    def _check_choices(self) -> None:
        choices: tuple[tuple[str, object, Sequence[str], str], ...] = (
            ("status", self.status, tuple(STATUS_LABELS), "状态"), ("category", self.category, CATEGORIES, "类别"),
            ("urgency", self.urgency, URGENCIES, "紧急程度"), ("card", self.card, CARD_CHOICES, "红黄牌"),
            ("sort", self.sort, SORTS, "排序"))
        for name, value, allowed, label in choices:
            if value is not None and value not in allowed:
                raise _bad(f"未知的{label}：{value!r}，可选 {'/'.join(allowed)}",
                           f"unknown {name} {value!r}, expected one of {'/'.join(allowed)}")
        for name in ("due_by", "since"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise _bad(f"{name} 应为日期", f"{name} must be a date, got {value!r}")
        for name in ("overdue", "instructed", "returned", "open", "descending"):
            value = getattr(self, name)
            if (value is not None or name == "descending") and not isinstance(value, bool):
                raise _bad(f"{name} 只能是是或否", f"{name} must be true or false, got {value!r}")

    def _check_sizes(self) -> None:
        if self.unit_code is not None and not 0 < len(self.unit_code) <= MAX_UNIT_CODE_LENGTH:
            raise _bad(f"单位代码应为 1 至 {MAX_UNIT_CODE_LENGTH} 个字符",
                       f"unit code must have 1 to {MAX_UNIT_CODE_LENGTH} characters")
        if self.q is not None and not 0 < len(self.q) <= MAX_QUERY_LENGTH:
            raise _bad(f"搜索内容应为 1 至 {MAX_QUERY_LENGTH} 个字符",
                       f"the search text must have 1 to {MAX_QUERY_LENGTH} characters")
        for name, value in (("unit", self.unit_code), ("q", self.q)):
            if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
                raise _bad(f"{name} 含有控制字符", f"{name} contains control characters")
        if not _is_int(self.page) or not 1 <= self.page <= MAX_PAGE:
            raise _bad(f"页码应为 1 至 {MAX_PAGE} 的整数", f"page must be a whole number from 1 to {MAX_PAGE}")
        if not _is_int(self.per_page) or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise _bad(f"每页条数应为 1 至 {MAX_PER_PAGE} 的整数",
                       f"per_page must be a whole number from 1 to {MAX_PER_PAGE}")

    # ------------------------------------------------------------------ query strings
    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> OrderFilter:
        """The filter a query string asks for. Empty values mean "not filtered" (a form's blank choice);
        unknown names are ignored; bad values raise InvalidInput with a Chinese and English message."""
        values: dict[str, Any] = {}
        for arg, name in ARG_NAMES.items():
            raw = args.get(arg)
            text = raw.strip() if isinstance(raw, str) else None
            if text:
                values[name] = _parse_arg(arg, name, text)
        return cls(**values)

    def to_args(self) -> dict[str, str]:
        """The query string of this filter, only the values that differ from the defaults."""
        defaults = OrderFilter()
        args: dict[str, str] = {}
        for arg, name in ARG_NAMES.items():
            value = getattr(self, name)
            if value == getattr(defaults, name):
                continue
            if name == "descending":
                args[arg] = "desc" if value else "asc"
            elif isinstance(value, bool):
                args[arg] = "1" if value else "0"
            elif isinstance(value, date):
                args[arg] = value.isoformat()
            else:
                args[arg] = str(value)
        return args

    # ------------------------------------------------------------------ links
    def at_page(self, page: int) -> OrderFilter:
        """The same filter on another page (the pagination links)."""
        return replace(self, page=page)

    def sorted_by(self, sort: str) -> OrderFilter:
        """The link of a sortable column header: the same column again flips the direction; back to page 1."""
        descending = not self.descending if sort == self.sort else True
        return replace(self, sort=sort, descending=descending, page=1)

    def without_paging(self) -> OrderFilter:
        """The filter of the export link: everything but the page."""
        return replace(self, page=1, per_page=DEFAULT_PER_PAGE)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_arg(arg: str, name: str, text: str) -> Any:
    """One query-string value as the field's type (choices are checked by OrderFilter itself)."""
    if name == "descending":
        if text.lower() not in ("asc", "desc"):
            raise _bad(f"排序方向只能是 asc 或 desc：{text!r}", f"dir must be asc or desc, got {text!r}")
        return text.lower() == "desc"
    if name in ("due_by", "since"):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _bad(f"{arg} 应为日期，如 2026-06-01：{text[:20]!r}",
                       f"{arg} must be a date like 2026-06-01, got {text[:20]!r}") from None
    if name in ("overdue", "instructed", "returned", "open"):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise _bad(f"{arg} 只能是 1 或 0：{text[:20]!r}", f"{arg} must be 1 or 0 (true/false), got {text[:20]!r}")
    if name in ("page", "per_page"):
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            raise _bad(f"{arg} 应为正整数：{text[:20]!r}", f"{arg} must be a whole number, got {text[:20]!r}")
        return int(text)
    return text
