"""What every SMS adapter does alike when it maps a provider's answer to the port's four outcomes: a refusal is
retried when a later attempt may pass and rejected otherwise; no answer at all is retried when the request never
left and ambiguous when it may have been read (the outbox then asks the provider before sending again)."""
from __future__ import annotations

from engine.ports import AMBIGUOUS, REJECTED, RETRY, SmsResult

# Signs in a transport error that the request never reached the provider: refused, unresolvable, no connection.
NEVER_CONNECTED = ("NewConnectionError", "Failed to establish", "Connection refused", "ConnectTimeoutError",
                   "NameResolutionError")


def refused(code: str, text: str, *, status: int | None = None, retry: bool = False,
            bad_number: bool = False) -> SmsResult:
    """The provider answered without taking the message. Retried when the adapter says a later attempt may pass
    (flow control, account or credential codes) or the HTTP status does (429, 5xx); rejected otherwise, marking
    the number when the code says the number itself is wrong."""
    if retry or (status is not None and (status == 429 or status >= 500)):
        return SmsResult(RETRY, error_code=code, error=text[:300])
    return SmsResult(REJECTED, error_code=code, error=text[:300], bad_number=bad_number)


def unanswered(provider: str, reason: str) -> SmsResult:
    """No answer: retried when the request never left, ambiguous when the provider may have read it."""
    if any(marker in reason for marker in NEVER_CONNECTED):
        return SmsResult(RETRY, error_code="connect", error=f"could not connect to {provider}: {reason[:200]}")
    return SmsResult(AMBIGUOUS, error=f"no answer from {provider} after the request was sent: {reason[:200]}")
