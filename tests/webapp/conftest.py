"""One small world per test module: two units, orders in every state, a phone-urging task, cards, documents,
SMS and a citizen's contact, the web app, and a signed-in test client per role.

The clock stands at 2026-06-30 10:00 (Asia/Shanghai). Orders:

    GD101 U01 咨询 一般  dispatched 06-01, overdue, citizen contact on record
    GD102 U01 求助 一般  signed 06-02, overdue
    GD103 U01 建议 一般  returned (退单) 06-02, waits for re-dispatch
    GD104 U01 投诉 一般  replied 06-02
    GD105 U01 举报 一般  closed 06-02
    GD106 U01 投诉 一般  signed 06-02, leadership instruction 06-02, overdue
    GD201 U02 咨询 一般  dispatched 06-01, overdue
    GD202 U02 投诉 紧急  dispatched 06-01, overdue
    GD203 U02 投诉 一般  dispatched 06-29, signed, extension requested, manual yellow card (only card)

Users are created once per module (scrypt makes each creation and login cost tens of milliseconds)."""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from config.settings import Settings
from engine.casework import Casework
from engine.clock import VirtualClock
from engine.domain.work_order import WorkOrder
from engine.persistence.account_tables import cards, users
from engine.persistence.api_tables import api_intake
from engine.persistence.document_store import DocumentRecords
from engine.persistence.tables import audit_log, metadata, order_events, outbox, supervisor_tasks
from engine.services import Engine
from tests.conftest import local
from tests.web_login import client_as, csrf_of
from web import create_app
from workflows.bootstrap import build_engine
from workflows.documents.issuing import issue_all_pending

NOW = local(2026, 6, 30, 10, 0)
TODAY = "2026-06-30"
CITIZEN_PHONE = "13912348000"
CITIZEN_MASKED = "139****8000"
UNITS = {"U01": ("区住建局", "+8613800138000"), "U02": ("区城管局", "+8613800138001")}
U01_ORDERS = {"GD101", "GD102", "GD103", "GD104", "GD105", "GD106"}
U02_ORDERS = {"GD201", "GD202", "GD203"}
ROLES = {"sup": ("supervisor", None), "lead": ("leader", None), "adm": ("admin", None),
         "unit1": ("unit", "U01"), "unit2": ("unit", "U02")}
_numbers = itertools.count(1)


def fake_render(content: Any, settings: Any) -> tuple[dict[str, bytes], None]:
    """Documents without LibreOffice/fonts: the pages only need the records and some bytes."""
    return {"docx": b"PK\x03\x04 fake docx", "pdf": b"%PDF-1.4 fake pdf"}, None


