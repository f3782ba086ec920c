"""Repeated requests (重复诉求, issue 19): candidates found at intake, a supervisor's 不是重复 (dismiss) and 并单
(merge a child into a parent) and its undoing."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from engine.domain.errors import InvalidInput, InvalidTransition
from engine.domain.location import OrderLocation
from engine.domain.model import Instance
from engine.domain.work_order import Status, WorkOrder, apply_event
from engine.duplicates.finder import look_for_duplicates
from engine.duplicates.scoring import Candidate
from engine.persistence.duplicate_store import DuplicateRecords
from engine.persistence.order_filter import OPEN_STATUSES
from engine.persistence.store import SqlTransaction
from engine.workflow_steps import _Step

log = logging.getLogger("duban.duplicates")
OPEN, MERGED, DISMISSED = "open", "merged", "dismissed"
MERGE, MERGE_KIND = "order_merge", "merge"  # the process (bpmn/order_merge.bpmn) and its instances' kind
# what a merge stops: the ladder, a letter's reply watch, co-units' sign-for, an objection's and a hard case's
# processes — everything of the order but a leader's instruction
STOPPED_BY_MERGE = ("work_order", "letter_reply", "co_unit", "objection", "hard_case")
CHILD_MESSAGES = {"replied": "parent_replied", "closed": "parent_closed"}


class Merging:
    """Mixed into `Engine`."""

    def _look_for_duplicates(self, tx: SqlTransaction, order: WorkOrder, location: OrderLocation
                             ) -> list[Candidate]:
        found = look_for_duplicates(DuplicateRecords(tx.c), order, location, self.rules.duplicates,  # type: ignore[attr-defined]
                                    self.clock.now())  # type: ignore[attr-defined]
        if found:
            tx.add_event(order.number, "duplicates_found", order.dispatched_at, "system",
                         {"candidates": [c.as_dict() for c in found]}, self.clock.now())  # type: ignore[attr-defined]
        return found

    def possible_duplicates(self, number: str) -> list[dict[str, Any]]:
        """The candidate pairs this order is in, best first: found at its intake or at a later order's."""
        with self.store.reading() as tx:  # type: ignore[attr-defined]
            return DuplicateRecords(tx.c).for_order(number)

    def duplicate_pairs(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Every candidate pair found at intake (of orders dispatched from `since`), in the order found."""
        with self.store.reading() as tx:  # type: ignore[attr-defined]
            return DuplicateRecords(tx.c).pairs_since(since)

    def merged_children(self, number: str) -> list[str]:
        with self.store.reading() as tx:  # type: ignore[attr-defined]
            return DuplicateRecords(tx.c).children_of(number)

    def dismiss_duplicate(self, candidate_id: int, *, actor: str, note: str = "") -> dict[str, Any]:
        """不是重复: the pair stays on record, marked dismissed by `actor`."""
        now = self.clock.now()  # type: ignore[attr-defined]
        with self.store.transaction() as tx:  # type: ignore[attr-defined]
            records = DuplicateRecords(tx.c)
            pair = _open_pair(records, candidate_id)
            records.decide(candidate_id, DISMISSED, actor, now)
            details = {"candidate": pair["candidate_number"], "score": pair["score"], **({"note": note} if note else {})}
            tx.add_event(pair["order_number"], "duplicate_dismissed", now, actor, details, now)
            tx.audit(now, actor, "order.duplicate_dismissed", pair["order_number"], details)
        log.info("duplicate dismissed", extra={"order": pair["order_number"], "candidate": pair["candidate_number"]})
        return pair

    # ------------------------------------------------------------------ 并单
    def merge(self, number: str, *, parent: str, actor: str, note: str = "", at: datetime | None = None
              ) -> WorkOrder:
        """并单: `number` becomes a child of `parent`. Its ladder stops (no SMS, cards or letters of its own: every
        process of the order but a leader's instruction is cancelled) and its merge process (bpmn/order_merge.bpmn)
        waits for the parent's reply and closing, which are recorded on the child."""
        now = self.clock.now()  # type: ignore[attr-defined]
        at = at or now
        with self.store.transaction() as tx:  # type: ignore[attr-defined]
            records = DuplicateRecords(tx.c)
            child = _mergeable(self, tx, records, number, parent)
            self._cancel_instances(tx, number, STOPPED_BY_MERGE)  # type: ignore[attr-defined]
            records.set_parent(number, parent, at)
            unit = tx.get_unit(child.unit_code)
            step = _Step(tx, Instance(0, MERGE_KIND, "", "waiting", None, order_number=number), child, unit)
            self._start(step, MERGE, {"parent": parent}, at)  # type: ignore[attr-defined]
            details = {"parent": parent, **({"note": note} if note else {})}
            tx.add_event(number, "merged", at, actor, details, now)
            tx.add_event(parent, "child_merged", at, actor, {"child": number}, now)
            records.settle_pair(number, parent, MERGED, actor, now)
            tx.audit(now, actor, "order.merged", number, {**details, "at": at.isoformat()})
        log.info("order merged", extra={"order": number, "parent": parent})
        return child

    def unmerge(self, number: str, *, actor: str, note: str = "", at: datetime | None = None) -> WorkOrder:
        """Undo 并单 while the parent has not replied: the child's own clock runs again from now — its deadline
        moves by the time it was merged — and its ladder is re-armed from it (the steps taken before stay taken)."""
        now = self.clock.now()  # type: ignore[attr-defined]
        at = at or now
        with self.store.transaction() as tx:  # type: ignore[attr-defined]
            records = DuplicateRecords(tx.c)
            child = self._order(tx, number)  # type: ignore[attr-defined]
            link = records.parent_of(number)
            if link is None:
                raise InvalidTransition(f"工单 {number} 未并单 ({number} is not merged)")
            parent, merged_at = link
            if child.status != Status.DISPATCHED and child.status != Status.SIGNED:
                raise InvalidTransition(f"主单 {parent} 的答复已记入本单，不能撤销并单 ({number} has the parent's reply)")
            unit = tx.get_unit(child.unit_code)
            self._deliver(tx, child, unit, "unmerged", {}, at)  # type: ignore[attr-defined]  # the merge process ends
            records.set_parent(number, None, None)
            paused = max(0, int((at - merged_at).total_seconds()))
            child.deadline_basis = [*child.deadline_basis, {"rule": "paused", "seconds": paused, "why": "并单"}]
            self._set_deadline(child, self._deadline_from_basis(child))  # type: ignore[attr-defined]
            self._start_work_order_process(tx, child, unit, at, reopen=False)  # type: ignore[attr-defined]
            details = {"parent": parent, "merged_for": f"{paused // 3600}小时", **({"note": note} if note else {})}
            tx.add_event(number, "unmerged", at, actor, details, now)
            tx.add_event(parent, "child_unmerged", at, actor, {"child": number}, now)
            tx.audit(now, actor, "order.unmerged", number, {**details, "at": at.isoformat()})
            tx.update_order(child)
        log.info("order unmerged", extra={"order": number, "parent": parent})
        return child

    def _pass_to_children(self, tx: SqlTransaction, parent: WorkOrder, event: str, at: datetime, actor: str,
                          details: dict[str, Any]) -> None:
        """The parent's reply or closing, recorded on each child: its status follows, its merge process notes it."""
        message = CHILD_MESSAGES.get(event)
        if message is None:
            return
        for number in DuplicateRecords(tx.c).children_of(parent.number):
            child = self._order(tx, number)  # type: ignore[attr-defined]
            if child.is_closed:
                continue
            apply_event(child, event, at)
            tx.add_event(number, event, at, actor, {**details, "parent": parent.number}, self.clock.now())  # type: ignore[attr-defined]
            self._deliver(tx, child, tx.get_unit(child.unit_code), message, {}, at)  # type: ignore[attr-defined]
            tx.update_order(child)


def _mergeable(engine: Any, tx: SqlTransaction, records: DuplicateRecords, number: str, parent: str
               ) -> WorkOrder:
    """The child, when `number` may become `parent`'s child (both orders read and locked); InvalidTransition saying
    why not."""
    if number == parent:
        raise InvalidInput(f"工单不能并入自身 ({number})")
    child, target = engine._order(tx, number), engine._order(tx, parent)
    if (link := records.parent_of(number)) is not None:
        raise InvalidTransition(f"工单 {number} 已并入 {link[0]} ({number} is merged already)")
    if (link := records.parent_of(parent)) is not None:
        raise InvalidTransition(f"工单 {parent} 本身已并入 {link[0]}，请并入 {link[0]} ({parent} is a child)")
    if records.children_of(number):
        raise InvalidTransition(f"工单 {number} 已有并入的工单，不能再并入他单 ({number} is a parent)")
    if child.status not in OPEN_STATUSES:
        raise InvalidTransition(f"工单 {number} 已答复或办结，不再并单 ({number} is {child.status})")
    if target.is_closed:
        raise InvalidTransition(f"工单 {parent} 已办结，不能并入 ({parent} is closed)")
    return child


def _open_pair(records: DuplicateRecords, candidate_id: int) -> dict[str, Any]:
    pair = records.get(candidate_id, lock=True)
    if pair is None:
        raise InvalidInput(f"no duplicate candidate #{candidate_id}")
    if pair["status"] != OPEN:
        raise InvalidTransition(f"该疑似重复已处理 (duplicate candidate #{candidate_id} is {pair['status']} already)")
    return pair
