"""Property (issue 13): a unit's score never rises when one of its orders becomes later or gets a worse callback,
all else equal — whatever the rest of its month looks like, 不适用 items and rescaling included.

Known limit of the month definitions (口径), not of the scoring: satisfaction is judged in the month of the
callback, so a reply late enough to push its callback into the next month takes a bad callback out of this month."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from config.assessment_loader import load_assessment
from engine.assessment.compute import classify
from engine.assessment.facts import Facts, OrderFact
from engine.assessment.periods import parse_period
from engine.assessment.scores import score
from engine.domain.calendar import WorkingCalendar
from tests.conftest import local

CAL = WorkingCalendar(known_years=frozenset({2026}))
JULY = parse_period("2026-07")
FORMULA = load_assessment().formulas.for_day(JULY.first_day)
GRADES = ("满意", "基本满意", "不满意", None)  # None: no callback
WORSE = {"满意": "不满意", "基本满意": "不满意", "不满意": "不满意", None: None}

order_specs = st.lists(st.tuples(
    st.integers(0, 20),  # dispatch day offset from July 1
    st.integers(0, 72),  # hours to sign for (0 = within the hour)
    st.integers(-100, 400),  # hours from the deadline to the reply (negative: early)
    st.sampled_from(GRADES)), min_size=1, max_size=12)


def build(specs):
    out = []
    for i, (day, sign_hours, reply_hours, grade) in enumerate(specs):
        dispatched = local(2026, 7, 1, 10) + timedelta(days=day)
        deadline = dispatched + timedelta(days=7)
        signed = dispatched + timedelta(hours=sign_hours, minutes=30)
        reply = max(deadline + timedelta(hours=reply_hours), signed)
        callbacks = ((reply + timedelta(hours=2), grade),) if grade else ()
        out.append(OrderFact(f"O{i}", "U", dispatched, deadline, signed, (reply,), (), callbacks,
                             (("signed", signed), ("replied", reply))))
    return out


def total(orders):
    facts = Facts({"U": "单位"}, tuple(orders), ())
    (unit,) = score(FORMULA, classify(JULY, facts, FORMULA, CAL, sign_working_days=1), {"U": "单位"})
    return unit.total


@settings(max_examples=150, deadline=None)
@given(order_specs, st.data())
def test_a_later_or_worse_order_never_raises_the_score(specs, data):
    orders = build(specs)
    before = total(orders)
    i = data.draw(st.integers(0, len(orders) - 1))
    o = orders[i]
    change = data.draw(st.sampled_from(["later_sign", "later_reply", "worse_callback"]))
    hours = timedelta(hours=data.draw(st.integers(1, 200)))
    if change == "later_sign":
        signed = o.signed_at + hours
        worse = replace(o, signed_at=signed, responses=(("signed", signed), ("replied", max(o.replies[0], signed))),
                        replies=(max(o.replies[0], signed),))
    elif change == "later_reply":
        reply = o.replies[0] + hours
        # the callback stays where it was (all else equal): a month's satisfaction is judged by the callbacks made
        # in it, so moving a bad callback into the next month would change which month it counts in (see the note)
        worse = replace(o, replies=(reply,), responses=(("signed", o.signed_at), ("replied", reply)))
    else:
        worse = replace(o, callbacks=tuple((at, WORSE[g]) for at, g in o.callbacks))
    after = total([*orders[:i], worse, *orders[i + 1:]])
    if before is None:
        assert after is None
    else:
        assert after is not None and after <= before, (change, before, after)
