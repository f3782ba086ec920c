"""Short signed links that let a unit's contact acknowledge a message or sign for an order without a password.

A token names one outbox message (and so one contact and its order or orders) and an expiry, signed with
HMAC-SHA256 under the instance secret: `<message id>.<expiry>.<signature>`, about 25 characters. A token that was
altered, signed with another key, or has expired is refused; nothing is stored per token.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from engine.domain.errors import InvalidInput

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_SIGNATURE_CHARS = 16  # 96 bits
LINK_PATH = "/a/"


class InvalidLink(InvalidInput):
    """The link was not made by this instance or was altered."""


class ExpiredLink(InvalidInput):
    """The link was genuine but is past its expiry."""


def _b36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _ALPHABET[rest] + digits
        if number == 0:
            return digits


def link_width(public_url: str) -> int:
    """The longest link made under `public_url` (message ids up to 36^6), for the template length check."""
    return len(public_url.rstrip("/")) + len(LINK_PATH) + 6 + 1 + 6 + 1 + _SIGNATURE_CHARS


@dataclass(frozen=True)
class AckLinks:
    secret: bytes
    public_url: str
    valid_for: timedelta

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise InvalidInput("the link secret must be at least 16 bytes")

    def token(self, message_id: int, now: datetime) -> str:
        expires = int((now + self.valid_for).timestamp() // 60)  # minutes since the epoch
        payload = f"{_b36(message_id)}.{_b36(expires)}"
        return f"{payload}.{self._sign(payload)}"

    def url(self, message_id: int, now: datetime) -> str:
        return self.public_url.rstrip("/") + LINK_PATH + self.token(message_id, now)


    def verify(self, token: str, now: datetime) -> int:
        """The message id the token names; InvalidLink or ExpiredLink otherwise."""
        parts = token.split(".") if isinstance(token, str) and len(token) <= 64 else []
        if len(parts) != 3 or not all(parts):
            raise InvalidLink("malformed link")
        payload = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(parts[2], self._sign(payload)):
            raise InvalidLink("the link's signature does not match")
        try:
            message_id, expires = int(parts[0], 36), int(parts[1], 36)
        except ValueError:
            raise InvalidLink("malformed link") from None
        if now >= datetime.fromtimestamp(expires * 60, timezone.utc):
            raise ExpiredLink("the link has expired")
        return message_id

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self.secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:_SIGNATURE_CHARS]
