"""The demo's SMS gateway: messages stay in the outbox (the UI lists them); nothing leaves the machine."""
from __future__ import annotations

import logging
from datetime import datetime

from engine.domain.phones import mask
from engine.ports import ACCEPTED, SmsMessage, SmsResult

log = logging.getLogger("duban.sms")


class OutboxOnlySmsGateway:
    name = "outbox"

    def send(self, message: SmsMessage) -> SmsResult:
        log.info("sms kept in outbox", extra={"order": message.params.get("order"), "to": mask(message.to),
                                              "template": message.template})
        return SmsResult(ACCEPTED, provider_id=f"outbox-{message.message_id}", provider_status="delivered")

    def find_sent(self, to: str, body: str, since: datetime) -> str | None:
        return None  # nothing ever leaves, so sending again costs nothing
