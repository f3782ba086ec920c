"""Plain records the engine passes between the domain, the runtime and the store."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.domain.errors import InvalidInput, InvalidPhone

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


@dataclass(frozen=True)
class HandlingUnit:
    code: str
    name: str
    phones: tuple[str, ...]
    active: bool = True  # False once disabled (`duban unit disable`): no new work orders, history kept

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code.strip() or len(self.code) > 32:
            raise InvalidInput(f"unit code must be a non-empty string of at most 32 characters, got {self.code!r}")
        if not isinstance(self.name, str) or not self.name.strip() or len(self.name) > 200:
            raise InvalidInput(f"unit {self.code}: a name of at most 200 characters is required")
        for phone in self.phones:
            if not isinstance(phone, str) or not E164.match(phone):
                raise InvalidPhone(self.code, phone)
        if len(set(self.phones)) != len(self.phones):
            raise InvalidInput(f"unit {self.code}: a phone number is listed twice")


@dataclass(frozen=True)
class Instruction:
    id: int | None
    order_number: str
    leader: str
    text: str
    instructed_at: datetime
    letter_due_at: datetime
    report_due_at: datetime


@dataclass(frozen=True)
class Action:
    """One thing the rules did: an SMS to one number, a card, a letter, a phone-urging task, a report."""

    kind: str  # sms | phone_urge | urge_notice | yellow_card | red_card | supervision_letter | special_report | quarterly_report
    at: datetime
    order_number: str | None = None
    unit_code: str | None = None
    step: str | None = None
    to: str | None = None  # sms: one E.164 number
    template: str | None = None  # sms: the template key
    send_at: datetime | None = None  # sms: after quiet hours
    details: dict[str, Any] = field(default_factory=dict)


DOCUMENT_KINDS = ("urge_notice", "supervision_letter", "special_report", "quarterly_report")


@dataclass
class Instance:
    id: int
    kind: str  # work_order | instruction | quarterly
    process_key: str
    status: str
    next_due_at: datetime | None
    order_number: str | None = None
    instruction_id: int | None = None
    quarter: str | None = None
    unit_code: str | None = None  # a co-handling unit's sign-for process: the unit it chases
    workflow: Any = None  # the live SpiffWorkflow object while a transaction works on it
