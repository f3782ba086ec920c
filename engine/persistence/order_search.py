"""The work-order list: filters, text search, sort and pages for the supervisor's list, a unit's list and the export.

Fast on 100,000 orders on SQLite and PostgreSQL because nothing per order runs outside the page: a COUNT, one query
for the page's rows from `work_orders` alone (filters and sorts are indexed, migration 0007), then one query each
for the unit names, active cards, leadership instructions and next timer of just those rows. The count also picks
how the page is read (see _Where). The export walks the same order in keyset batches, one batch in memory.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from engine.domain.errors import InvalidInput
from engine.domain.rules import CATEGORIES, URGENCIES
from engine.domain.work_order import STATUS_LABELS, Status
from engine.persistence.account_tables import cards
from engine.persistence.tables import handling_units, instructions, work_orders, workflow_instances

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
             "sort": "sort", "dir": "descending", "page": "page", "per_page": "per_page"}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")

_ORDER_COLUMNS = (work_orders.c.number, work_orders.c.title, work_orders.c.unit_code, work_orders.c.category,
                  work_orders.c.urgency, work_orders.c.source, work_orders.c.status, work_orders.c.dispatched_at,
                  work_orders.c.deadline_at, work_orders.c.deadline_provisional, work_orders.c.signed_at,
                  work_orders.c.replied_at, work_orders.c.closed_at, work_orders.c.returned_at)
# sort name -> leading sort columns; the order number always comes last so every order has one place
_SORT_COLUMNS: dict[str, tuple[sa.Column[Any], ...]] = {
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
        for name in ("overdue", "instructed", "returned", "descending"):
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
    if name in ("overdue", "instructed", "returned"):
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


# ---------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class OrderPage:
    """One page of the list: the matching total, the page's rows, which page of how many."""

    total: int
    rows: list[dict[str, Any]]
    page: int
    pages: int
    filter: OrderFilter = field(default_factory=OrderFilter)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def search_orders(connection: sa.Connection, f: OrderFilter, *, now: datetime,
                  scope_unit: str | None = None) -> OrderPage:
    """The page of orders `f` asks for. `scope_unit` (a unit user's own unit) overrides the unit filter:
    asking for another unit gives an empty page, never that unit's orders."""
    where = _where(connection, f, now, scope_unit)
    if where is None:
        return OrderPage(total=0, rows=[], page=f.page, pages=1, filter=f)
    found = _small_result_page(connection, where, f) if where.scans else None
    if found is None:
        total = _count(connection, where)
        rows = _page(connection, where.for_page(total), f) if (f.page - 1) * f.per_page < total else []
    else:
        total, rows = found
    return OrderPage(total=total, rows=_decorate(connection, rows, now), page=f.page,
                     pages=max(1, math.ceil(total / f.per_page)), filter=f)


def _page(connection: sa.Connection, conditions: Sequence[ColumnElement[bool]], f: OrderFilter,
          *extra: ColumnElement[Any]) -> list[dict[str, Any]]:
    query = (sa.select(*_ORDER_COLUMNS, *extra).where(*conditions).order_by(*_order_by(f))
             .limit(f.per_page).offset((f.page - 1) * f.per_page))
    return [dict(r) for r in connection.execute(query).mappings()]


def _small_result_page(connection: sa.Connection, where: _Where, f: OrderFilter
                       ) -> tuple[int, list[dict[str, Any]]] | None:
    """For a text search, whose count is a scan: the page and the total from one scan, when at most SPARSE_ROWS
    orders match (the usual case). None when more match, or the page lies beyond the result: count instead."""
    matching = (sa.select(work_orders.c.number).where(*where.for_count()).limit(SPARSE_ROWS + 1)
                .correlate(None))
    rows = _page(connection, [work_orders.c.number.in_(matching)], f, sa.func.count().over().label("total_"))
    if not rows:
        return (0, []) if f.page == 1 else None
    total = rows[0]["total_"]
    for row in rows:
        del row["total_"]
    return (total, rows) if total <= SPARSE_ROWS else None


def count_orders(connection: sa.Connection, f: OrderFilter, *, now: datetime, scope_unit: str | None = None) -> int:
    """How many orders `f` matches (the page and sort aside): the export's size before it starts."""
    where = _where(connection, f, now, scope_unit)
    return 0 if where is None else _count(connection, where)


