"""/metrics on the worker's health port and on the web app, read with prometheus_client's parser: the numbers a
Prometheus would see move when a timer fires, an SMS fails and a document fails; the database gauges agree
between processes; HTTP latency is kept by route; only this machine or the token holder may read it."""
from __future__ import annotations

from dataclasses import replace

import pytest

from tests.conftest import local
from tests.documents.conftest import doc_settings, no_font_settings  # noqa: F401 - fixtures
from tests.metrics_support import parse, scrape, value
from tests.sms.conftest import PHONE_A, SmsWorld, fake, make_world, world  # noqa: F401 - fixtures
from web import create_app
from workflows.documents.issuing import issue_all_pending, render_files
from workflows.scheduler import WorkerHealth, serve_health


@pytest.fixture
def worker_metrics(world: SmsWorld):  # noqa: F811
    server = serve_health(world.engine, WorkerHealth(5.0), 0)
    yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    server.shutdown()
    server.server_close()


def _failing_render(content, settings):
    raise ValueError("Not enough horizontal space to render a single character")


def test_worker_metrics_move_when_a_timer_fires_an_sms_fails_and_a_document_fails(world: SmsWorld,  # noqa: F811
                                                                                  worker_metrics, no_font_settings):  # noqa: F811
    world.engine.register_unit("U1", "揭阳市生态环境局", [PHONE_A])
    world.clock.set(local(2026, 6, 1, 10, 0))
    world.engine.open_work_order(number="WO-1", unit_code="U1", category="咨询", urgency="一般", source="12345",
                                 at=world.clock.now())
    m = scrape(worker_metrics)
    assert value(m, "duban_sms_messages", state="pending") == 1  # the dispatch notice
    assert value(m, "duban_sms_messages", state="failed") == 0
    assert value(m, "duban_timer_backlog") == 0 and value(m, "duban_timer_oldest_due_age_seconds") == 0
    assert value(m, "duban_up") == 1

    world.fake.script("error:400:21211")  # Twilio: not a valid number
    world.run()
    m = scrape(worker_metrics)
    assert value(m, "duban_sms_messages", state="failed") == 1 and value(m, "duban_sms_messages", state="pending") == 0

    world.clock.set(local(2026, 6, 4, 9, 30))  # the reminder, the overdue notice and the sign-for chase are due
    m = scrape(worker_metrics)
    due = value(m, "duban_timer_backlog")
    assert due >= 1 and value(m, "duban_timer_oldest_due_age_seconds") > 3600
    assert sum(v for (name, _), v in m.items() if name == "duban_timer_firings_total") == 0

    fired = world.engine.fire_due_timers()
    m = scrape(worker_metrics)
    firings = {dict(labels)["step"]: v for (name, labels), v in m.items() if name == "duban_timer_firings_total"}
    assert sum(firings.values()) == fired >= 2 and {"due_soon", "overdue"} <= set(firings)
    assert value(m, "duban_timer_firing_lateness_seconds_count") == fired
    assert value(m, "duban_timer_firing_lateness_seconds_sum") > 3600  # fired long after they fell due
    assert value(m, "duban_timer_firing_lateness_seconds_bucket", le="0.5") == 0
    assert value(m, "duban_timer_backlog") == 0 and value(m, "duban_timer_oldest_due_age_seconds") == 0
    assert value(m, "duban_documents", state="waiting") == 1  # the 催办通知书 the overdue step asked for

    issue_all_pending(world.engine, no_font_settings, render=_failing_render)
    m = scrape(worker_metrics)
    assert value(m, "duban_documents", state="failed") == 1 and value(m, "duban_documents", state="waiting") == 0
    issue_all_pending(world.engine, no_font_settings, render=render_files)  # within the lease: not retried yet
    assert value(scrape(worker_metrics), "duban_documents", state="failed") == 1


def test_web_metrics_agree_with_the_worker_and_time_each_route(world: SmsWorld, worker_metrics):  # noqa: F811
    world.engine.register_unit("U1", "揭阳市生态环境局", [PHONE_A])
    world.engine.open_work_order(number="WO-1", unit_code="U1", category="咨询", urgency="一般", source="12345",
                                 at=world.clock.now())
    client = create_app(world.settings, engine=world.engine, sms=world.sms).test_client()
    for _ in range(3):
        assert client.get("/login").status_code == 200
    assert client.get("/orders/WO-1").status_code == 302  # not signed in: timed all the same
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain; version=0.0.4")
    web = parse(response.get_data(as_text=True))
    assert value(web, "duban_http_request_duration_seconds_count", route="/login", method="GET", status="200") == 3
    assert value(web, "duban_http_request_duration_seconds_count", route="/orders/<number>", method="GET",
                 status="302") == 1
    worker = scrape(worker_metrics)
    for name, labels in (("duban_sms_messages", {"state": "pending"}), ("duban_timer_waiting_instances", {}),
                         ("duban_timer_backlog", {})):
        assert value(web, name, **labels) == value(worker, name, **labels), name  # read from the one database


def test_metrics_are_for_this_machine_or_the_token_holder(world: SmsWorld):  # noqa: F811
    app = create_app(world.settings, engine=world.engine, sms=world.sms)
    assert app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    assert app.test_client().get("/metrics").status_code == 200  # from 127.0.0.1
    guarded = create_app(replace(world.settings, metrics_token="s3cret-metrics-token"), engine=world.engine,
                         sms=world.sms).test_client()
    assert guarded.get("/metrics").status_code == 403
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = guarded.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                     headers={"Authorization": "Bearer s3cret-metrics-token"})
    assert ok.status_code == 200 and b"duban_timer_backlog" in ok.data


def test_a_failing_firing_is_counted_by_step_and_a_parked_instance_shows(world: SmsWorld, worker_metrics):  # noqa: F811
    from workflows.operations import OPERATIONS

    world.engine.register_unit("U1", "揭阳市生态环境局", [PHONE_A])
    world.clock.set(local(2026, 6, 1, 10, 0))
    world.engine.open_work_order(number="WO-1", unit_code="U1", category="咨询", urgency="一般", source="12345",
                                 at=world.clock.now())

    def broken(ctx, params):  # the SMS step of this unit fails (a template missing at the gateway, say)
        raise RuntimeError("gateway template missing")

    world.engine.operations = {**OPERATIONS, "sms.send": broken}
    world.clock.set(local(2026, 6, 2, 9, 30))  # the reminder (due_soon) is due
    world.engine.fire_due_timers()
    m = scrape(worker_metrics)
    assert value(m, "duban_timer_firing_failures_total", step="due_soon") == 1
    assert value(m, "duban_timer_firings_total", step="due_soon") == 0  # nothing of it was kept
    for minutes in (1, 5, 30):  # retried after 1, 5 and 30 minutes, then parked
        world.clock.advance(minutes=minutes)
        world.engine.fire_due_timers()
    m = scrape(worker_metrics)
    assert value(m, "duban_timer_firing_failures_total", step="due_soon") == 4
    assert value(m, "duban_timer_failed_instances") == 1