@dataclass
class World:
    engine: Engine
    clock: VirtualClock
    settings: Settings
    database_url: str
    app: Flask
    clients: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ clients
    def __getitem__(self, username: str) -> Any:
        return self.clients[username]

    def user_client(self, username: str, role: str, unit: str | None = None) -> Any:
        """A fresh client signed in as a (new or existing) user."""
        return client_as(self.app, self.engine, username, role, unit)

    def anonymous(self) -> Any:
        return self.app.test_client()

    # ------------------------------------------------------------------ reading the database
    def rows(self, query: Any) -> list[dict[str, Any]]:
        with self.engine.store.reading() as tx:
            return [dict(r) for r in tx.c.execute(query).mappings()]

    def order(self, number: str) -> WorkOrder:
        with self.engine.store.reading() as tx:
            found = tx.get_order(number)
        assert found is not None, number
        return found

    def events(self, number: str) -> list[dict[str, Any]]:
        return self.rows(sa.select(order_events).where(order_events.c.order_number == number)
                         .order_by(order_events.c.id))

    def audit(self, action: str | None = None, *, actor: str | None = None,
              number: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(audit_log).order_by(audit_log.c.id)
        for column, value in (("action", action), ("actor", actor), ("order_number", number)):
            if value is not None:
                query = query.where(audit_log.c[column] == value)
        return self.rows(query)

    def cards_of(self, number: str) -> list[dict[str, Any]]:
        return self.rows(sa.select(cards).where(cards.c.order_number == number).order_by(cards.c.id))

    def tasks_of(self, number: str, status: str | None = "open") -> list[dict[str, Any]]:
        query = sa.select(supervisor_tasks).where(supervisor_tasks.c.order_number == number)
        if status:
            query = query.where(supervisor_tasks.c.status == status)
        return self.rows(query.order_by(supervisor_tasks.c.id))

    def sms_of(self, number: str) -> list[dict[str, Any]]:
        return self.rows(sa.select(outbox).where(outbox.c.order_number == number, outbox.c.channel == "sms")
                         .order_by(outbox.c.id))

    def documents_of(self, number: str) -> list[dict[str, Any]]:
        with self.engine.store.reading() as tx:
            _, found = DocumentRecords(tx).listing(kind=None, order_number=number, limit=50, offset=0)
        return found

    def user_row(self, username: str) -> dict[str, Any]:
        found = self.rows(sa.select(users).where(users.c.username == username))
        assert found, username
        return found[0]

    def fingerprint(self) -> dict[str, list[str]]:
        """Every row of every table: equal before and after means nothing was saved."""
        with self.engine.store.reading() as tx:
            return {t.name: sorted(repr(tuple(r)) for r in tx.c.execute(sa.select(t)))
                    for t in metadata.sorted_tables}

    # ------------------------------------------------------------------ making more orders
    def new_order(self, unit: str = "U01", *, category: str = "投诉", urgency: str = "一般", title: str = "",
                  signed: bool = False, at: datetime | None = None) -> str:
        """A fresh order dispatched now (its deadline weeks ahead) or at `at`, optionally signed for."""
        number = f"GN{next(_numbers):04d}"
        at = at or self.clock.now()
        self.engine.open_work_order(number=number, unit_code=unit, category=category, urgency=urgency,
                                    source="12345", at=at, title=title or f"测试工单{number}")
        if signed:
            self.engine.record_event(number, "signed", at=at, actor="seed")
        return number

    def casework(self) -> Casework:
        return Casework(self.engine.store, self.clock)


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def assert_nothing_saved(world: World, before: dict[str, list[str]]) -> None:
    changed = changed_tables(before, world.fingerprint())
    assert not changed, f"rows changed in {changed}"


def text_of(response: Any) -> str:
    """The page as a reader sees it: HTML entities decoded."""
    return unescape(response.get_data(as_text=True))


def rows_with(page: str, *needles: str) -> list[str]:
    """The table rows of a page that contain every needle."""
    return [row for row in page.split("<tr") if all(n in row for n in needles)]


def login_token(client: Any) -> str:
    return csrf_of(client.get("/login").get_data(as_text=True))


def path_of(location: str | None) -> str:
    """The path of a redirect's Location (absolute or relative)."""
    assert location, "no Location header"
    return re.sub(r"^https?://[^/]+", "", location).split("?")[0]


def _seed(engine: Engine, clock: VirtualClock) -> None:
    for code, (name, phone) in UNITS.items():
        engine.register_unit(code, name, [phone])
    opened = local(2026, 6, 1, 9, 0)
    for number, unit, category, urgency, title in (
            ("GD101", "U01", "咨询", "一般", "小区噪音扰民"), ("GD102", "U01", "求助", "一般", "路灯不亮"),
            ("GD103", "U01", "建议", "一般", "增设公交站"), ("GD104", "U01", "投诉", "一般", "物业乱收费"),
            ("GD105", "U01", "举报", "一般", "违章搭建"), ("GD106", "U01", "投诉", "一般", "施工扬尘"),
            ("GD201", "U02", "咨询", "一般", "占道经营"), ("GD202", "U02", "投诉", "紧急", "井盖缺失")):
        engine.open_work_order(number=number, unit_code=unit, category=category, urgency=urgency,
                               source="12345", at=opened, title=title)
    clock.set(local(2026, 6, 2, 10, 0))
    at = clock.now()
    for number in ("GD102", "GD104", "GD105", "GD106"):
        engine.record_event(number, "signed", at=at, actor="unit1")
    engine.record_event("GD103", "returned", at=at, actor="unit1", details={"reason": "非本单位职责"})
    for number in ("GD104", "GD105"):
        engine.record_event(number, "replied", at=at, actor="unit1", note="已现场处理")
    engine.record_event("GD105", "closed", at=at, actor="sup")
    engine.add_instruction("GD106", leader="王市长", text="限期办结并报告", at=at, actor="sup")
    clock.set(local(2026, 6, 29, 9, 0))
    engine.open_work_order(number="GD203", unit_code="U02", category="投诉", urgency="一般", source="12345",
                           at=clock.now(), title="夜市噪音")
    clock.set(local(2026, 6, 29, 10, 0))
    engine.record_event("GD203", "signed", at=clock.now(), actor="unit2")
    engine.record_event("GD203", "extension_requested", at=clock.now(), actor="unit2", working_days=5,
                        details={"reason": "需要协调多个部门"})
    engine.issue_card("GD203", color="yellow", reason="推诿扯皮", actor="sup")
    clock.set(NOW)
    while engine.fire_due_timers():
        pass
    issue_all_pending(engine, render=fake_render)
    with engine.store.transaction() as tx:
        tx.c.execute(api_intake.insert().values(
            number="GD101", client="test", source="12345", body_hash="0" * 64, external_no="GD101",
            channel="phone", citizen_name="张三丰", citizen_phone=CITIZEN_PHONE, address="揭阳市榕城区某某路8号",
            content=f"晚上施工，联系电话{CITIZEN_PHONE}", extra={}, received_at=local(2026, 6, 1, 9, 0)))


def build_world(directory: Path) -> World:
    clock = VirtualClock(local(2026, 6, 1, 8, 0))
    settings = Settings(worker_id="webapp-test", secret_key="test-secret-key-0123456789")
    url = f"sqlite:///{directory}/duban.db"
    engine = build_engine(settings, clock=clock, database_url=url)
    _seed(engine, clock)
    app = create_app(settings, engine=engine)
    app.config["TESTING"] = True
    world = World(engine, clock, settings, url, app)
    for username, (role, unit) in ROLES.items():
        world.clients[username] = world.user_client(username, role, unit)
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(tmp_path_factory.mktemp("webapp"))
    yield built
    built.engine.store.engine.dispose()
