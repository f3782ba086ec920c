"""`duban demo --fake-aliyun` wires the real SDK to the fake with contacts set to fail, so /sms shows every outcome."""
from __future__ import annotations

import threading
import sqlalchemy as sa
from werkzeug.serving import make_server

from engine.persistence.tables import outbox

from tests.conftest import local
from web import create_app
from workflows.bootstrap import build_sms
from workflows.dev.aliyun_demo import DEMO_RULES, start_fake_aliyun
from tests.web_login import client_as


def test_the_demo_shows_each_outcome_on_the_sms_page(make_engine, clock, settings):
    units = [{"code": f"U{n:02d}", "phones": [f"+861390000{n:04d}"]} for n in range(12)]
    server = make_server("127.0.0.1", 0, None, threaded=True)  # the port the demo's web app will listen on
    port = server.server_port
    fake, demo = start_fake_aliyun(settings, units, "127.0.0.1", port, clock=clock.now)
    try:
        engine = make_engine(clock=clock)
        sms = build_sms(demo, engine)
        app = create_app(demo, engine=engine, sms=sms)
        server.app = app
        threading.Thread(target=server.serve_forever, daemon=True).start()
        clock.set(local(2026, 6, 2, 10, 0))
        for n, unit in enumerate(units):
            engine.register_unit(unit["code"], f"单位{n}", unit["phones"])
            engine.open_work_order(number=f"WO-{n}", unit_code=unit["code"], category="咨询", urgency="一般",
                                   source="12345", at=clock.now())
        sms.delivery.run(sms.gateway)
        engine.add_instruction("WO-0", leader="市长", text="请尽快办理", at=clock.now(), actor="demo")
        sms.delivery.run(sms.gateway)  # on its own, not merged into a digest: its template was withdrawn
        clock.advance(minutes=11)
        sms.delivery.run(sms.gateway)
        page = client_as(app, engine, "duban", "supervisor").get("/sms").get_data(as_text=True)
        with engine.store.reading() as tx:
            slow_rows = tx.c.execute(sa.select(outbox.c.status).where(
                outbox.c.recipient == units[7]["phones"][0])).scalars().all()
    finally:
        server.shutdown()
        fake.stop()
    assert len(DEMO_RULES) == 5
    assert DEMO_RULES[3].startswith("slow") and slow_rows in (["queued"], ["delivered"])  # found, not resent
    assert len([m for m in fake.messages if m.phone == units[7]["phones"][0][3:]]) == 1
    for shown in ("isv.MOBILE_NUMBER_ILLEGAL", "isv.SMS_TEMPLATE_ILLEGAL", "isv.BUSINESS_LIMIT_CONTROL",
                  "MK:0001", "EXPIRED", "已送达"):
        assert shown in page, shown
