"""Read-only figures for the supervisor's workbench, the unit's home page, leadership's boards and the dashboard.
Every function takes the connection and `now`; `unit` restricts to one unit's orders where it applies."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from engine.clock import LOCAL_TZ
from engine.domain.work_order import EXTENSION_STATE_EVENTS
from engine.persistence.account_tables import cards
from engine.persistence.document_tables import documents
from engine.persistence.tables import actions, handling_units, instructions, order_events, outbox, \
    supervisor_tasks, work_orders

OPEN = ("dispatched", "signed")


def _escalating() -> Any:
    """Open and held by its unit (a returned order waits for the hotline, not for the unit)."""
    return sa.and_(work_orders.c.status.in_(OPEN), work_orders.c.returned_at.is_(None))
LADDER_KINDS = ("phone_urge", "urge_notice", "yellow_card", "red_card", "supervision_letter", "escalated",
                "special_report")


def day_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(LOCAL_TZ).date(), time(0), LOCAL_TZ)


def _rows(connection: sa.Connection, query: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in connection.execute(query).mappings()]


def _orders_with_unit() -> Any:
    return (sa.select(work_orders.c.number, work_orders.c.title, work_orders.c.unit_code, work_orders.c.status,
                      work_orders.c.deadline_at, work_orders.c.dispatched_at, work_orders.c.returned_at,
                      handling_units.c.name.label("unit_name"))
            .join(handling_units, handling_units.c.code == work_orders.c.unit_code))


def _scoped(query: Any, unit: str | None) -> Any:
    return query.where(work_orders.c.unit_code == unit) if unit else query


def steps_fired_today(connection: sa.Connection, now: datetime) -> list[dict[str, Any]]:
    return _rows(connection, sa.select(actions.c.kind, actions.c.at, actions.c.order_number, actions.c.step,
                                       handling_units.c.name.label("unit_name"))
                 .outerjoin(handling_units, handling_units.c.code == actions.c.unit_code)
                 # today's range is the selective part: coalesce keeps planners off the kind index
                 .where(actions.c.at >= day_start(now), actions.c.at <= now,
                        sa.func.coalesce(actions.c.kind, "").in_(LADDER_KINDS))
                 .order_by(actions.c.at.desc()).limit(200))


def open_tasks(connection: sa.Connection) -> list[dict[str, Any]]:
    return _rows(connection, sa.select(supervisor_tasks, handling_units.c.name.label("unit_name"))
                 .outerjoin(handling_units, handling_units.c.code == supervisor_tasks.c.unit_code)
                 .where(supervisor_tasks.c.status == "open").order_by(supervisor_tasks.c.created_at).limit(200))


def overdue_by_unit(connection: sa.Connection, now: datetime) -> list[dict[str, Any]]:
    return _rows(connection, sa.select(handling_units.c.code, handling_units.c.name, sa.func.count().label("overdue"))
                 .join(work_orders, work_orders.c.unit_code == handling_units.c.code)
                 .where(_escalating(), work_orders.c.deadline_at < now)
                 .group_by(handling_units.c.code, handling_units.c.name).order_by(sa.desc("overdue")))


def due_soon(connection: sa.Connection, now: datetime, *, within: timedelta = timedelta(days=2),
             unit: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    return _rows(connection, _scoped(_orders_with_unit(), unit).where(
        _escalating(), work_orders.c.deadline_at >= now, work_orders.c.deadline_at < now + within)
        .order_by(work_orders.c.deadline_at).limit(limit))


def overdue_orders(connection: sa.Connection, now: datetime, *, unit: str | None = None,
                   limit: int = 50) -> list[dict[str, Any]]:
    return _rows(connection, _scoped(_orders_with_unit(), unit).where(
        _escalating(), work_orders.c.deadline_at < now).order_by(work_orders.c.deadline_at)
        .limit(limit))


def to_sign(connection: sa.Connection, unit: str, *, limit: int = 100) -> list[dict[str, Any]]:
    return _rows(connection, _scoped(_orders_with_unit(), unit).where(
        work_orders.c.status == "dispatched", work_orders.c.returned_at.is_(None))
        .order_by(work_orders.c.dispatched_at).limit(limit))


def returned_orders(connection: sa.Connection, *, limit: int = 100) -> list[dict[str, Any]]:
    return _rows(connection, _orders_with_unit().where(work_orders.c.returned_at.is_not(None),
                                                       work_orders.c.status.in_(OPEN))
                 .order_by(work_orders.c.returned_at).limit(limit))


def extension_requests(connection: sa.Connection, *, limit: int = 100) -> list[dict[str, Any]]:
    """Open orders whose latest extension event is a request (no approval, refusal, reply or re-dispatch since).
    Starts from the (few) requests and asks for a later extension event of the same order by its index, instead of
    grouping every order's extension events (95 ms at 20,000 orders on SQLite)."""
    later = order_events.alias("later")
    answered = (sa.select(later.c.id).where(later.c.order_number == order_events.c.order_number,
                                            later.c.type.in_(EXTENSION_STATE_EVENTS), later.c.id > order_events.c.id)
                .exists())
    return _rows(connection, sa.select(order_events.c.order_number.label("number"), order_events.c.at,
                                       order_events.c.actor, order_events.c.details, work_orders.c.deadline_at,
                                       handling_units.c.name.label("unit_name"))
                 .join(work_orders, work_orders.c.number == order_events.c.order_number)
                 .join(handling_units, handling_units.c.code == work_orders.c.unit_code)
                 .where(order_events.c.type == "extension_requested", work_orders.c.status.in_(OPEN), ~answered)
                 .order_by(order_events.c.at).limit(limit))


