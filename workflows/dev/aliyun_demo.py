"""`duban demo --fake-aliyun`: the official Alibaba Cloud SDK sending to a local fake SMS endpoint, with the
templates registered as config/sms_templates.toml says, reports pushed back, and a few contacts set up so that /sms
shows every outcome: delivered; throttled and retried; refused for an invalid number; refused for a withdrawn
template (a supervisor task); a slow answer checked with QuerySendDetails before anything is resent; an empty
number and a switched-off handset reported by the carrier."""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from config.aliyun_templates import load_aliyun_templates
from config.loader import _read
from config.settings import Settings
from workflows.dev.fake_aliyun import FakeAliyun

DEMO_RULES = ["error:isv.MOBILE_NUMBER_ILLEGAL", "undelivered:MK:0001", "undelivered:EXPIRED", "slow:4",
              "error:isv.BUSINESS_LIMIT_CONTROL"]
WITHDRAWN_TEMPLATE = "instruction"  # its code is removed from the fake: Aliyun answers isv.SMS_TEMPLATE_ILLEGAL


def start_fake_aliyun(settings: Settings, units: Sequence[dict[str, Any]], host: str, port: int, *,
                      clock: Callable[[], datetime] | None = None) -> tuple[FakeAliyun, Settings]:
    templates, signs = approved_from_config(settings.sms_templates_file)
    token = secrets.token_hex(16)
    base = f"http://{host}:{port}"
    fake = FakeAliyun(templates=templates, signs=signs, auto_reports=True, report_url=f"{base}/aliyun/report/{token}",
                      up_url=f"{base}/aliyun/up/{token}", clock=clock)
    fake.variable_limits["link"] = 100
    approved = load_aliyun_templates(settings.sms_templates_file)
    withdrawn = approved.code_of(WITHDRAWN_TEMPLATE) if approved else None
    fake.templates.pop(withdrawn or "", None)
    for unit, behaviour in zip(units[1::2], DEMO_RULES):  # a few units have a broken or unreachable number
        fake.number_rules[unit["phones"][0]] = behaviour
    fake.start()
    return fake, replace(settings, sms_gateway="aliyun", aliyun_access_key_id=fake.access_key_id,
                         aliyun_access_key_secret=fake.access_key_secret, aliyun_api_url=fake.url,
                         aliyun_push_token=token, aliyun_timeout=2.0, public_url=base)


def describe(fake: FakeAliyun, settings: Settings) -> str:
    return (f"SMS go through the official Aliyun SDK to a local fake SMS endpoint at {fake.url}; reports are pushed "
            f"back; some contacts are set to fail (see /sms). A unit replies like this:\n"
            f"  curl -X POST {fake.up_url} -H 'Content-Type: application/json' "
            f"-d '[{{\"phone_number\":\"<unit's number>\",\"content\":\"签收 <工单号>\",\"sequence_id\":1}}]'")


def approved_from_config(path: Any) -> tuple[dict[str, str], set[str]]:
    """The template codes and signature a city registered, as [aliyun] in config/sms_templates.toml says: each
    approved text is Duban's text with {name} written ${name}. For the demo and tests."""
    path = Path(path)
    approved = load_aliyun_templates(path)
    if approved is None:
        raise ValueError(f"{path} has no [aliyun] table")
    texts = _read(path)["templates"]
    templates = {entry.code: re.sub(r"\{(\w+)\}", r"${\1}", texts[key]) for key, entry in approved.approved.items()}
    return templates, {approved.sign_name}
