"""The demo's SMS gateway: messages stay in the outbox (the UI lists them); nothing leaves the machine."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from engine.ports import SmsResult

log = logging.getLogger("duban.sms")


class OutboxOnlySmsGateway:
    name = "outbox"

    def send(self, *, to: str, template: str, params: Mapping[str, Any], idempotency_key: str) -> SmsResult:
        log.info("sms kept in outbox", extra={"order": params.get("order"), "to": to, "template": template})
        return SmsResult(accepted=True, provider_id=f"outbox:{idempotency_key}")
