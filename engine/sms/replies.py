"""What a unit's contact can do in answer to a message, without a password: through the signed link in the
message (see the acknowledgement page), or by replying `签收 <工单号>` / `收到 <工单号>` where the gateway
carries replies. Every answer is bound to the contact the message went to and to that message's order(s)."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain.errors import InvalidInput, InvalidTransition, UnknownWorkOrder
from engine.domain.phones import mask
from engine.domain.calendar import WorkingCalendar
from engine.domain.lateness import lateness
from engine.domain.rules import ROUTINE
from engine.domain.work_order import STATUS_LABELS, Status, WorkOrder
from engine.ports import InboundSms
from engine.services import Engine
from engine.sms.links import AckLinks, InvalidLink

log = logging.getLogger("duban.sms")

_REPLY = re.compile(r"^\s*(签收|收到|确认)\s*[:：]?\s*([A-Za-z0-9][A-Za-z0-9_\-]{0,63})\s*$")


@dataclass(frozen=True)
class LinkView:
    message_id: int
    contact: str  # masked
    sent_at: Any
    acknowledged_at: Any
    orders: list[dict[str, Any]]


class UnitReplies:
    def __init__(self, engine: Engine, links: AckLinks) -> None:
        self.engine, self.links = engine, links

    # ------------------------------------------------------------------ the signed link
    def open(self, token: str) -> LinkView:
        """The orders a link covers, for the page the contact sees. InvalidLink / ExpiredLink when refused."""
        message_id = self.links.verify(token, self.engine.clock.now())
        with self.engine.store.reading() as tx:
            row = tx.sms_row(message_id)
            if row is None:
                raise InvalidLink("the message behind this link no longer exists")
            numbers = self._orders_of(tx, row)
            orders = []
            for number in numbers:
                order = tx.get_order(number)
                if order is None or not tx.is_contact_of_unit(row["recipient"], order.unit_code):
                    continue  # the contact has since been removed from the unit: it may no longer act on the order
                unit = tx.get_unit(order.unit_code)
                orders.append(_summary(order, unit.name if unit else order.unit_code,
                                       self.engine.clock.now(), self.engine.calendar))
        return LinkView(message_id, mask(row["recipient"]), row["sent_at"], row["acknowledged_at"], orders)

    def acknowledge(self, token: str) -> LinkView:
        """The contact confirms the message reached them."""
        view = self.open(token)
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            row = tx.sms_row(view.message_id, lock=True)
            assert row is not None
            if row["acknowledged_at"] is None:
                tx.update_sms(row["id"], acknowledged_at=now)
                for merged in tx.merged_into(row["id"]):
                    tx.update_sms(merged["id"], acknowledged_at=now)
                for order in view.orders:
                    tx.audit(now, f"sms-link {view.contact}", "sms.acknowledged", order["number"],
                             {"sms_id": row["id"]})
        log.info("sms acknowledged", extra={"sms_id": view.message_id, "orders": [o["number"] for o in view.orders]})
        return self.open(token)

    def sign(self, token: str, number: str) -> WorkOrder:
        """The contact signs for one of the link's orders (签收)."""
        view = self.open(token)
        if number not in {o["number"] for o in view.orders}:
            raise UnknownWorkOrder(number)  # not this link's order: the same answer as for a made-up number
        self.acknowledge(token)
        return self.engine.record_event(number, "signed", at=self.engine.clock.now(),
                                        actor=f"sms-link {view.contact}", note="经短信链接签收")

    # ------------------------------------------------------------------ replies by SMS
    def handle_inbound(self, sms: InboundSms) -> str:
        """Act on a reply once (the provider may post it twice) and return the answer to send back."""
        now = self.engine.clock.now()
        with self.engine.store.reading() as tx:
            done = tx.inbound_outcome(sms.provider_id)
        if done is not None:
            return done
        number, outcome = self._act_on(sms)
        with self.engine.store.transaction() as tx:
            if not tx.add_inbound(provider_id=sms.provider_id, sender=sms.sender, body=sms.body[:1000],
                                  order_number=number, outcome=outcome, received_at=now):
                return tx.inbound_outcome(sms.provider_id) or outcome
        log.info("sms reply", extra={"order": number, "from": mask(sms.sender), "outcome": outcome})
        return outcome

    def _act_on(self, sms: InboundSms) -> tuple[str | None, str]:
        match = _REPLY.match(sms.body or "")
        if match is None:
            return None, "未能识别。请回复“签收 工单号”签收工单，或“收到 工单号”确认收到提醒。"
        verb, number = match.groups()
        with self.engine.store.reading() as tx:
            order = tx.get_order(number)
            allowed = order is not None and tx.is_contact_of_unit(sms.sender, order.unit_code)
        if order is None or not allowed:
            return None, f"工单{number}不存在或不属于本号码所在单位。"
        if verb != "签收":
            self._acknowledge_latest(sms.sender, number)
            return number, f"已确认收到工单{number}的提醒。"
        try:
            self.engine.record_event(number, "signed", at=self.engine.clock.now(), actor=f"sms {mask(sms.sender)}",
                                     note="经短信回复签收")
        except (InvalidTransition, InvalidInput) as exc:
            return number, f"工单{number}未能签收：{explain_refusal(exc)}"
        return number, f"工单{number}已签收，请按期办理。"

    def _acknowledge_latest(self, phone: str, number: str) -> None:
        now = self.engine.clock.now()
        with self.engine.store.transaction() as tx:
            for row in tx.unacknowledged_to(phone, number):
                tx.update_sms(row, acknowledged_at=now)
            tx.audit(now, f"sms {mask(phone)}", "sms.acknowledged", number, {})

    @staticmethod
    def _orders_of(tx: Any, row: dict[str, Any]) -> list[str]:
        if row["order_number"]:
            return [row["order_number"]]
        return [n for n in (row["params"] or {}).get("order_numbers", []) if isinstance(n, str)]


def _summary(order: WorkOrder, unit_name: str, now: datetime, cal: WorkingCalendar) -> dict[str, Any]:
    running = order.status in (Status.DISPATCHED, Status.SIGNED) and order.returned_at is None
    late = (lateness(order.deadline_at, now, cal, natural_hours=order.urgency != ROUTINE)
            if running and order.deadline_at is not None else None)
    return {"number": order.number, "title": order.title, "unit": unit_name, "status": STATUS_LABELS[order.status],
            "signed": order.signed_at is not None, "closed": order.closed_at is not None,
            # 签收 is offered only while the order is unsigned, open and still the unit's (not returned)
            "can_sign": order.status == Status.DISPATCHED and order.signed_at is None and order.returned_at is None,
            "late": late.text if late else None, "overdue": bool(late and late.overdue),
            "dispatched_at": order.dispatched_at, "deadline_at": order.deadline_at,
            "deadline_provisional": order.deadline_provisional}


def explain_refusal(exc: Exception) -> str:
    """Why a contact's sign-for was refused, in words for the contact."""
    text = str(exc)
    if "already signed" in text:
        return "该工单已签收，无需重复签收。"
    if "closed" in text:
        return "该工单已办结。"
    return text
