"""文号 and dates as a 公文 writes them."""
from __future__ import annotations

from datetime import date, datetime

from engine.clock import LOCAL_TZ


def document_number(prefix: str, year: int, serial: int) -> str:
    """揭热线督〔2026〕12号: prefix, the year in 六角括号, the serial without leading zeros."""
    if serial < 1:
        raise ValueError("a document serial starts at 1")
    return f"{prefix}〔{year}〕{serial}号"


def chinese_date(day: date) -> str:
    """2026年3月5日 (Arabic numerals, no leading zeros, as GB/T 9704-2012 writes 成文日期)."""
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_datetime(at: datetime) -> str:
    local = at.astimezone(LOCAL_TZ)
    return f"{chinese_date(local.date())}{local:%H:%M}"


def local_day(at: datetime) -> date:
    return at.astimezone(LOCAL_TZ).date()
