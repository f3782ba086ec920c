from __future__ import annotations

from pathlib import Path

import pytest

from config.assessment_loader import load_assessment
from tests.conftest import local
from workflows.assessment.service import AssessmentService

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "assessment.toml"
UNITS = {"U01": "揭阳市生态环境局", "U02": "揭阳市住房和城乡建设局", "U03": "揭阳市交通运输局"}


def config_with(tmp_path: Path, extra: str):
    path = tmp_path / f"assessment-{abs(hash(extra))}.toml"
    path.write_text(SHIPPED.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return load_assessment(path)


@pytest.fixture
def service(engine):
    for code, name in UNITS.items():
        engine.register_unit(code, name, [f"+86138001380{code[-2:]}"])
    return AssessmentService(engine, load_assessment())


def run_until(engine, clock, until):
    """Fire every timer due by `until` at its own due time, as a worker would."""
    while (due := engine.next_due()) is not None and due <= until:
        clock.set(max(due, clock.now()))
        engine.fire_due_timers()
    clock.set(until)


# June 2026 (端午 is Fri 06-19). number, unit, dispatched; all 咨询 (2 working days), 一般.
ORDERS = [
    ("J1", "U01", local(2026, 6, 1, 10)), ("J2", "U01", local(2026, 6, 2, 10)), ("J3", "U02", local(2026, 6, 3, 10)),
    ("J4", "U02", local(2026, 6, 8, 10)), ("J5", "U03", local(2026, 6, 9, 10)), ("J6", "U01", local(2026, 6, 29, 10)),
]
EVENTS = [  # at, number, event, callback (satisfaction, attributed to the unit)
    (local(2026, 6, 1, 15), "J1", "signed", None), (local(2026, 6, 2, 10), "J1", "replied", None),
    (local(2026, 6, 3, 10), "J1", "callback", ("满意", False)),
    (local(2026, 6, 3, 9), "J2", "signed", None),  # sign-for day 06-03: on time
    (local(2026, 6, 12, 10), "J2", "replied", None),  # deadline 06-04: late (ladder: notice, yellow card…)
    (local(2026, 6, 15, 10), "J2", "callback", ("不满意", True)),  # → reopened
    (local(2026, 6, 3, 11), "J3", "signed", None), (local(2026, 6, 4, 11), "J3", "replied", None),
    (local(2026, 6, 5, 11), "J3", "callback", ("不满意", False)),  # not the unit's fault: no reopen
    (local(2026, 6, 10, 9), "J4", "signed", None),  # late
    (local(2026, 6, 9, 11), "J5", "signed", None), (local(2026, 6, 10, 11), "J5", "replied", None),
    (local(2026, 6, 11, 11), "J5", "callback", ("基本满意", False)),
]


def run_june(engine, clock, service, until=local(2026, 7, 1, 8)):
    timeline = [(at, 0, n, "open", u) for n, u, at in ORDERS] + [(at, 1, n, e, c) for at, n, e, c in EVENTS]
    for at, _, number, kind, arg in sorted(timeline, key=lambda x: (x[0], x[1])):
        run_until(engine, clock, at)
        if kind == "open":
            engine.open_work_order(number=number, unit_code=arg, category="咨询", urgency="一般", source="12345", at=at)
        elif kind == "callback":
            service.record_callback(number, satisfaction=arg[0], solved=arg[0] != "不满意", attributed_to_unit=arg[1],
                                    at=at, actor="hotline")
        else:
            engine.record_event(number, kind, at=at)
    run_until(engine, clock, until)