def iter_orders(connection: sa.Connection, f: OrderFilter, *, now: datetime, scope_unit: str | None = None,
                batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every order `f` matches (all pages, `f.page` ignored), in the list's order, `batch` at a time
    (keyset pagination: each batch continues after the last row of the one before)."""
    if batch < 1:
        raise ValueError("batch must be at least 1")
    where = _where(connection, f, now, scope_unit)
    if where is None:
        return
    conditions = where.for_page(_count(connection, where))
    keys = _sort_keys(f)
    nulls_low = _nulls_sort_low(connection)
    last: list[Any] | None = None
    while True:
        after = [] if last is None else [_after(keys, last, f.descending, nulls_low)]
        query = sa.select(*_ORDER_COLUMNS).where(*conditions, *after).order_by(*_order_by(f)).limit(batch)
        rows = [dict(r) for r in connection.execute(query).mappings()]
        yield from _decorate(connection, rows, now)
        if len(rows) < batch:
            return
        last = [rows[-1][column.name] for column in keys]


# ---------------------------------------------------------------------------------------- the query
# A result of at most this many orders is read from its matching numbers (then sorted); a bigger one by walking
# the sort's index and testing each order until the page is full, which a dense result does quickly.
SPARSE_ROWS = 3_000


@dataclass(frozen=True)
class _Where:
    """The filter as SQL, in the forms that suit each query (the same orders match every form).

    SQLite has no statistics to choose plans by (nothing runs ANALYZE). Without them it walks the sort's index
    testing every order even when a handful match, or starts from every active card to show 50 orders. So the
    count, needed anyway, decides for the selective conditions (cards, instructions, text, returned): a small
    result reads their matching numbers first ("number IN (...)"), then at most SPARSE_ROWS orders by primary key;
    a big one walks the sort's index testing each order, which fills a page quickly. Conditions on work_orders'
    own columns are left to the database: the (column, dispatched_at) indexes serve them."""

    plain: tuple[ColumnElement[bool], ...] = ()  # on work_orders' own columns: every query
    counting: tuple[ColumnElement[bool], ...] = ()  # the selective conditions as COUNT(*) reads them best
    sparse: tuple[ColumnElement[bool], ...] = ()  # ... as "number IN (matching numbers)"
    dense: tuple[ColumnElement[bool], ...] = ()  # ... as a test of each order
    scans: bool = False  # a text search: counting it reads a whole index

    def add(self, *, counting: ColumnElement[bool], sparse: ColumnElement[bool],
            dense: ColumnElement[bool]) -> _Where:
        return replace(self, counting=(*self.counting, counting), sparse=(*self.sparse, sparse),
                       dense=(*self.dense, dense))

    def for_count(self) -> tuple[ColumnElement[bool], ...]:
        return (*self.plain, *self.counting)

    def for_page(self, total: int) -> tuple[ColumnElement[bool], ...]:
        return (*self.plain, *(self.sparse if total <= SPARSE_ROWS else self.dense))


def _count(connection: sa.Connection, where: _Where) -> int:
    return connection.execute(sa.select(sa.func.count()).select_from(work_orders)
                              .where(*where.for_count())).scalar_one()


def _where(connection: sa.Connection, f: OrderFilter, now: datetime, scope_unit: str | None) -> _Where | None:
    """The WHERE clause of `f`; None when the scope rules out every order."""
    unit = f.unit_code
    if scope_unit is not None:
        if unit is not None and unit != scope_unit:
            return None
        unit = scope_unit
    wo = work_orders.c
    plain: list[ColumnElement[bool]] = []
    for column, value in ((wo.unit_code, unit), (wo.status, f.status), (wo.category, f.category),
                          (wo.urgency, f.urgency)):
        if value is not None:
            plain.append(column == value)
    if f.overdue is not None:
        late = sa.and_(wo.status.in_(OPEN_STATUSES), wo.returned_at.is_(None), wo.deadline_at < now)
        plain.append(late if f.overdue else sa.not_(late))
    if f.returned is False:
        plain.append(wo.returned_at.is_(None))
    where = _Where(plain=tuple(plain))
    if f.returned:
        where = _own(where, wo.returned_at.is_not(None))
    if f.card is not None:
        where = _member(where, _active_cards(f.card), cards.c.order_number, wanted=True)
    if f.instructed is not None:
        where = _member(where, sa.select(instructions.c.order_number), instructions.c.order_number,
                        wanted=f.instructed)
    if f.q is not None:
        where = replace(_own(where, _text_match(connection, f.q)), scans=True)
    return where


def _own(where: _Where, test: ColumnElement[bool]) -> _Where:
    """A selective test on work_orders' own columns, which an index holding the number answers.
    OFFSET 0 keeps PostgreSQL from flattening the sparse form back into a walk of the sort's index (its LIKE
    estimates are poor); SQLite reads such a subquery first anyway."""
    matching = sa.select(work_orders.c.number).where(test).offset(0).correlate(None)
    return where.add(counting=test, sparse=work_orders.c.number.in_(matching), dense=test)


def _member(where: _Where, numbers: sa.Select[Any], column: sa.Column[Any], *, wanted: bool) -> _Where:
    """The order is (wanted) or is not among `numbers`, a query of order numbers on `column`'s table."""
    number = work_orders.c.number
    listed = number.in_(numbers) if wanted else number.not_in(numbers)
    probe = sa.exists(numbers.where(column == number))
    return where.add(counting=listed, sparse=listed, dense=probe if wanted else ~probe)


