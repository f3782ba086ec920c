"""SMS leave the outbox only when their send time has come, once each, with the template's parameters."""
from __future__ import annotations

from engine.clock import VirtualClock
from engine.ports import SmsResult
from engine.services import Engine
from tests.conftest import local


class RecordingGateway:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, *, to, template, params, idempotency_key) -> SmsResult:
        self.sent.append({"to": to, "template": template, "params": dict(params), "key": idempotency_key})
        return SmsResult(accepted=True, provider_id=f"SM{len(self.sent)}")


def test_quiet_hours_hold_the_message_until_eight_and_it_goes_once(engine: Engine, clock: VirtualClock):
    engine.register_unit("U1", "揭阳市生态环境局", ["+8613900000001", "+8613900000011"])
    clock.set(local(2026, 6, 2, 22, 0))
    engine.open_work_order(number="Q1", unit_code="U1", category="咨询", urgency="一般", source="12345",
                           at=clock.now())
    gateway = RecordingGateway()
    clock.set(local(2026, 6, 2, 23, 0))
    assert engine.dispatch_sms(gateway) == 0
    clock.set(local(2026, 6, 3, 8, 0))
    assert engine.dispatch_sms(gateway) == 2
    assert engine.dispatch_sms(gateway) == 0
    assert sorted(m["to"] for m in gateway.sent) == ["+8613900000001", "+8613900000011"]
    assert {m["template"] for m in gateway.sent} == {"dispatched"}
    assert gateway.sent[0]["params"]["order"] == "Q1" and gateway.sent[0]["params"]["unit"] == "揭阳市生态环境局"
    assert len({m["key"] for m in gateway.sent}) == 2
