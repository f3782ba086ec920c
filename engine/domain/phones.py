"""Unit contact numbers: validated and normalised to E.164 when units are loaded.

SMS only reaches mobiles, so a landline (e.g. 0663-8212345), a short code or a malformed number is refused with
the unit and the reason. Numbers without a country code are read as mainland China numbers.
"""
from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from engine.domain.errors import InvalidPhone

DEFAULT_REGION = "CN"
_SMS_CAPABLE = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_mobile(unit: str, raw: object, region: str = DEFAULT_REGION) -> str:
    """`13800138000`, `+86 138-0013-8000` and `008613800138000` all give `+8613800138000`."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone(unit, raw, "empty or not text")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(unit, raw, f"not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(unit, raw, "not a valid number (wrong length or prefix)")
    kind = phonenumbers.number_type(number)
    if kind not in _SMS_CAPABLE:
        label = "a landline" if kind == PhoneNumberType.FIXED_LINE else f"not a mobile ({_type_name(kind)})"
        raise InvalidPhone(unit, raw, f"{label}: it cannot receive SMS")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(phone: str) -> str:
    """+8613800138000 → +86138****8000, for pages and logs seen by people who do not need the number."""
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"


def _type_name(kind: int) -> str:
    for name in dir(PhoneNumberType):
        if not name.startswith("_") and getattr(PhoneNumberType, name) == kind:
            return name.lower().replace("_", " ")
    return "unknown type"
