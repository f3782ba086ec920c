"""热点预警 on the pages: the flags table with its chart and the month's themes at /hotspots, the short panel on the
supervisor's statistics page and the leader's home page; units are kept out."""
from __future__ import annotations

from datetime import date

import pytest

from config.hotspot_loader import load_hotspots
from engine.clock import VirtualClock
from tests.conftest import local
from tests.web_login import client_as
from web import create_app
from workflows.bench.hotspot_city import Surge, callback_rows, insert, order_rows
from engine.documents.model import content_from_json
from engine.persistence.document_store import DocumentRecords
from tests.webapp.conftest import fake_render
from workflows.documents.issuing import issue_all_pending
from workflows.hotspots import run_hotspots


@pytest.fixture
def site(make_engine, settings):
    clock = VirtualClock(local(2026, 6, 17, 9, 0))
    engine = make_engine(clock=clock)
    orders = list(order_rows(date(2026, 4, 5), 73, 100, surges=[Surge("投诉", "惠来县", date(2026, 6, 10), 30, 4.0)]))
    insert(engine, orders, callback_rows([o for o in orders if "HS202605" in o["number"]], unhappy={"普宁市": 0.5}))
    engine.register_unit("U1", "揭阳市生态环境局", ["+8613800138001"])
    engine.ensure_quarterly_report(local(2026, 4, 1, 0, 0))  # the 2026Q2 专报, due 2026-07-01 09:00
    run_hotspots(engine, load_hotspots())
    app = create_app(settings, engine=engine)
    app.config["TESTING"] = True
    return app, engine


def test_supervisors_and_leaders_see_the_flags_the_chart_and_the_themes(site):
    app, engine = site
    for role in ("supervisor", "leader"):
        client = client_as(app, engine, f"hs-{role}", role)
        page = client.get("/hotspots").get_data(as_text=True)
        assert 'data-hotspot="投诉|惠来县"' in page and "严重" in page and "已短信告知领导" in page
        assert page.count("data-hotspot=") == 1 and "前8周" in page
        assert "<svg" in page and "惠来县·投诉" in page  # the chart's series
        assert "每月一题候选（2026-05）" in page and "回访不满意" in page
        home = client.get("/leader" if role == "leader" else "/dashboard").get_data(as_text=True)
        panel = home[home.index('id="hotspot-panel"'):]
        assert "严重：惠来县 投诉 2026-06-10 起 7 天" in panel[:panel.index("</section>")]
        assert client.get("/hotspots?month=2026-13").status_code == 400
    unit = client_as(app, engine, "hs-unit", "unit", "U1")
    assert unit.get("/hotspots").status_code == 403

    engine.clock.set(local(2026, 7, 1, 10, 0))  # the quarterly 专报 carries the quarter's flags as its last section
    while engine.fire_due_timers():
        pass
    assert issue_all_pending(engine, render=fake_render) == 1
    with engine.store.reading() as tx:
        records = DocumentRecords(tx)
        _, [row] = records.listing(kind="quarterly_report")
        blocks = content_from_json(records.get(row["id"])["content"]).blocks
    heading = next(i for i, b in enumerate(blocks) if getattr(b, "text", "") == "六、热点预警")
    summary, table = blocks[heading + 1:heading + 3]
    assert summary.text.startswith("本季度热点预警涉及1个“诉求类别×区域”，其中严重1个、较重0个、一般0个。")
    assert table.rows == (("投诉", "惠来县", "06月10日起7天", "1", table.rows[0][4], table.rows[0][5],
                           table.rows[0][6], "严重"),) and int(table.rows[0][4]) > 3 * float(table.rows[0][5])


def test_without_a_run_the_page_says_so(make_engine, settings, clock):
    engine = make_engine(clock=clock)
    app = create_app(settings, engine=engine)
    page = client_as(app, engine, "hs-sup", "supervisor").get("/hotspots").get_data(as_text=True)
    assert "尚未计算（worker 每天 06:30 计算）" in page and "近 4 周没有预警。" in page
