"""The work-order list: filters, text search, sort and pages for the supervisor's list, a unit's list and the export.

Fast on 100,000 orders on SQLite and PostgreSQL because nothing per order runs outside the page: a COUNT, one query
for the page's rows from `work_orders` alone (filters and sorts are indexed, migration 0007), then one query each
for the unit names, active cards, leadership instructions and next timer of just those rows. The count also picks
how the page is read (see _Where). The export walks the same order in keyset batches, one batch in memory.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from engine.clock import LOCAL_TZ
from engine.persistence.account_tables import cards
from engine.persistence.order_filter import OPEN_STATUSES, ORDER_COLUMNS, SORT_COLUMNS, OrderFilter
from engine.persistence.order_rows import decorate_rows
from engine.persistence.tables import instructions, work_orders

FIRST_BATCH = 100  # an export's first batch of rows (then `batch` at a time)


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
    return OrderPage(total=total, rows=decorate_rows(connection, rows, now), page=f.page,
                     pages=max(1, math.ceil(total / f.per_page)), filter=f)


def _page(connection: sa.Connection, conditions: Sequence[ColumnElement[bool]], f: OrderFilter,
          *extra: ColumnElement[Any]) -> list[dict[str, Any]]:
    query = (sa.select(*ORDER_COLUMNS, *extra).where(*conditions).order_by(*_order_by(f))
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
                batch: int = 1000, first_batch: int = FIRST_BATCH) -> Iterator[dict[str, Any]]:
    """Every order `f` matches (all pages, `f.page` ignored), in the list's order, `first_batch` then `batch` at a
    time (keyset pagination: each batch continues after the last row of the one before). The small first batch
    lets a streamed download start before a thousand rows have been read and decorated."""
    if batch < 1 or first_batch < 1:
        raise ValueError("batch must be at least 1")
    where = _where(connection, f, now, scope_unit)
    if where is None:
        return
    conditions = where.for_page(_count(connection, where))
    keys = _sort_keys(f)
    nulls_low = _nulls_sort_low(connection)
    last: list[Any] | None = None
    size = min(first_batch, batch)
    while True:
        after = [] if last is None else [_after(keys, last, f.descending, nulls_low)]
        query = sa.select(*ORDER_COLUMNS).where(*conditions, *after).order_by(*_order_by(f)).limit(size)
        rows = [dict(r) for r in connection.execute(query).mappings()]
        yield from decorate_rows(connection, rows, now)
        if len(rows) < size:
            return
        size = batch
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
    if f.open is not None:
        plain.append(wo.status.in_(OPEN_STATUSES) if f.open else wo.status.not_in(OPEN_STATUSES))
    if f.due_by is not None:
        plain.extend([wo.status.in_(OPEN_STATUSES), wo.returned_at.is_(None), wo.deadline_at >= now,
                      wo.deadline_at < day_start_of(f.due_by + timedelta(days=1))])
    if f.since is not None:
        plain.append(wo.dispatched_at >= day_start_of(f.since))
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


def day_start_of(day: date) -> datetime:
    """00:00 of a local (Asia/Shanghai) day."""
    return datetime.combine(day, time(), LOCAL_TZ)


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
    return (*SORT_COLUMNS[f.sort], work_orders.c.number)


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


