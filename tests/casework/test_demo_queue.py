"""After `duban demo --no-serve` the call queue holds only calls still worth making (from the database), and the
supervisor's workbench shows exactly those."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from config.settings import Settings
from web import create_app
from web.cli import main
from workflows.bootstrap import build_engine
from workflows.dev.demo import DEMO_PASSWORD
from tests.web_login import sign_in


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
    assert main(["demo", "--no-serve", "--database", url]) == 0
    return url


def scalar(url, sql):
    engine = sa.create_engine(url)
    with engine.connect() as c:
        value = c.execute(sa.text(sql)).scalar()
    engine.dispose()
    return value


def test_no_open_phone_task_is_on_an_order_that_no_longer_needs_a_call(demo_db):
    assert scalar(demo_db, "SELECT count(*) FROM supervisor_tasks WHERE status = 'open' AND kind = 'phone_urge'") > 0
    assert scalar(demo_db, """SELECT count(*) FROM supervisor_tasks t JOIN work_orders o ON o.number = t.order_number
        WHERE t.status = 'open' AND t.kind = 'phone_urge'
        AND (o.status IN ('replied', 'closed') OR o.returned_at IS NOT NULL)""") == 0
    assert scalar(demo_db, """SELECT count(*) FROM supervisor_tasks t JOIN work_orders o ON o.number = t.order_number
        WHERE t.status = 'open' AND t.step = 'sign_overdue' AND o.signed_at IS NOT NULL""") == 0
    assert scalar(demo_db, """SELECT count(*) FROM (SELECT order_number FROM supervisor_tasks
        WHERE status = 'open' AND kind = 'phone_urge' GROUP BY order_number HAVING count(*) > 1) AS twice""") == 0
    assert scalar(demo_db, "SELECT count(*) FROM supervisor_tasks WHERE status = 'superseded' "
                           "AND (superseded_reason IS NULL OR superseded_by IS NULL)") == 0


def test_the_supervisor_sees_exactly_the_open_calls_with_full_numbers(demo_db):
    settings = Settings(worker_id="demo-check", secret_key="test-secret-key-0123456789")
    engine = build_engine(settings, database_url=demo_db)
    app = create_app(settings, engine=engine)
    client = sign_in(app.test_client(), "duban", DEMO_PASSWORD)
    page = client.get("/workbench").get_data(as_text=True)
    open_tasks = scalar(demo_db, "SELECT count(*) FROM supervisor_tasks WHERE status = 'open'")
    assert f"电话催办队列（{open_tasks}）" in page
    assert len(re.findall(r'class="panel task"', page)) == min(open_tasks, 20)
    assert re.search(r'href="tel:\+86139\d{8}"', page)  # the supervisor makes the call: full numbers
    engine.store.engine.dispose()


def test_the_demo_orders_carry_a_realistic_request_and_address(demo_db):
    assert scalar(demo_db, "SELECT count(*) FROM work_orders") == scalar(
        demo_db, "SELECT count(*) FROM api_intake WHERE content LIKE '来电人%' AND address LIKE '揭阳市%号%'")
    # issue 19: the order keeps the request too, with its district and a point converted from GCJ-02
    assert scalar(demo_db, "SELECT count(*) FROM work_orders") == scalar(
        demo_db, "SELECT count(*) FROM work_orders WHERE content LIKE '来电人%' AND address LIKE '揭阳市%号%' "
                 "AND address LIKE '%' || district || '%' AND latitude BETWEEN 23 AND 24 AND caller_phone LIKE '1%'")