def _active_cards(color: str) -> sa.Select[Any]:
    query = sa.select(cards.c.order_number).where(cards.c.withdrawn_at.is_(None))
    return query if color == "any" else query.where(cards.c.color == color)


def _text_match(connection: sa.Connection, q: str) -> ColumnElement[bool]:
    """The number starts with `q` (or is `q`), or the title contains it, the case of ASCII letters aside.

    SQLite's LIKE ignores the case of ASCII letters by itself. On PostgreSQL, lower(... COLLATE "C") folds
    exactly those (Chinese has no case) at half the cost of lower() under a locale and a quarter of ILIKE's;
    it is only applied when `q` has an ASCII letter. Both databases read the narrow (title, number) index."""
    number, title = work_orders.c.number, work_orders.c.title
    if connection.dialect.name == "postgresql" and any(c.isascii() and c.isalpha() for c in q):
        q = "".join(c.lower() if c.isascii() else c for c in q)
        return sa.or_(sa.func.lower(number.collate("C")).startswith(q, autoescape=True),
                      sa.func.lower(title.collate("C")).contains(q, autoescape=True))
    return sa.or_(number.startswith(q, autoescape=True), title.contains(q, autoescape=True))


def _sort_keys(f: OrderFilter) -> tuple[sa.Column[Any], ...]:
    return (*_SORT_COLUMNS[f.sort], work_orders.c.number)


def _order_by(f: OrderFilter) -> list[ColumnElement[Any]]:
    return [column.desc() if f.descending else column.asc() for column in _sort_keys(f)]


def _nulls_sort_low(connection: sa.Connection) -> bool:
    """Whether NULL comes before every value in ascending order (SQLite, MySQL) or after (PostgreSQL, Oracle)."""
    return connection.dialect.name not in ("postgresql", "oracle")


def _after(keys: Sequence[sa.Column[Any]], values: Sequence[Any], descending: bool,
           nulls_low: bool) -> ColumnElement[bool]:
    """Rows that come after `values` in the order of `keys`: the first differing key decides. A bound on the
    first key alone comes first, so the database seeks to the position instead of filtering the rows before it."""
    alternatives = []
    for i, (column, value) in enumerate(zip(keys, values)):
        same = [_same(c, v) for c, v in zip(keys[:i], values[:i])]
        alternatives.append(sa.and_(*same, _beyond(column, value, descending, nulls_low)))
    bound = _not_before(keys[0], values[0], descending, nulls_low)
    return sa.and_(bound, sa.or_(*alternatives)) if bound is not None else sa.or_(*alternatives)


