"""An order at a glance: who holds it, its state, what is left or how late it is, and the next step with its time.
The order page's status strip, the order list's columns and the call queue's cards all read it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.domain.calendar import WorkingCalendar
from engine.domain.lateness import Lateness, lateness, next_step_text
from engine.domain.model import Instruction
from engine.domain.pending_steps import pending_steps
from engine.domain.rules import ROUTINE, RuleTable
from engine.domain.work_order import STATUS_LABELS, Status, WorkOrder


@dataclass(frozen=True)
class Glance:
    holder: str          # who has to act now
    state: str           # the status in words
    late: Lateness | None  # None once replied or closed (nothing is running late any more)
    next_step: str       # "12月4日 09:00 亮黄牌", or "" when no rule step is ahead
    next_step_at: datetime | None

    @property
    def late_text(self) -> str:
        return self.late.text if self.late else "—"


def glance(order: WorkOrder, unit_name: str, rules: RuleTable, cal: WorkingCalendar, now: datetime, *,
           instructions: list[Instruction] | None = None, extra_steps: list[tuple[str, datetime]] = ()  # type: ignore[assignment]
           ) -> Glance:
    """`extra_steps`: (step, due) the ladder of the order does not know about (提级督办 after a letter)."""
    if order.status == Status.CLOSED:
        return Glance("—", STATUS_LABELS[order.status], None, "", None)
    if order.status == Status.REPLIED:
        return Glance("督办科（审核回复）", STATUS_LABELS[order.status], None, "", None)
    if order.returned_at is not None:
        holder, state = "督办科（退单待重新派发）", "已退单"
    else:
        holder, state = unit_name, STATUS_LABELS[order.status]
    late = (lateness(order.deadline_at, now, cal, natural_hours=order.urgency != ROUTINE)
            if order.deadline_at is not None else None)
    ahead = [(s.step, s.due_at) for s in pending_steps(order, rules, cal, instructions=instructions or [], now=now)]
    ahead += [(step, at) for step, at in extra_steps if at > now and order.returned_at is None]
    if not ahead:
        return Glance(holder, state, late, "", None)
    step, at = min(ahead, key=lambda s: s[1])
    return Glance(holder, state, late, next_step_text(step, at), at)
