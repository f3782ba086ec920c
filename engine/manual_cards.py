"""A card (红黄牌) given by a supervisor. In the order's current round it takes the place of the rule's card of that
colour: the rule step is recorded as already done, naming the manual card, and the ladder is re-armed without it.
It sends the unit the same SMS as the rule's card."""
from __future__ import annotations

import logging
from typing import Any

from engine.casework import CARD_LABELS, check_text
from engine.domain.errors import InvalidInput, InvalidTransition, UnknownWorkOrder
from engine.domain.model import Instance
from engine.domain.work_order import Status
from engine.persistence import casework_store as rows
from engine.ports import ActionContext
from engine.workflow_steps import WorkflowSteps, _Step

log = logging.getLogger("duban.casework")

STEP_OF_COLOR = {"yellow": "yellow", "red": "red"}  # the ladder step a card of this colour stands for


class ManualCards(WorkflowSteps):
    """Mixed into `Engine`."""

    def issue_card(self, number: str, *, color: str, reason: str, actor: str) -> int:
        """Give the order's unit a card by hand; returns the card's id."""
        if color not in CARD_LABELS:
            raise InvalidInput(f"牌色须为黄牌或红牌 (color must be yellow or red, got {color!r})")
        reason = check_text(reason, "亮牌理由")
        now = self.clock.now()
        with self.store.transaction() as tx:
            order = tx.get_order(number, lock=True)
            if order is None:
                raise UnknownWorkOrder(number)
            if order.is_closed:
                raise InvalidTransition(f"工单 {number} 已办结，不能再亮牌 ({number} is closed)")
            card_id = rows.insert_card(tx.c, {
                "order_number": number, "unit_code": order.unit_code, "color": color, "source": "manual",
                "reason": reason, "issued_at": now, "issued_by": actor})
            details: dict[str, Any] = {"card": card_id, "color": color, "reason": reason}
            unit = tx.get_unit(order.unit_code)
            step_name, kind = STEP_OF_COLOR[color], f"{color}_card"
            ladder_running = order.status in (Status.DISPATCHED, Status.SIGNED) and order.returned_at is None
            takes_rule_step = ladder_running and step_name not in order.fired_steps
            step = _Step(tx, Instance(None, "manual", "", "waiting", None, order_number=number),  # type: ignore[arg-type]
                         order, unit)
            ctx = ActionContext(at=now, rules=self.rules, calendar=self.calendar, order=order, unit=unit)
            step.actions = [(f"manual_card:{card_id}:{a.to}", a) for a in
                            self.operations["sms.send"](ctx, {"template": kind, "step": step_name})]
            self._write_actions(step)
            if takes_rule_step:  # the rule's card of this colour will not come: its step is done, by this card
                tx.add_actions([{"key": f"manual_card:{card_id}", "kind": kind, "at": now,
                                 "order_number": number, "unit_code": order.unit_code, "step": step_name,
                                 "details": {"manual_card": card_id, "by": actor}, "instance_id": None,
                                 "recorded_at": now}])
                order.fired_steps = [*order.fired_steps, step_name]
                details["replaces_rule_step"] = step_name
                self._rearm(tx, order, unit, now)
                tx.update_order(order)
            tx.add_event(number, "card_issued", now, actor, details, now)
            tx.audit(now, actor, "card.issued", number, {**details, "unit": order.unit_code})
        log.info("card issued", extra={"order": number, "color": color, "actor": actor})
        return card_id
