"""A year of realistic hotline traffic for `duban benchmark`, made from real Los Angeles 311 requests.

The LA 311 export (see shared/data/la311/README.md) gives real arrival times of day, the agency and
request type of each request, and how long it really took to close. Its 7 agencies become 7
handling units and its request types the 5 categories; its created→closed durations become the
reply (the unit answers when LA closed the request) followed by the hotline's closing after a
callback. The rows are reused cyclically and re-timed into Asia/Shanghai from a start date, at a
fixed number of orders a day. When the CSV is absent, durations are drawn from a distribution shaped
like it (median ≈ 1.9 days, p90 ≈ 6 days, p99 ≈ 100 days).
"""
from __future__ import annotations

import csv
import heapq
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from engine.clock import LOCAL_TZ, format_local

DEFAULT_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "la311" / "service_requests.csv"

# agency_id -> (unit code, unit name). Agencies 2 and 3 are both Sanitation; here two units.
UNITS = {
    "1": ("LA01", "市城市照明管理处"),
    "2": ("LA02", "市环境卫生管理局"),
    "3": ("LA03", "区环境卫生管理所"),
    "4": ("LA04", "市容环境整治办公室"),
    "5": ("LA05", "市政务服务数据管理局"),
    "6": ("LA06", "市供水供电有限公司"),
    "7": ("LA07", "市道路管理局"),
}
# type_id -> category, by what the handling agency does with it: pick-ups and repairs are requests
# for help, graffiti and dumping are reports, service failures are complaints, the rest is advice.
CATEGORY_OF_TYPE = {
    "1": "举报", "2": "举报", "3": "求助", "4": "求助", "5": "求助", "6": "投诉",
    "7": "投诉", "8": "投诉", "9": "投诉", "10": "建议", "11": "咨询",
}
_SYNTHETIC_TYPES = [("4", "2", 45), ("1", "4", 26), ("6", "2", 9), ("7", "2", 8), ("2", "2", 4), ("5", "2", 3),
                    ("11", "5", 2), ("8", "1", 1), ("9", "1", 1), ("10", "6", 1)]  # (type, agency, weight %)


@dataclass(frozen=True)
class Request:
    """What a replayed order takes from one source row."""

    agency: str
    kind: str
    time_of_day: time
    duration: timedelta | None  # created -> closed; None while still open


@dataclass(frozen=True)
class Source:
    requests: list[Request]
    description: str


def load_requests(path: Path) -> list[Request]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [_request(row) for row in csv.DictReader(handle)]


def _request(row: dict[str, str]) -> Request:
    created = datetime.fromisoformat(row["created_date"])
    closed = datetime.fromisoformat(row["closed_date"]) if row["closed_date"] else None
    duration = max(closed - created, timedelta(0)) if closed else None
    return Request(row["agency_id"], row["type_id"], created.time().replace(microsecond=0), duration)


