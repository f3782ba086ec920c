"""Checks of what people type into the forms, with the message shown on the page. The engine checks again
(and is the authority); these put the problem in the user's words before anything is attempted."""
from __future__ import annotations

from datetime import date, datetime, time

from engine.casework import check_text
from engine.clock import LOCAL_TZ
from engine.domain.errors import InvalidInput
from engine.domain.work_order import Status, WorkOrder

LONG_TEXT = 2000
MAX_PAGE = 10_000  # page numbers past this are clamped (an offset the database can take)


def text(form: dict[str, str], name: str, what: str, *, required: bool = True, limit: int = LONG_TEXT) -> str:
    return check_text(form.get(name, ""), what, required=required, limit=limit)


def choice(form: dict[str, str], name: str, what: str, allowed: tuple[str, ...]) -> str:
    value = (form.get(name) or "").strip()
    if value not in allowed:
        raise InvalidInput(f"请选择{what}")
    return value


def working_days(form: dict[str, str], name: str = "working_days") -> int:
    raw = (form.get(name) or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not 1 <= int(raw) <= 180:
        raise InvalidInput("延期天数须为 1 至 180 之间的整数（工作日）")
    return int(raw)


def day_on_or_after_dispatch(form: dict[str, str], name: str, what: str, order: WorkOrder, now: datetime) -> date:
    """A date field that may be neither before the order's dispatch nor in the future."""
    raw = (form.get(name) or "").strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{what}格式应为 年-月-日，如 2026-06-01") from None
    dispatched = order.dispatched_at.astimezone(LOCAL_TZ).date()
    if day < dispatched:
        raise InvalidInput(f"{what}（{day.isoformat()}）早于派单日期 {dispatched.isoformat()}")
    if day > now.astimezone(LOCAL_TZ).date():
        raise InvalidInput(f"{what}（{day.isoformat()}）晚于今天")
    return day


def moment_of(day: date, now: datetime) -> datetime:
    """Today means now; an earlier day means noon of that day."""
    if day == now.astimezone(LOCAL_TZ).date():
        return now
    return datetime.combine(day, time(12, 0), LOCAL_TZ)


def still_open(order: WorkOrder) -> None:
    if order.status == Status.CLOSED:
        raise InvalidInput(f"工单 {order.number} 已办结，不能再提交")


def before_deadline(order: WorkOrder, now: datetime) -> None:
    if order.deadline_at is not None and now >= order.deadline_at:
        raise InvalidInput("已超过办理时限，不能再申请延期；请联系热线督办员")
