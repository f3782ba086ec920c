"""The leader's ten-second picture: today's counts (each the count of the order list it links to, by the very same
filter), this month's rates against last month's (from the kept assessment), what needs a leader's attention,
the units with most overdue orders and a 12-week trend."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from engine.assessment.periods import month_of
from engine.clock import LOCAL_TZ
from engine.persistence import board_queries as board
from engine.persistence.order_filter import OrderFilter
from engine.persistence.order_search import count_orders
from engine.services import Engine
from workflows.assessment.service import AssessmentService

RATE_ITEMS = (("sign_for", "本月按时签收率"), ("reply", "本月按时办结率"), ("satisfaction", "本月满意率"))
REPORT_KINDS = ("special_report", "quarterly_report")
ATTENTION_DAYS = 3  # an instruction clock due within this many days is shown in red


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int
    link: str  # the list whose count is the value
    alarm: bool = False


@dataclass(frozen=True)
class Rate:
    label: str
    value: float | None  # percent
    change: float | None  # percentage points from last month
    link: str


def count_filters(engine: Engine, now: datetime) -> dict[str, tuple[str, OrderFilter]]:
    """The home page's counts as order-list filters (the link and the figure use the same one)."""
    today = now.astimezone(LOCAL_TZ).date()
    next_working = engine.calendar.nth_working_day_after(today, 1).result
    return {"open": ("在办", OrderFilter(open=True)), "overdue": ("超期", OrderFilter(overdue=True)),
            "due_soon": ("临期（一个工作日内到期）", OrderFilter(due_by=next_working)),
            "new_today": ("今日新增", OrderFilter(since=today))}


def _link(f: OrderFilter) -> str:
    return "/orders?" + "&".join(f"{k}={v}" for k, v in f.to_args().items())


def figures(engine: Engine, now: datetime) -> list[Figure]:
    with engine.store.reading() as tx:
        return [Figure(key, label, count_orders(tx.c, f, now=now), _link(f), alarm=key == "overdue")
                for key, (label, f) in count_filters(engine, now).items()]


def _pooled(scores: list[Any], key: str) -> float | None:
    yes = sum(s.item(key).yes for s in scores)
    counted = sum(s.item(key).counted for s in scores)
    return round(100 * yes / counted, 1) if counted else None


def rates(assessment: AssessmentService, now: datetime) -> tuple[list[Rate], datetime]:
    """This month's pooled rates (all units) with the change from last month, from the kept assessment."""
    this = month_of(now)
    last = month_of(this.start - timedelta(seconds=1))
    current, previous = assessment.kept.month(this.label), assessment.kept.month(last.label)
    out = []
    for key, label in RATE_ITEMS:
        value, before = _pooled(current.scores, key), _pooled(previous.scores, key)
        change = round(value - before, 1) if value is not None and before is not None else None
        out.append(Rate(label, value, change, f"/assessment?period={this.label}"))
    return out, current.as_of


def attention(engine: Engine, now: datetime) -> dict[str, Any]:
    """Open instructions (clocks due within 3 days flagged), 专报 issued this week."""
    monday = board.day_start(now) - timedelta(days=now.astimezone(LOCAL_TZ).weekday())
    with engine.store.reading() as tx:
        instructed = [r for r in board.instructed_orders(tx.c) if r["status"] != "closed"]
        reports = board.issued_documents(tx.c, since=monday, kinds=REPORT_KINDS, limit=20)
    soon = now + timedelta(days=ATTENTION_DAYS)
    for r in instructed:
        r["urgent"] = any(now <= due < soon for due in (r["letter_due_at"], r["report_due_at"]))
        r["late"] = any(due < now for due in (r["letter_due_at"], r["report_due_at"]))
    instructed.sort(key=lambda r: (not r["urgent"], not r["late"], min(r["letter_due_at"], r["report_due_at"])))
    return {"instructed": instructed, "reports": reports}


def overdue_units(engine: Engine, now: datetime, short_name: Any, limit: int = 5) -> list[dict[str, Any]]:
    """The units with most overdue orders, each linking to its overdue list."""
    with engine.store.reading() as tx:
        rows = board.overdue_by_unit(tx.c, now)[:limit]
    return [{**r, "short": short_name(r["code"], r["name"]),
             "link": _link(OrderFilter(unit_code=r["code"], overdue=True))} for r in rows]


def weekly_trend(engine: Engine, now: datetime) -> list[tuple[date, float | None]]:
    with engine.store.reading() as tx:
        return board.weekly_on_time(tx.c, now)
