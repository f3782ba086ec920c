"""The SMS benchmark's world: an engine, the real twilio client and a fake Twilio, the receipt web hook, units and orders."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from config.settings import Settings
from engine.clock import LOCAL_TZ, VirtualClock
from engine.domain.errors import InvalidInput
from engine.persistence.tables import outbox, supervisor_tasks
from engine.services import Engine
from workflows.adapters.twilio_sms import STATUS_CALLBACK_PATH, TwilioSmsGateway
from workflows.bootstrap import SmsServices, build_engine, build_sms
from workflows.dev.fake_twilio import FakeTwilio

START = datetime(2026, 6, 2, 10, 0, tzinfo=LOCAL_TZ)  # a Tuesday, a working day, inside the SMS window
PUBLIC_URL = "https://duban.example.gov.cn"
SENDER = "+15005550006"
SECRET = "sms-benchmark-secret-0123456789"
UNITS, PHONES_PER_UNIT = 20, 2
PG_SCHEMA = "duban_sms_benchmark"
# ---------------------------------------------------------------------------------------- the world
def receipt_app(sms: SmsServices) -> Callable[..., Any]:
    """The status-callback endpoint as web/hooks/twilio.py status_callback runs it, on werkzeug without flask."""
    from werkzeug.wrappers import Request, Response

    gateway = sms.gateway
    if not isinstance(gateway, TwilioSmsGateway):
        raise TypeError("the receipt endpoint needs the Twilio gateway")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        if request.method != "POST" or request.path != STATUS_CALLBACK_PATH:
            response = Response("not found", status=404, mimetype="text/plain")
        else:
            path = request.full_path if request.query_string else request.path
            form = request.form.to_dict()
            if not gateway.signature_valid(path, form, request.headers.get("X-Twilio-Signature", "")):
                response = Response("bad signature", status=403, mimetype="text/plain")
            else:
                try:
                    outcome = sms.receipts.apply(gateway.receipt(form, request.args.to_dict()))
                    response = Response(outcome, status=200, mimetype="text/plain")
                except (ValueError, InvalidInput) as exc:
                    response = Response(str(exc), status=400, mimetype="text/plain")
        return response(environ, start_response)

    return app


@dataclass
class World:
    engine: Engine
    sms: SmsServices
    fake: FakeTwilio
    clock: VirtualClock

    def run(self) -> Any:
        return self.sms.delivery.run(self.sms.gateway)

    def rows(self) -> list[dict[str, Any]]:
        with self.engine.store.reading() as tx:
            return [dict(r) for r in tx.c.execute(
                sa.select(outbox).where(outbox.c.channel == "sms").order_by(outbox.c.id)).mappings()]

    def status_counts(self) -> dict[str, int]:
        with self.engine.store.reading() as tx:
            return dict(tx.c.execute(sa.select(outbox.c.status, sa.func.count())
                                     .where(outbox.c.channel == "sms").group_by(outbox.c.status)).all())

    def due_now(self) -> int:
        with self.engine.store.reading() as tx:
            return tx.c.execute(sa.select(sa.func.count()).where(
                outbox.c.channel == "sms", outbox.c.status.in_(("pending", "unknown")),
                outbox.c.send_at <= self.clock.now())).scalar() or 0

    def sms_tasks(self) -> int:
        with self.engine.store.reading() as tx:
            return tx.c.execute(sa.select(sa.func.count()).where(supervisor_tasks.c.kind == "sms_failed")).scalar() or 0

    def failing_numbers(self) -> int:
        with self.engine.store.reading() as tx:
            return len(tx.failing_contacts())


@contextmanager
def world(database_url: str, *, timeout: float = 10.0) -> Iterator[World]:
    """An engine on `database_url`, its SMS going through the real twilio client to a fresh FakeTwilio, whose
    signed receipts reach the status-callback endpoint over HTTP on a real port."""
    from werkzeug.serving import make_server

    clock = VirtualClock(START)
    with FakeTwilio() as fake:
        settings = replace(Settings(), worker_id="sms-bench", secret_key=SECRET, sms_gateway="twilio",
                           twilio_account_sid=fake.account_sid, twilio_auth_token=fake.auth_token,
                           twilio_from=SENDER, twilio_api_url=fake.url, public_url=PUBLIC_URL,
                           twilio_timeout=timeout, database_url=database_url).checked()
        engine = build_engine(settings, clock=clock)
        server = None
        try:
            sms = build_sms(settings, engine)
            server = make_server("127.0.0.1", 0, receipt_app(sms), threaded=True)
            threading.Thread(target=server.serve_forever, name="sms-bench-receipts", daemon=True).start()
            fake.callback_target = f"http://127.0.0.1:{server.server_port}"
            yield World(engine, sms, fake, clock)
        finally:
            if server is not None:
                server.shutdown()
                server.server_close()
            engine.store.engine.dispose()


def phone(unit: int, k: int) -> str:
    return f"+86139{unit:04d}{k:04d}"


def register_units(w: World) -> list[str]:
    codes = []
    for u in range(1, UNITS + 1):
        code = f"U{u:02d}"
        w.engine.register_unit(code, f"揭阳市第{u}办理单位", [phone(u, k) for k in range(1, PHONES_PER_UNIT + 1)])
        codes.append(code)
    return codes


def open_order(w: World, number: str, unit: str) -> None:
    w.engine.open_work_order(number=number, unit_code=unit, category="咨询", urgency="一般", source="12345",
                             at=w.clock.now(), actor="sms-benchmark")
