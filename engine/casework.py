"""What a supervisor does by hand beside the rules: issue or withdraw a card (红黄牌) with a reason, and
complete a phone-urging or SMS-failure task with the call's outcome. Each is one transaction with its audit row
and an entry on the order's timeline."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from engine.clock import Clock
from engine.domain.errors import InvalidInput, InvalidTransition, UnknownWorkOrder
from engine.persistence import casework_store as rows
from engine.persistence.store import SqlStore

log = logging.getLogger("duban.casework")

CARD_LABELS = {"yellow": "黄牌", "red": "红牌"}
PHONE_OUTCOMES = {
    "reached": "已接通，单位承诺办理", "no_answer": "无人接听", "wrong_number": "号码有误或停机",
    "refused": "单位推诿或拒绝", "resolved": "单位称已办结",
}
MAX_REASON = 500


class UnknownCard(InvalidInput, LookupError):
    def __init__(self, card_id: int) -> None:
        super().__init__(f"没有编号为 {card_id} 的红黄牌 (unknown card)")


class UnknownTask(InvalidInput, LookupError):
    def __init__(self, task_id: int) -> None:
        super().__init__(f"没有编号为 {task_id} 的督办任务 (unknown task)")


def check_text(value: str, what: str, *, required: bool = True, limit: int = MAX_REASON) -> str:
    """Strip and check a free-text field: required ones may not be blank; none may pass `limit` characters."""
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"请填写{what} ({what} is required)")
    if len(text) > limit:
        raise InvalidInput(f"{what}不能超过 {limit} 个字符，现在是 {len(text)} 个 ({what} is too long)")
    return text


@dataclass(frozen=True)
class CardRef:
    id: int
    order_number: str
    unit_code: str


class Casework:
    def __init__(self, store: SqlStore, clock: Clock) -> None:
        self.store, self.clock = store, clock

    def card(self, card_id: int) -> CardRef:
        with self.store.reading() as tx:
            row = rows.get_card(tx.c, card_id)
        if row is None:
            raise UnknownCard(card_id)
        return CardRef(row["id"], row["order_number"], row["unit_code"])

    def withdraw_card(self, card_id: int, *, reason: str, actor: str) -> None:
        reason = check_text(reason, "撤销理由")
        now = self.clock.now()
        with self.store.transaction() as tx:
            row = rows.get_card(tx.c, card_id)
            if row is None:
                raise UnknownCard(card_id)
            if row["withdrawn_at"] is not None:
                raise InvalidTransition(f"该{CARD_LABELS[row['color']]}已于此前撤销 (already withdrawn)")
            if not rows.withdraw_card(tx.c, card_id, at=now, by=actor, reason=reason):  # a colleague, a moment ago
                raise InvalidTransition("该牌已被他人撤销 (already withdrawn)")
            details = {"card": card_id, "color": row["color"], "reason": reason}
            tx.add_event(row["order_number"], "card_withdrawn", now, actor, details, now)
            tx.audit(now, actor, "card.withdrawn", row["order_number"], details)
        log.info("card withdrawn", extra={"order": row["order_number"], "card": card_id, "actor": actor})

    def complete_task(self, task_id: int, *, outcome: str, note: str, actor: str) -> str | None:
        """Close an open task with the call's outcome; returns its order number."""
        if outcome not in PHONE_OUTCOMES:
            raise InvalidInput(f"请选择通话结果 (choose the call's outcome; got {outcome!r})")
        note = check_text(note, "备注", required=False)
        now = self.clock.now()
        with self.store.transaction() as tx:
            row = rows.get_task(tx.c, task_id)
            if row is None:
                raise UnknownTask(task_id)
            if row["status"] != "open":
                raise InvalidTransition(f"任务 {task_id} 已由 {row['completed_by'] or '他人'} 完成 (task already done)")
            text = PHONE_OUTCOMES[outcome] + (f"：{note}" if note else "")
            if not rows.finish_task(tx.c, task_id, outcome=text, at=now, by=actor):  # a colleague, a moment ago
                raise InvalidTransition(f"任务 {task_id} 已由他人完成 (task already done)")
            number = row["order_number"]
            details = {"task": task_id, "kind": row["kind"], "outcome": outcome, **({"note": note} if note else {})}
            if number and rows.order_exists(tx.c, number):
                tx.add_event(number, "task_done", now, actor, details, now)
            tx.audit(now, actor, "task.done", number, details)
        log.info("task done", extra={"order": number, "task": task_id, "outcome": outcome, "actor": actor})
        return number  # type: ignore[no-any-return]

    def task_order(self, task_id: int) -> str | None:
        with self.store.reading() as tx:
            task = rows.get_task(tx.c, task_id)
        return task["order_number"] if task else None