def open_extension_request(connection: sa.Connection, number: str) -> int | None:
    """The event id of the order's open extension request, if its latest extension-related event is one."""
    row = connection.execute(sa.select(order_events.c.id, order_events.c.type).where(
        order_events.c.order_number == number, order_events.c.type.in_(EXTENSION_STATE_EVENTS))
        .order_by(order_events.c.id.desc()).limit(1)).first()
    return int(row.id) if row is not None and row.type == "extension_requested" else None


def issued_documents(connection: sa.Connection, *, since: datetime | None = None, unit: str | None = None,
                     kinds: tuple[str, ...] | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Issued documents, newest first: since a moment, to one unit, of some kinds."""
    query = sa.select(documents.c.id, documents.c.kind, documents.c.number, documents.c.title,
                      documents.c.order_number, documents.c.issued_at).where(documents.c.state == "issued")
    if since is not None:
        query = query.where(documents.c.issued_at >= since)
    if unit:
        query = query.where(documents.c.unit_code == unit)
    if kinds:
        query = query.where(documents.c.kind.in_(kinds))
    return _rows(connection, query.order_by(documents.c.issued_at.desc()).limit(limit))


def sms_failures(connection: sa.Connection, *, limit: int = 50) -> list[dict[str, Any]]:
    return _rows(connection, sa.select(outbox.c.id, outbox.c.order_number, outbox.c.recipient, outbox.c.status,
                                       outbox.c.last_error, outbox.c.status_at)
                 .where(outbox.c.channel == "sms", outbox.c.status.in_(("failed", "undelivered")))
                 .order_by(outbox.c.id.desc()).limit(limit))


def unit_cards(connection: sa.Connection, unit: str | None = None, *, active_only: bool = False,
               limit: int = 200) -> list[dict[str, Any]]:
    query = (sa.select(cards, handling_units.c.name.label("unit_name"))
             .join(handling_units, handling_units.c.code == cards.c.unit_code))
    if unit:
        query = query.where(cards.c.unit_code == unit)
    if active_only:
        query = query.where(cards.c.withdrawn_at.is_(None))
    return _rows(connection, query.order_by(cards.c.issued_at.desc()).limit(limit))


def card_board(connection: sa.Connection) -> list[dict[str, Any]]:
    """Active yellow and red cards per unit, most red first."""
    yellow = sa.func.sum(sa.case((cards.c.color == "yellow", 1), else_=0)).label("yellow")
    red = sa.func.sum(sa.case((cards.c.color == "red", 1), else_=0)).label("red")
    return _rows(connection, sa.select(handling_units.c.code, handling_units.c.name, yellow, red)
                 .join(cards, cards.c.unit_code == handling_units.c.code).where(cards.c.withdrawn_at.is_(None))
                 .group_by(handling_units.c.code, handling_units.c.name).order_by(sa.desc("red"), sa.desc("yellow")))


def instructed_orders(connection: sa.Connection, *, limit: int = 200) -> list[dict[str, Any]]:
    """The latest `limit` instructions with their orders: the instructions are picked first, so only their orders are
    read (an instruction's order always exists: a foreign key)."""
    latest = (sa.select(instructions.c.id, instructions.c.leader, instructions.c.text, instructions.c.instructed_at,
                        instructions.c.letter_due_at, instructions.c.report_due_at, instructions.c.order_number)
              .order_by(instructions.c.instructed_at.desc(), instructions.c.id.desc()).limit(limit).subquery("latest"))
    return _rows(connection, sa.select(latest.c.id, latest.c.leader, latest.c.text, latest.c.instructed_at,
                                       latest.c.letter_due_at, latest.c.report_due_at, work_orders.c.number,
                                       work_orders.c.title, work_orders.c.status, work_orders.c.progress_reported_at,
                                       handling_units.c.name.label("unit_name"))
                 .join(work_orders, work_orders.c.number == latest.c.order_number)
                 .join(handling_units, handling_units.c.code == work_orders.c.unit_code)
                 .order_by(latest.c.instructed_at.desc(), latest.c.id.desc()))


def day_figures(connection: sa.Connection, now: datetime) -> dict[str, int]:
    """Today's counts, in one statement (each count a scalar subquery with its own index)."""
    start = day_start(now)
    n = sa.func.count()
    counts = {
        "dispatched": sa.select(n).where(work_orders.c.dispatched_at >= start),
        "signed": sa.select(n).where(work_orders.c.signed_at >= start),
        "replied": sa.select(n).where(work_orders.c.replied_at >= start),
        "closed": sa.select(n).where(work_orders.c.closed_at >= start),
        "open": sa.select(n).where(work_orders.c.status.in_(OPEN)),
        "overdue": sa.select(n).where(_escalating(), work_orders.c.deadline_at < now),
        "cards": sa.select(n).select_from(cards).where(cards.c.issued_at >= start,
                                                       cards.c.withdrawn_at.is_(None)),  # withdrawn: not counted
        "sms": sa.select(n).where(outbox.c.channel == "sms", outbox.c.sent_at >= start),
        "sms_failed": sa.select(n).where(outbox.c.channel == "sms", outbox.c.status.in_(("failed", "undelivered")),
                                         outbox.c.status_at >= start),
        "tasks_open": sa.select(n).where(supervisor_tasks.c.status == "open"),
    }
    row = connection.execute(sa.select(*[q.scalar_subquery().label(k) for k, q in counts.items()])).one()
    return {k: int(v or 0) for k, v in zip(counts, row)}


def daily_flow(connection: sa.Connection, now: datetime, days: int = 14) -> list[tuple[date, int, int]]:
    """Per local day of the last `days`: orders dispatched and orders closed (counted by the database, day by day
    through a CASE on local midnights, not row by row in Python)."""
    first = day_start(now) - timedelta(days=days - 1)
    starts = [first + timedelta(days=i) for i in range(days)]

    def per_day(column: Any) -> dict[int, int]:
        day = sa.case(*[(column < start, i - 1) for i, start in enumerate(starts[1:], start=1)], else_=days - 1)
        return {int(i): int(n) for i, n in connection.execute(
            sa.select(day.label("day"), sa.func.count()).where(column >= first, column <= now).group_by(day))}

    dispatched, closed = per_day(work_orders.c.dispatched_at), per_day(work_orders.c.closed_at)
    return [(start.astimezone(LOCAL_TZ).date(), dispatched.get(i, 0), closed.get(i, 0))
            for i, start in enumerate(starts)]


def weekly_on_time(connection: sa.Connection, now: datetime, weeks: int = 12) -> list[tuple[date, float | None]]:
    """Per week (Monday) of the last `weeks`: the share of orders whose deadline fell in it that were replied in time.
    Counted by the database, week by week through a CASE on the deadline (not row by row in Python)."""
    monday = day_start(now) - timedelta(days=now.astimezone(LOCAL_TZ).weekday())
    first = monday - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks)]
    deadline, replied = work_orders.c.deadline_at, work_orders.c.replied_at
    week = sa.case(*[(deadline < start, i - 1) for i, start in enumerate(starts[1:], start=1)], else_=weeks - 1)
    in_time = sa.func.sum(sa.case((sa.and_(replied.is_not(None), replied <= deadline), 1), else_=0))
    counted = {int(i): (int(total), int(ok or 0)) for i, total, ok in connection.execute(
        sa.select(week.label("week"), sa.func.count(), in_time)
        .where(deadline >= first, deadline <= now).group_by(week))}
    result = []
    for i, start in enumerate(starts):
        total, ok = counted.get(i, (0, 0))
        result.append((start.astimezone(LOCAL_TZ).date(), round(100 * ok / total, 1) if total else None))
    return result
