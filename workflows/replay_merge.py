"""The replay events of 并单 (issue 19): `merged` (`order` becomes a child of `parent`) and `unmerged`. The pre-check
follows which order is whose child, and the children's state when their parent replies or closes; merged orders
are replayed in one shard of a parallel replay."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.domain.errors import InvalidInput
from engine.domain.work_order import WorkOrder, apply_event
from engine.persistence.order_filter import OPEN_STATUSES
from engine.services import Engine

EVENTS = ("merged", "unmerged")


class MergePrecheck:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}  # child → parent, now

    def check(self, kind: str, record: dict[str, Any], order: WorkOrder, orders: dict[str, WorkOrder]) -> None:
        number = order.number
        if kind == "unmerged":
            if number not in self.parent:
                raise InvalidInput(f"order {number} is not merged")
            if order.status not in OPEN_STATUSES:
                raise InvalidInput(f"order {number} has its parent's reply: it cannot be unmerged")
            del self.parent[number]
            return
        parent = record.get("parent")
        if not isinstance(parent, str) or parent not in orders:
            raise InvalidInput(f"parent must name an order created before it, got {parent!r}")
        if parent == number:
            raise InvalidInput(f"order {number} cannot be merged into itself")
        if number in self.parent or parent in self.parent:
            raise InvalidInput(f"order {number if number in self.parent else parent} is merged already")
        if number in self.parent.values():
            raise InvalidInput(f"order {number} has merged orders: it cannot become a child")
        if order.status not in OPEN_STATUSES or orders[parent].is_closed:
            raise InvalidInput(f"order {number} is replied or closed, or {parent} is closed: no merge")
        self.parent[number] = parent

    def after_event(self, kind: str, order: WorkOrder, orders: dict[str, WorkOrder], at: datetime) -> None:
        """A parent's reply or closing is its children's too."""
        if kind in ("replied", "closed"):
            for child, parent in self.parent.items():
                if parent == order.number and not orders[child].is_closed:
                    apply_event(orders[child], kind, at)


def apply(engine: Engine, kind: str, record: dict[str, Any], at: datetime) -> None:
    note = str(record.get("note", ""))
    if kind == "merged":
        engine.merge(record["order"], parent=record["parent"], actor="replay", note=note, at=at)
    else:
        engine.unmerge(record["order"], actor="replay", note=note, at=at)


def shard_keys(events: list[tuple[int, datetime, dict[str, Any]]]) -> dict[str, str]:
    """order → the order whose shard it goes to: orders ever merged together go to one shard (orders otherwise
    never interact, and a parallel replay splits them by number)."""
    root: dict[str, str] = {}

    def find(number: str) -> str:
        while root.get(number, number) != number:
            number = root[number]
        return number

    for _, _, record in events:
        if record.get("type") == "merged":
            a, b = find(record["order"]), find(record["parent"])
            if a != b:
                root[max(a, b)] = min(a, b)
    return {number: find(number) for number in root}