def synthetic_requests(count: int = 10_000, seed: int = 311) -> list[Request]:
    """A stand-in with the CSV's shape: lognormal bulk, a long tail of slow cases, a few never closed."""
    rng = random.Random(seed)
    kinds = [(kind, agency) for kind, agency, weight in _SYNTHETIC_TYPES for _ in range(weight)]
    requests = []
    for _ in range(count):
        kind, agency = rng.choice(kinds)
        if rng.random() < 0.005:
            duration = None
        elif rng.random() < 0.025:
            duration = timedelta(days=rng.uniform(15, 160))
        else:
            duration = timedelta(days=rng.lognormvariate(0.6, 0.8))
        seconds = int(rng.triangular(0, 86_399, 40_000))
        requests.append(Request(agency, kind, time(seconds // 3600, seconds // 60 % 60, seconds % 60), duration))
    return requests


def load_source(path: Path | None) -> Source:
    """The CSV at `path` (default: the shared copy), or synthetic requests when it is absent."""
    path = path or DEFAULT_CSV
    if path.is_file():
        requests = load_requests(path)
        return Source(requests, f"LA 311 CSV {path} ({len(requests):,} requests)")
    requests = synthetic_requests()
    return Source(requests, f"synthetic durations ({len(requests):,} requests; LA 311 CSV not found at {path})")


def duration_quantiles(requests: list[Request]) -> dict[str, float]:
    days = sorted(r.duration.total_seconds() / 86_400 for r in requests if r.duration is not None)
    if not days:
        return {}
    return {"median_days": days[len(days) // 2], "p90_days": days[int(len(days) * 0.9)],
            "p99_days": days[int(len(days) * 0.99)], "open_share": 1 - len(days) / len(requests)}


def unit_records() -> list[dict[str, Any]]:
    return [{"type": "unit", "code": code, "name": name, "phones": [f"+861390000{i:04d}"] + (
        [f"+861380000{i:04d}"] if i % 2 else [])} for i, (code, name) in enumerate(UNITS.values(), start=1)]


def _sign_delay(rng: random.Random) -> timedelta | None:
    """Most units sign within hours; some the next day or later (the sign-for chase fires); a few never."""
    draw = rng.random()
    if draw < 0.85:
        return timedelta(minutes=rng.uniform(5, 240))
    if draw < 0.96:
        return timedelta(hours=rng.uniform(4, 30))
    if draw < 0.99:
        return timedelta(hours=rng.uniform(30, 96))
    return None


def _order_events(number: str, created: datetime, request: Request,
                  rng: random.Random) -> list[tuple[datetime, dict[str, Any]]]:
    unit, _name = UNITS.get(request.agency, UNITS["2"])
    category = CATEGORY_OF_TYPE.get(request.kind, "求助")
    urgency = rng.choices(["一般", "紧急", "特急"], weights=[96, 3, 1])[0]
    source = "12315" if category == "投诉" and rng.random() < 0.2 else "12345"
    events = [(created, {"type": "order_created", "order": number, "unit": unit, "category": category,
                         "urgency": urgency, "source": source})]
    replied = created + max(request.duration, timedelta(minutes=1)) if request.duration is not None else None
    sign = _sign_delay(rng)
    if sign is not None:
        signed = created + sign
        if replied is not None and signed > replied:
            signed = created + (replied - created) / 2
        events.append((signed, {"type": "signed", "order": number}))
    if replied is not None:
        events.append((replied, {"type": "replied", "order": number}))
        events.append((replied + timedelta(hours=rng.uniform(2, 30)), {"type": "closed", "order": number}))
    return [(at.replace(microsecond=0), record) for at, record in events]


def replay_lines(source: Source, *, start: date, days: int, per_day: int, seed: int = 12345) -> Iterator[str]:
    """JSON lines for `duban replay`, in time order: units, then `per_day` orders a day for `days` days.

    Follow-up events wait in a heap until the next order's creation time passes them, so memory stays
    bounded by the orders still in flight, not by the whole year.
    """
    rng = random.Random(seed)
    pending: list[tuple[datetime, int, str]] = []
    seq = 0
    for unit in unit_records():
        yield json.dumps(unit, ensure_ascii=False)
    rows = source.requests
    for day in range(days):
        local_day = start + timedelta(days=day)
        batch = [rows[(day * per_day + i) % len(rows)] for i in range(per_day)]
        batch.sort(key=lambda r: r.time_of_day)
        for index, request in enumerate(batch):
            created = datetime.combine(local_day, request.time_of_day, LOCAL_TZ)
            while pending and pending[0][0] < created:
                yield heapq.heappop(pending)[2]
            number = f"GD{local_day:%Y%m%d}{index:05d}"
            events = _order_events(number, created, request, rng)
            yield _line(*events[0])
            for at, record in events[1:]:
                seq += 1
                heapq.heappush(pending, (at, seq, _line(at, record)))
    while pending:
        yield heapq.heappop(pending)[2]


def _line(at: datetime, record: dict[str, Any]) -> str:
    return json.dumps({"at": format_local(at), **record}, ensure_ascii=False)


def write_replay_file(path: Path, source: Source, *, start: date, days: int, per_day: int) -> int:
    """Write the replay input; returns the number of lines."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in replay_lines(source, start=start, days=days, per_day=per_day):
            handle.write(line + "\n")
            count += 1
    return count
