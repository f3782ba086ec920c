"""One table of event words: what the order page's timeline calls an event, the events import takes back."""
from engine.domain.event_words import EVENT_WORDS
from engine.intake.orders import API_EVENT_TYPES
from workflows.intake.event_import import TYPE_WORDS
from web.pages.labels import audit_label


def test_a_word_copied_off_the_timeline_imports_as_that_event():
    for kind in API_EVENT_TYPES:
        if kind == "returned":  # under the 2025 rules a clerk's 退单 is a dispatch objection
            assert TYPE_WORDS[EVENT_WORDS[kind]] == "objected"
            continue
        assert TYPE_WORDS[EVENT_WORDS[kind]] == kind, kind


def test_the_clerks_own_words_still_import():
    assert {TYPE_WORDS[w] for w in ("审核办结", "登记回访", "退回重办", "会商", "派单异议", "异议审核", "办理进展")} == {
        "closed", "callback", "reopened", "consultation", "objected", "objection_decided", "progress_reported"}


def test_the_audit_log_names_an_order_event_with_the_timelines_word():
    assert audit_label("order.signed") == "签收（order.signed）"
    assert audit_label("order.extension_rejected") == "不予延期（order.extension_rejected）"
    assert audit_label("order.unheard_of") == "order.unheard_of"