def _not_before(column: sa.Column[Any], value: Any, descending: bool, nulls_low: bool) -> ColumnElement[bool] | None:
    """A seekable condition every row at or after `value` meets (None when there is none without an OR)."""
    nulls_come_later = nulls_low == descending
    if value is None:
        return column.is_(None) if nulls_come_later else None
    if nulls_come_later and column.nullable:
        return None
    return column <= value if descending else column >= value


def _same(column: sa.Column[Any], value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _beyond(column: sa.Column[Any], value: Any, descending: bool, nulls_low: bool) -> ColumnElement[bool]:
    """`column` comes strictly after `value` in the walk (where NULLs sit depends on the database)."""
    nulls_come_later = nulls_low == descending  # NULLs low and walking down, or high and walking up
    if value is None:
        return column.is_not(None) if not nulls_come_later else sa.false()
    later = column < value if descending else column > value
    if nulls_come_later and column.nullable:
        return sa.or_(later, column.is_(None))
    return later


# ---------------------------------------------------------------------------------------- the page's extras
def _decorate(connection: sa.Connection, rows: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Add the unit name, overdue flag, next timer, active card colours and instruction flag to each row."""
    if not rows:
        return rows
    numbers = [r["number"] for r in rows]
    names = _unit_names(connection, {r["unit_code"] for r in rows})
    colors = _card_colors(connection, numbers)
    instructed = _instructed(connection, numbers)
    next_due = _next_due(connection, numbers)
    for row in rows:
        number = row["number"]
        row["unit_name"] = names.get(row["unit_code"], row["unit_code"])
        row["overdue"] = is_overdue(row, now)
        row["next_due_at"] = next_due.get(number)
        row["cards"] = colors.get(number, [])
        row["instructed"] = number in instructed
    return rows


def is_overdue(row: Mapping[str, Any], now: datetime) -> bool:
    """Open, held by its unit (not returned: then the hotline owes the next step) and past the deadline."""
    deadline = row.get("deadline_at")
    return (row.get("status") in OPEN_STATUSES and row.get("returned_at") is None and deadline is not None
            and deadline < now)


def _unit_names(connection: sa.Connection, codes: set[str]) -> dict[str, str]:
    query = sa.select(handling_units.c.code, handling_units.c.name).where(handling_units.c.code.in_(sorted(codes)))
    return {code: name for code, name in connection.execute(query)}


# The three look-ups below filter in Python on purpose: their only condition in SQL is the order number, so
# every database reads them through the order-number index (SQLite without statistics would otherwise pick the
# status or withdrawn index and read all waiting instances or all active cards).
def _among(connection: sa.Connection, column: sa.Column[Any], numbers: list[str]) -> ColumnElement[bool]:
    """`column` is one of `numbers`: one array parameter on PostgreSQL (a third of the time of IN with a
    thousand parameters), IN elsewhere."""
    if connection.dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("numbers", numbers, type_=postgresql.ARRAY(sa.String)))
    return column.in_(numbers)


def _card_colors(connection: sa.Connection, numbers: list[str]) -> dict[str, list[str]]:
    """Active cards of each order, oldest first (red and yellow may both be shown)."""
    query = (sa.select(cards.c.order_number, cards.c.color, cards.c.withdrawn_at, cards.c.issued_at, cards.c.id)
             .where(_among(connection, cards.c.order_number, numbers)))
    colors: dict[str, list[str]] = {}
    for row in sorted(connection.execute(query), key=lambda r: (r.issued_at, r.id)):
        if row.withdrawn_at is None:
            colors.setdefault(row.order_number, []).append(row.color)
    return colors


def _instructed(connection: sa.Connection, numbers: list[str]) -> set[str]:
    query = sa.select(instructions.c.order_number).where(_among(connection, instructions.c.order_number, numbers))
    return set(connection.execute(query).scalars())


def _next_due(connection: sa.Connection, numbers: list[str]) -> dict[str, datetime]:
    """The earliest timer of each order's waiting instances (its work-order round and its instructions)."""
    wi = workflow_instances.c
    query = sa.select(wi.order_number, wi.status, wi.next_due_at).where(_among(connection, wi.order_number, numbers))
    due: dict[str, datetime] = {}
    for number, status, at in connection.execute(query):
        if status == "waiting" and at is not None and (number not in due or at < due[number]):
            due[number] = at
    return due
