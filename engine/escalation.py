"""提级督办: escalation past the 督办函. A letter carries its written-reply date; the engine starts a small process
(bpmn/letter_reply.bpmn) beside the order's ladder that waits for the reply; if the date passes with the order still
not replied, the process takes the rule step `escalated`: the record leadership sees, an SMS to the unit and a task
for the supervisor. `escalate` is the same step taken at once (hard cases, issue 18)."""
from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

from engine.domain.errors import InvalidInput, InvalidTransition, UnknownWorkOrder
from engine.domain.model import Action, HandlingUnit, Instance
from engine.domain.work_order import Status, WorkOrder
from engine.persistence.escalation_queries import letters_of
from engine.persistence.store import SqlTransaction
from engine.runtime import runner
from engine.workflow_steps import WorkflowSteps, _Step

log = logging.getLogger("duban.engine")

LETTER_REPLY = "letter_reply"  # the process id, and the kind of its instances
MAX_REASON = 2000


class Escalation(WorkflowSteps):
    """Mixed into `Engine`."""

    def escalate(self, number: str, *, at: datetime, actor: str, reason: str) -> WorkOrder:
        """Escalate the order now (提级督办), as the rules do when a letter's reply date passes: the `escalated` step
        (record, SMS, supervisor task), with `reason` on the order's timeline. Refused for a replied, closed or
        returned order, or one already escalated in this round."""
        reason = (reason or "").strip()
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInput(f"提级督办需要理由（1 至 {MAX_REASON} 个字符）")
        if at.tzinfo is None:
            raise InvalidInput("a time with its UTC offset is required")
        with self.store.transaction() as tx:
            order = tx.get_order(number, lock=True)
            if order is None:
                raise UnknownWorkOrder(number)
            refusal = _escalation_refused(order)
            if refusal:
                raise InvalidTransition(refusal)
            self._escalate_now(tx, order, at, actor, reason)
            tx.update_order(order)
        return order

    def _escalate_now(self, tx: SqlTransaction, order: WorkOrder, at: datetime, actor: str, reason: str) -> bool:
        """The one way an order escalates at once (a supervisor's 提级督办, a hard case): the `escalated` step of
        bpmn/letter_reply.bpmn (record, SMS, supervisor task; leadership lists it until the order is replied).
        False, and nothing done, when the order cannot escalate now (see `_escalation_refused`)."""
        if _escalation_refused(order):
            return False
        self._stop_reply_watch(tx, order.number)
        self._start_reply_watch(tx, order, tx.get_unit(order.unit_code), at, reply_by=None, escalate_at=None)
        tx.add_event(order.number, "escalated", at, actor, {"reason": reason}, self.clock.now())
        tx.audit(self.clock.now(), actor, "order.escalated", order.number, {"reason": reason, "at": at.isoformat()})
        log.info("order escalated", extra={"order": order.number, "actor": actor})
        return True

    def answer_letter(self, number: str, *, text: str, at: datetime, actor: str, unit_code: str) -> None:
        """The unit's written answer to the order's 督办函, recorded on the order (supervisors read it there)."""
        text = (text or "").strip()
        if not text or len(text) > MAX_REASON:
            raise InvalidInput(f"请填写书面答复（1 至 {MAX_REASON} 个字符）")
        with self.store.transaction() as tx:
            order = tx.get_order(number, lock=True)
            if order is None or order.unit_code != unit_code:
                raise UnknownWorkOrder(number)
            if not letters_of(tx.c, unit_code, number=number):
                raise InvalidTransition(f"工单 {number} 没有发给本单位的督办函")
            tx.add_event(number, "letter_answered", at, actor, {"text": text}, self.clock.now())
            tx.audit(self.clock.now(), actor, "order.letter_answered", number, {"at": at.isoformat()})
        log.info("letter answered", extra={"order": number, "actor": actor})

    def _after_actions(self, step: _Step, written: list[tuple[str, Action]], at: datetime) -> None:
        """A 督办函 just sent starts the watch on its written-reply date (one watch per order at a time)."""
        if step.order is None or step.instance.kind == LETTER_REPLY or LETTER_REPLY not in self.definitions:
            return
        for _key, action in written:
            if action.kind == "supervision_letter" and action.details.get("escalate_at"):
                if any(i.kind == LETTER_REPLY for i, _ in step.tx.open_instances_of_order(step.order.number)):
                    return
                self._start_reply_watch(step.tx, step.order, step.unit, action.at,
                                        reply_by=action.details["reply_by"], escalate_at=action.details["escalate_at"])
                return

    def _start_reply_watch(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit | None, at: datetime, *,
                           reply_by: Any, escalate_at: Any) -> None:
        """escalate_at None: escalate at once."""
        step = _Step(tx, Instance(0, LETTER_REPLY, "", "waiting", None, order_number=order.number), order, unit)
        self._start(step, LETTER_REPLY, {"reply_by": reply_by, "escalate_at": escalate_at}, at)

    def _stop_reply_watch(self, tx: SqlTransaction, number: str) -> None:
        self._cancel_instances(tx, number, (LETTER_REPLY,))

    def _cancel_instances(self, tx: SqlTransaction, number: str, kinds: tuple[str, ...],
                          units: Collection[str] | None = None) -> None:
        """Cancel the order's waiting instances of these kinds (only those serving `units`, if given)."""
        for instance, state in tx.open_instances_of_order(number):
            if instance.kind in kinds and (units is None or instance.unit_code in units):
                wf = self._load(instance, state)
                runner.cancel(wf)
                instance.status, instance.next_due_at = "cancelled", None
                tx.update_instance(instance, self._state_to_store(instance, wf), self.clock.now())


def _escalation_refused(order: WorkOrder) -> str | None:
    """Why the order cannot escalate now: replied, closed or returned, or already escalated in this round."""
    if order.status in (Status.REPLIED, Status.CLOSED) or order.returned_at is not None:
        return f"工单 {order.number} 已回复、办结或退单，无需提级督办"
    if "escalated" in order.fired_steps:
        return f"工单 {order.number} 本轮已提级督办"
    return None
