"""Use cases of the 2025 national rules (国办函〔2025〕66号), mixed into `Engine`: a unit's dispatch objection
(退单 with a reason code, in a window) and the hotline's decision (改派 or back to the same unit), co-handling
units signing for and adding their part, hard cases (疑难工单) and the coordination meeting (会商) on one.

Each BPMN process here is a new, small one started by the engine: `dispatch_objection` per objection (the
decision's deadline and the supervisor task when it passes), `co_unit_sign_for` per co-handling unit (SMS, the
sign-for chase and the card for that unit), `hard_case` per hard case (the record that it is one); a hard case
then escalates the one way every order does at once (提级督办, `Escalation._escalate_now`: bpmn/letter_reply.bpmn).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from engine.domain import deadlines
from engine.domain.errors import InvalidInput, InvalidTransition, UnknownUnit, UnknownWorkOrder
from engine.domain.model import HandlingUnit, Instance
from engine.domain.objections import (
    DECISION_LABELS,
    check_co_sign,
    check_co_units,
    check_consultation,
    check_decision,
    check_objection,
    co_unit_entry,
    decision_due_at,
    hard_case_reason,
)
from engine.domain.work_order import Status, WorkOrder, apply_event, check_event
from engine.persistence import objection_store as queries
from engine.persistence.store import SqlTransaction
from engine.runtime import runner
from engine.workflow_steps import WorkflowSteps, _Step
from engine.workflow_steps import local_iso as _iso

log = logging.getLogger("duban.engine")

OBJECTION, CO_UNIT, HARD_CASE = "dispatch_objection", "co_unit_sign_for", "hard_case"
CO_UNIT_KIND = "co_unit"  # the kind of a co-handling unit's sign-for instance


def _aware(at: object) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise InvalidInput(f"a time with its UTC offset is required, got {at!r}")


class ObjectionCases(WorkflowSteps):
    """Needs from `Engine`: _order, _cancel_ladder, _start_work_order_process, _deliver, _hand_over,
    _set_deadline, _deadline_from_basis, _escalate_now."""

    # ------------------------------------------------------------------ dispatch objections (退单)
    def object_to_dispatch(self, number: str, *, reason: str, at: datetime, actor: str, note: str = "",
                           unit_code: str | None = None) -> WorkOrder:
        """The order's unit says it is not its order (or not yet handleable): a reason code from the rule table,
        within the window. Its ladder stops; the hotline must decide by the decision deadline."""
        _aware(at)
        if len(note) > 2000:
            raise InvalidInput("退单说明不能超过 2000 个字符 (objection note is too long)")
        with self.store.transaction() as tx:
            order = self._order(tx, number)  # type: ignore[attr-defined]
            if unit_code is not None and order.unit_code != unit_code:
                raise UnknownWorkOrder(number)
            check_objection(order, at, reason, self.rules, self.calendar)
            decide_by = decision_due_at(self.rules, self.calendar, at)
            apply_event(order, "objected", at)
            self._cancel_ladder(tx, order)  # type: ignore[attr-defined]
            details = {"reason": reason, "unit": order.unit_code, "decide_by": _iso(decide_by),
                       **({"note": note} if note else {})}
            tx.add_event(number, "objected", at, actor, details, self.clock.now())
            tx.audit(self.clock.now(), actor, "order.objected", number, {**details, "at": at.isoformat()})
            step = _Step(tx, Instance(0, "objection", "", "waiting", None, order_number=number), order,
                         tx.get_unit(order.unit_code))
            self._start(step, OBJECTION, {"decide_by_at": _iso(decide_by)}, at)
            tx.update_order(order)
        log.info("dispatch objection", extra={"order": number, "reason": reason})
        return order

    def decide_objection(self, number: str, *, decision: str, at: datetime, actor: str,
                         unit_code: str | None = None, note: str = "") -> WorkOrder:
        """accepted → re-dispatched (改派) to `unit_code` with a new clock; rejected → back to the same unit, its
        deadline unchanged (moved by the time in objection only if the rule table pauses the clock)."""
        _aware(at)
        if len(note) > 2000:
            raise InvalidInput("审核意见不能超过 2000 个字符 (decision note is too long)")
        with self.store.transaction() as tx:
            order = self._order(tx, number)  # type: ignore[attr-defined]
            check_decision(order, at, decision, unit_code, queries.objection_open(tx.c, number))
            objecting, objected_at = order.unit_code, order.returned_at
            assert objected_at is not None
            late = at > decision_due_at(self.rules, self.calendar, objected_at)
            if decision == "accepted":
                assert unit_code is not None
                unit = tx.get_unit(unit_code)
                if unit is None:
                    raise UnknownUnit(unit_code)
                self._hand_over(tx, order, unit, at, actor, note)  # type: ignore[attr-defined]
            else:
                unit = tx.get_unit(order.unit_code)
                order.returned_at, order.last_event_at = None, at
                if self.rules.objection_pauses_clock:
                    paused = int((at - objected_at).total_seconds())
                    order.deadline_basis = [*order.deadline_basis, {"rule": "paused", "seconds": paused}]
                    self._set_deadline(order, self._deadline_from_basis(order))  # type: ignore[attr-defined]
                self._start_work_order_process(tx, order, unit, at, reopen=False)  # type: ignore[attr-defined]
            details = {"decision": decision, "from": objecting, "unit": order.unit_code, "late": late,
                       **({"note": note} if note else {})}
            tx.add_event(number, "objection_decided", at, actor, details, self.clock.now())
            tx.audit(self.clock.now(), actor, "order.objection_decided", number, {**details, "at": at.isoformat()})
            queries.close_objection_tasks(tx.c, number, DECISION_LABELS[decision], at, actor)
            self._deliver(tx, order, unit, "objection_decided", {"decision": decision}, at)  # type: ignore[attr-defined]
            tx.update_order(order)
        log.info("dispatch objection decided", extra={"order": number, "decision": decision})
        return order

    # ------------------------------------------------------------------ co-handling units (协办)
    def _start_co_units(self, tx: SqlTransaction, order: WorkOrder, co_units: list[str], at: datetime) -> None:
        units = []
        for code in check_co_units(order.unit_code, co_units):
            unit = tx.get_unit(code)
            if unit is None:
                raise UnknownUnit(code)
            units.append(unit)
        order.co_units = [{"unit": u.code, "signed_at": None} for u in units]
        sign_at = deadlines.sign_overdue_at(self.rules, self.calendar, at)
        window_end = self.calendar.nth_working_day_after(deadlines.local_date(at), self.rules.sign_for_working_days)
        yellow_day = self.calendar.nth_working_day_after(window_end.result, self.rules.yellow_card_working_days)
        data = {"sign_overdue_at": _iso(sign_at),
                "co_yellow_at": _iso(deadlines.local_instant(yellow_day.result, self.rules.ladder_time))}
        for unit in units:
            step = _Step(tx, Instance(0, CO_UNIT_KIND, "", "waiting", None, order_number=order.number,
                                      unit_code=unit.code), order, unit)
            self._start(step, CO_UNIT, data, at)

    def co_sign(self, number: str, *, unit_code: str, at: datetime, actor: str) -> WorkOrder:
        """A co-handling unit signs for its part; its own sign-for chase stops."""
        _aware(at)
        with self.store.transaction() as tx:
            order = self._order(tx, number)  # type: ignore[attr-defined]
            check_co_sign(order, unit_code, at)
            order.co_units = [{**c, "signed_at": at.isoformat()} if c["unit"] == unit_code else c
                              for c in order.co_units]
            order.last_event_at = at
            tx.add_event(number, "co_signed", at, actor, {"unit": unit_code}, self.clock.now())
            tx.audit(self.clock.now(), actor, "order.co_signed", number, {"unit": unit_code, "at": at.isoformat()})
            for instance, state in tx.open_instances_of_order(number):
                if instance.unit_code == unit_code:
                    step = _Step(tx, instance, order, tx.get_unit(unit_code))
                    wf = self._load(instance, state)
                    if runner.deliver(wf, "co_signed", {}, at=at, operation=self._operation_for(step),
                                      facts=self._facts(step)):
                        self._save(step, wf, at)
            tx.update_order(order)
        return order

    def contribute(self, number: str, *, unit_code: str, text: str, at: datetime, actor: str) -> WorkOrder:
        """A co-handling unit adds its contribution (only the lead unit replies to the citizen)."""
        _aware(at)
        if not isinstance(text, str) or not text.strip() or len(text) > 2000:
            raise InvalidInput("协办意见须为 1 到 2000 个字符 (a contribution needs 1 to 2000 characters)")
        with self.store.transaction() as tx:
            order = self._order(tx, number)  # type: ignore[attr-defined]
            co_unit_entry(order, unit_code)
            if order.status == Status.CLOSED:
                raise InvalidTransition(f"该工单已办结 ({number} is already closed)")
            if order.last_event_at is not None and at < order.last_event_at:
                raise InvalidTransition(f"时间早于该工单上一次办理记录 ({number})")
            order.last_event_at = at
            tx.add_event(number, "contributed", at, actor, {"unit": unit_code, "text": text.strip()}, self.clock.now())
            tx.audit(self.clock.now(), actor, "order.contributed", number, {"unit": unit_code, "at": at.isoformat()})
            tx.update_order(order)
        return order

    # ------------------------------------------------------------------ hard cases (疑难工单) and 会商
    def _check_hard_case(self, tx: SqlTransaction, order: WorkOrder, unit: HandlingUnit | None, at: datetime) -> None:
        """Mark the order a hard case the first time it meets the rule, and escalate it (提级督办) unless it already
        is in this round."""
        if order.hard_case_at is not None:
            return
        reason = hard_case_reason(self.rules, order, queries.units_dispatched(tx.c, order.number))
        if reason is None:
            return
        order.hard_case_at = at
        tx.add_event(order.number, "hard_case", at, "rules", {"reason": reason}, self.clock.now())
        tx.audit(self.clock.now(), "rules", "order.hard_case", order.number, {"reason": reason, "at": at.isoformat()})
        step = _Step(tx, Instance(0, "hard_case", "", "waiting", None, order_number=order.number), order, unit)
        self._start(step, HARD_CASE, {}, at)
        self._escalate_now(tx, order, at, "rules", f"疑难工单：{reason}")  # type: ignore[attr-defined]
        log.info("hard case", extra={"order": order.number, "reason": reason})

    def record_consultation(self, number: str, *, held_on: datetime, present: list[str], decision: str,
                            lead_unit: str, co_units: list[str], working_days: int, actor: str) -> WorkOrder:
        """A coordination meeting (会商) on a hard case: who was there, what was decided; it sets the lead and
        co-handling units and a new deadline `working_days` after the meeting."""
        _aware(held_on)
        with self.store.transaction() as tx:
            order = self._order(tx, number)  # type: ignore[attr-defined]
            co_units = check_consultation(order, held_on, present=present, decision=decision, lead_unit=lead_unit,
                                          co_units=co_units, working_days=working_days,
                                          unit_known=lambda code: tx.get_unit(code) is not None)
            lead = tx.get_unit(lead_unit)
            assert lead is not None
            if order.unit_code != lead_unit or order.returned_at is not None:
                self._hand_over(tx, order, lead, held_on, actor, "会商确定主办单位",  # type: ignore[attr-defined]
                                returned=order.returned_at is not None)
            day = self.calendar.nth_working_day_after(deadlines.local_date(held_on), working_days)
            new_deadline = deadlines.local_instant(day.result, deadlines.END_OF_DAY)
            order.deadline_basis = [*order.deadline_basis, {"rule": "consultation", "deadline_at": new_deadline.isoformat(),
                                                            "working_days": working_days}]
            self._set_deadline(order, self._deadline_from_basis(order))  # type: ignore[attr-defined]
            self._cancel_ladder(tx, order)  # type: ignore[attr-defined]
            order.fired_steps = []
            self._start_work_order_process(tx, order, lead, held_on, reopen=False)  # type: ignore[attr-defined]
            known = {c["unit"]: c for c in order.co_units}
            dropped = [c for c in known if c not in co_units]  # left out by the meeting, or made the lead
            self._cancel_instances(tx, number, (CO_UNIT_KIND,), units=dropped)  # type: ignore[attr-defined]
            order.co_units = []
            fresh = [c for c in co_units if c not in known]
            self._start_co_units(tx, order, fresh, held_on)
            order.co_units = [known[c] for c in co_units if c in known] + order.co_units
            order.last_event_at = held_on
            details = {"present": present, "decision": decision.strip(), "unit": lead_unit, "co_units": co_units,
                       "working_days": working_days, "deadline": _iso(order.deadline_at),
                       **({"dropped": dropped} if dropped else {}), **({"added": fresh} if fresh else {})}
            tx.add_event(number, "consultation", held_on, actor, details, self.clock.now())
            tx.audit(self.clock.now(), actor, "order.consultation", number, {**details, "at": held_on.isoformat()})
            tx.update_order(order)
        return order


def moved_deadline(deadline: deadlines.Deadline, step: dict[str, Any]) -> deadlines.Deadline:
    """The deadline after a pause for an objection or a coordination meeting's new date (deadline_basis steps)."""
    if step["rule"] == "paused":
        seconds = int(str(step["seconds"]))
        at = deadline.at + timedelta(seconds=seconds)
        return deadlines.Deadline(at, deadline.provisional,
                                  f"{deadline.explanation}；{step.get('why', '退单审核')}期间暂停 {seconds // 3600} 小时，顺延至 "
                                  f"{_iso(at)}")
    at = datetime.fromisoformat(str(step["deadline_at"]))
    return deadlines.Deadline(at, deadline.provisional,
                              f"疑难工单会商确定新时限：会商后 {step['working_days']} 个工作日，截止 {_iso(at)}")
