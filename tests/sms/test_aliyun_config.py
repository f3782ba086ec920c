"""The approved signature and template codes are checked before anything is sent: at start-up (build_sms) and by
`duban check-config`, each mistake named; the provider is chosen by DUBAN_SMS_PROVIDER (DUBAN_SMS_GATEWAY still
works)."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from config.settings import Settings
from engine.domain.errors import RuleError
from workflows.bootstrap import build_sms

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "config" / "sms_templates.toml").read_text(encoding="utf-8")
KEYS = {"aliyun_access_key_id": "LTAI5tKey", "aliyun_access_key_secret": "secret"}


def aliyun_settings(settings: Settings, tmp_path: Path, text: str = SHIPPED, **extra) -> Settings:
    path = tmp_path / "sms_templates.toml"
    path.write_text(text, encoding="utf-8")
    return replace(settings, sms_gateway="aliyun", sms_templates_file=path, **{**KEYS, **extra})


def refused(settings: Settings, engine) -> str:
    with pytest.raises(RuleError) as caught:
        build_sms(settings, engine)
    return str(caught.value)


def test_the_shipped_codes_start_and_values_are_cut_to_the_variable_limit(settings, engine, tmp_path):
    sms = build_sms(aliyun_settings(settings, tmp_path), engine)
    assert sms.gateway.name == "aliyun"
    assert sms.templates.widths["orders"] == 35 and sms.templates.widths["order"] == 24
    assert sms.templates.values("digest", {"orders": "字" * 50, "count": "3", "link": "x"})["orders"] == "字" * 34 + "…"


def test_a_template_the_rules_send_without_an_approved_code_stops_the_start_naming_it(settings, engine, tmp_path):
    text = re.sub(r"(?m)^due_soon = \{.*\n", "", SHIPPED)
    assert "no approved Aliyun template code for due_soon" in refused(aliyun_settings(settings, tmp_path, text), engine)


def test_variables_must_match_the_templates_placeholders(settings, engine, tmp_path):
    text = SHIPPED.replace('overdue = { code = "SMS_480010004", variables = ["order", "deadline", "link"] }',
                           'overdue = { code = "SMS_480010004", variables = ["order", "time", "link"] }')
    message = refused(aliyun_settings(settings, tmp_path, text), engine)
    assert "aliyun.templates.overdue (SMS_480010004)" in message and "'time'" in message and "'deadline'" in message


@pytest.mark.parametrize("change, expected", [
    (('sign_name = "揭阳12345"', 'sign_name = "揭阳市12345"'), "differs from the approved signature"),
    (('code = "SMS_480010001"', 'code = "480010001"'), "code must be the approved template code"),
    (("link_variable_limit = 100", "link_variable_limit = 35"), "the approved link variable takes 35"),
    (("variable_limit = 35", "variable_limit = 0"), "aliyun.variable_limit"),
])
def test_each_mistake_in_the_aliyun_table_is_named(settings, engine, tmp_path, change, expected):
    assert expected in refused(aliyun_settings(settings, tmp_path, SHIPPED.replace(*change)), engine)


def test_without_an_aliyun_table_the_aliyun_provider_does_not_start(settings, engine, tmp_path):
    text = SHIPPED.split("[aliyun]")[0]
    assert "needs an [aliyun] table" in refused(aliyun_settings(settings, tmp_path, text), engine)


def test_the_provider_setting_its_old_name_and_its_credentials():
    base = {"DUBAN_SECRET_KEY": "test-secret-key-0123456789"}
    assert Settings.from_env({**base, "DUBAN_SMS_GATEWAY": "twilio", "TWILIO_ACCOUNT_SID": "AC1",
                              "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": "+15005550006"}).sms_gateway == "twilio"
    keys = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5t", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s"}
    chosen = Settings.from_env({**base, **keys, "DUBAN_SMS_PROVIDER": "aliyun"})
    assert chosen.sms_gateway == "aliyun" and chosen.aliyun_access_key_id == "LTAI5t"
    for env, message in [
        ({"DUBAN_SMS_PROVIDER": "aliyun"}, "ALIBABA_CLOUD_ACCESS_KEY_ID"),
        ({"DUBAN_SMS_PROVIDER": "aliyun", "DUBAN_SMS_GATEWAY": "twilio"}, "disagree"),
        ({"DUBAN_SMS_PROVIDER": "tencent"}, "use outbox, twilio, aliyun"),
        ({**keys, "DUBAN_SMS_PROVIDER": "aliyun", "DUBAN_ALIYUN_PUSH_TOKEN": "short"}, "DUBAN_ALIYUN_PUSH_TOKEN"),
        ({**keys, "DUBAN_SMS_PROVIDER": "aliyun", "DUBAN_ALIYUN_API_URL": "127.0.0.1:8"}, "DUBAN_ALIYUN_API_URL"),
    ]:
        with pytest.raises(RuleError, match=message):
            Settings.from_env({**base, **env})


def test_check_config_names_the_approved_codes_and_refuses_a_missing_one(tmp_path, capsys, monkeypatch):
    from web.cli import main

    for name in ("DUBAN_SMS_TEMPLATES", "DUBAN_SMS_GATEWAY", "DUBAN_PUBLIC_URL", "DUBAN_BPMN_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DUBAN_SMS_PROVIDER", "aliyun")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tKey")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
    assert main(["--log-format", "text", "check-config"]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("aliyun:")]
    assert "signature 揭阳12345, 13 approved template codes ok" in line and "polled every 60 s" in line
    path = tmp_path / "sms.toml"
    path.write_text(re.sub(r"(?m)^red_card = \{.*\n", "", SHIPPED), encoding="utf-8")
    monkeypatch.setenv("DUBAN_SMS_TEMPLATES", str(path))
    assert main(["--log-format", "text", "check-config"]) == 2
    assert "no approved Aliyun template code for red_card" in capsys.readouterr().err
