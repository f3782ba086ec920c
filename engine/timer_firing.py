"""Timer firing: claim the instances whose timer is due, advance each, retry or park the ones that fail; the
quarterly report's schedule; the backlog the health checks show."""
from __future__ import annotations

import logging
import traceback
from datetime import datetime, timedelta
from typing import Any

from engine.domain import deadlines
from engine.domain.errors import AlreadyScheduled, StoreUnavailable
from engine.domain.model import Instance
from engine.persistence.store import SqlTransaction
from engine.ports import FiringObserver, NoObserver
from engine.runtime import runner
from engine.workflow_steps import WorkflowSteps, _Busy, _Step
from engine.workflow_steps import local_iso as _iso

log = logging.getLogger("duban.engine")

QUARTERLY = "quarterly_report"
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))


class _StepFailed(Exception):
    """A step failed in a batch run without savepoints: the batch is rolled back and run again with them."""


class TimerFiring(WorkflowSteps):
    """Mixed into `Engine`: everything a worker's tick does."""

    worker_id: str
    observer: FiringObserver = NoObserver()  # the worker's metrics (workflows/metrics.py)

    def fire_due_timers(self, *, limit: int = 200) -> int:
        """Claim instances whose timer is due and advance each, in one transaction for the batch.

        The batch first runs without a savepoint per instance (two round trips less per firing). If a step fails,
        that transaction is rolled back whole and the batch runs again with a savepoint per instance, so the broken
        instance is retried later or parked and cannot hold the others back. In replay mode (workflows held in
        memory, where a rolled-back step cannot be run again from the database) every batch has savepoints."""
        now = self.clock.now()
        if self._held is None:
            try:
                return self._fire_batch(now, limit, isolated=False)
            except _StepFailed:
                log.info("a step failed in a batch without savepoints; running the batch again with them")
        return self._fire_batch(now, limit, isolated=True)

    def _fire_batch(self, now: datetime, limit: int, *, isolated: bool) -> int:
        fired: list[tuple[str, datetime]] = []  # (step, due time) of each timer fired, told once committed
        failed: list[str] = []
        with self.store.transaction() as tx:
            for instance, state in tx.claim_due(now, limit):
                instance_id = instance.id
                steps: dict[datetime, str] = {}
                try:
                    with tx.step(isolated=isolated):
                        dues = self._fire(tx, instance, state, now, steps)
                    fired += [(steps.get(due, instance.kind), due) for due in dues]
                except _Busy:
                    continue  # nothing was written for it: the order's row is held by a request
                except StoreUnavailable:
                    raise  # the whole batch rolls back; the next tick retries it
                except Exception as exc:  # a BPMN or data fault: retry later, then park it; keep the worker alive
                    if not isolated:
                        raise _StepFailed from exc  # rolls back the batch; it runs again with savepoints
                    failed.append(next(reversed(steps.values()), instance.kind))
                    self._retry_later(tx, instance_id, exc, now)
        for step_name, due in fired:
            self.observer.fired(step_name, due, now)
        for step_name in failed:
            self.observer.failed(step_name)
        return len(fired)

    def ensure_quarterly_report(self, at: datetime | None = None) -> str:
        """Make sure the report for the quarter containing `at` is scheduled; returns its label."""
        at = at or self.clock.now()
        year, quarter = deadlines.quarter_of(at)
        try:
            with self.store.transaction() as tx:
                return self._ensure_quarter(tx, year, quarter, at)
        except AlreadyScheduled:
            return deadlines.quarter_label(year, quarter)  # another worker did it a moment ago

    def backlog(self) -> dict[str, Any]:
        with self.store.reading() as tx:
            return tx.backlog(self.clock.now())

    def next_due(self) -> datetime | None:
        with self.store.reading() as tx:
            return tx.next_due()

    def take_actions_before(self, before: datetime) -> list[dict[str, Any]]:
        """Remove and return the recorded actions earlier than `before` (replay streams them out)."""
        with self.store.transaction() as tx:
            return tx.take_actions_before(before)

    def _fire(self, tx: SqlTransaction, instance: Instance, state: str, now: datetime,
              steps: dict[datetime, str]) -> list[datetime]:
        """Advance one claimed (locked) instance through every timer due by `now`; returns their due times and
        notes in `steps` the rule step each one ran."""
        order, unit = None, None
        if instance.order_number:
            found = tx.get_order_and_unit(instance.order_number)
            if found is None:
                raise _Busy  # a request is changing this order right now; the next tick takes it
            order, unit = found
            if instance.unit_code:  # a co-handling unit's sign-for process chases that unit
                unit = tx.get_unit(instance.unit_code)
        instruction = tx.get_instruction(instance.instruction_id) if instance.instruction_id else None
        step = _Step(tx, instance, order, unit, instruction)
        wf = self._load(instance, state)
        steps_before = list(order.fired_steps) if order is not None else []
        operate = self._operation_for(step)

        def noting(name: str, params: dict[str, Any], element_id: str, at: datetime) -> dict[str, Any]:
            steps[at] = str(params.get("step") or steps.get(at) or instance.kind)
            return operate(name, params, element_id, at)

        fired = runner.wake(wf, until=now, operation=noting, facts=self._facts(step))
        tx.record_firings(instance.id, fired, now, self.worker_id)
        self._save(step, wf, now)
        if order is not None and order.fired_steps != steps_before:
            tx.update_fired_steps(order)  # the only fact about the order a timer step changes
        if instance.kind == "quarterly" and instance.status == "completed":
            assert instance.quarter is not None
            self._ensure_quarter(tx, *deadlines.next_quarter(int(instance.quarter[:4]), int(instance.quarter[-1])), now)
        return fired

    def _retry_later(self, tx: SqlTransaction, instance_id: int, exc: Exception, now: datetime) -> None:
        """A firing that failed is retried after 1, 5 and 30 minutes, then parked as failed for a supervisor."""
        found = tx.lock_instance(instance_id)
        if found is None:
            return
        instance, state = found
        attempts = tx.instance_attempts(instance_id) + 1
        if attempts >= len(RETRY_DELAYS) + 1:
            instance.status = "failed"
        else:
            instance.next_due_at = now + RETRY_DELAYS[attempts - 1]
        error = "".join(traceback.format_exception_only(exc)).strip()
        tx.update_instance(instance, state, now, error=error)
        tx.audit(now, "rules", "instance.failed" if instance.status == "failed" else "instance.retry",
                 instance.order_number, {"instance": instance_id, "attempt": attempts, "error": error})
        log.error("workflow step failed", extra={"order": instance.order_number, "instance": instance_id,
                                                 "attempt": attempts, "parked": instance.status == "failed",
                                                 "error": error})

    def _ensure_quarter(self, tx: SqlTransaction, year: int, quarter: int, at: datetime) -> str:
        label = deadlines.quarter_label(year, quarter)
        if not tx.quarter_exists(label):
            report_at = deadlines.quarter_report_at(self.rules, self.calendar, year, quarter)
            step = _Step(tx, Instance(0, "quarterly", "", "waiting", None, quarter=label))
            self._start(step, QUARTERLY, {"report_at": _iso(report_at), "quarter": label}, at)
        return label
