"""What a user of the SMS feature notices at the edges: which numbers are accepted, which templates stop the
start-up and why, what a rendered message and its link look like, which settings are refused, how Twilio's
errors and receipts are read, and what `duban sms` / `duban check-config` print."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from twilio.base.exceptions import TwilioRestException

from config.loader import load_sms_config
from config.settings import ROOT, Settings
from engine.domain.errors import InvalidPhone, RuleError
from engine.domain.phones import mask, normalise_mobile
from engine.ports import REJECTED, RETRY
from engine.runtime.definitions import load_directory, sms_templates_used
from engine.sms.delivery import DIGEST
from engine.sms.links import AckLinks, ExpiredLink, InvalidLink, link_width
from engine.sms.templates import PLACEHOLDER_WIDTHS, SmsTemplates
from tests.conftest import local
from workflows.adapters.twilio_sms import TwilioSmsGateway, classify_rest_error
from workflows.bootstrap import build_sms
from workflows.operations import OPERATIONS

PUBLIC_URL = "https://duban.example.gov.cn"
SECRET = b"0123456789abcdef-secret"
SIGN = "【揭阳12345】"


# ============================================================================== phones
@pytest.mark.parametrize("raw", ["13800138000", "+86 138-0013-8000", "008613800138000", " 138 0013 8000 "])
def test_the_usual_ways_of_writing_a_mainland_mobile_all_give_e164(raw):
    assert normalise_mobile("U1", raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["0663-8212345", "010-12345678"])
def test_a_landline_is_refused_naming_the_unit_and_saying_landline(raw):
    with pytest.raises(InvalidPhone) as caught:
        normalise_mobile("揭阳市生态环境局", raw)
    message = str(caught.value)
    assert "揭阳市生态环境局" in message and "landline" in message and raw in message
    assert caught.value.unit == "揭阳市生态环境局" and caught.value.phone == raw


@pytest.mark.parametrize("raw, reason", [
    ("1380013800", "not a valid number"),  # ten digits
    ("12345", "not a valid number"),
    ("", "empty"),
    (None, "empty"),
    ("not a phone", "not a phone number"),
])
def test_malformed_numbers_are_refused_with_a_reason(raw, reason):
    with pytest.raises(InvalidPhone) as caught:
        normalise_mobile("U9", raw)
    assert reason in caught.value.reason and "U9" in str(caught.value)


def test_registering_a_unit_stores_the_normalised_number(engine):
    engine.register_unit("U1", "单位", ["13800138000", "+86 139-0000-0001"])
    with engine.store.reading() as tx:
        unit = tx.get_unit("U1")
    assert unit is not None and sorted(unit.phones) == ["+8613800138000", "+8613900000001"]


def test_one_bad_number_in_the_list_stores_nothing(engine):
    with pytest.raises(InvalidPhone, match="landline"):
        engine.register_unit("U1", "单位", ["13800138000", "0663-8212345"])
    with engine.store.reading() as tx:
        assert tx.get_unit("U1") is None


def test_mask_keeps_the_country_prefix_and_the_last_four_digits_only():
    assert mask("+8613800138000") == "+86138****8000"
    assert "0013" not in mask("+8613800138000")
    assert mask("1234") == "****"  # too short to show any of it


# ============================================================================== templates
def _required() -> set[str]:
    settings = Settings()
    return sms_templates_used(load_directory(settings.bpmn_dir, frozenset(OPERATIONS))) | {DIGEST}


def _links(url: str = PUBLIC_URL) -> AckLinks:
    return AckLinks(SECRET, url, timedelta(days=14))


def test_the_shipped_templates_cover_every_template_the_bpmn_names():
    required = _required()
    assert {"dispatched", DIGEST} <= required  # the check really has something to check
    templates, policy, lifetime = load_sms_config(ROOT / "config" / "sms_templates.toml",
                                                  link_width=link_width(_links().public_url), required=required)
    assert required <= set(templates.texts)
    assert templates.sign == SIGN and templates.max_length == 140
    assert policy.max_attempts == 5 and lifetime == timedelta(days=14)


def test_an_unknown_placeholder_names_the_template_and_the_placeholder():
    with pytest.raises(RuleError) as caught:
        SmsTemplates.build(SIGN, 140, {"dispatched": "工单{order}请{dept}办理"}, link_width=50)
    assert "'dispatched'" in str(caught.value) and "{dept}" in str(caught.value)


def test_a_template_that_could_exceed_the_limit_is_refused_with_its_figures():
    text = "工单{order}已派发至{unit}，请尽快办理，谢谢配合。" + "注意事项" * 10
    worst = len(SIGN) + len(text) - len("{order}{unit}") + PLACEHOLDER_WIDTHS["order"] + PLACEHOLDER_WIDTHS["unit"]
    assert worst > 70
    with pytest.raises(RuleError) as caught:
        SmsTemplates.build(SIGN, 70, {"too_long": text}, link_width=50)
    message = str(caught.value)
    assert "'too_long'" in message and f"up to {worst} characters" in message and "limit of 70" in message
    SmsTemplates.build(SIGN, worst, {"too_long": text}, link_width=50)  # exactly at the limit is fine


def test_a_longer_public_url_can_push_a_template_over_the_limit():
    text = "工单{order}请签收：{link}"
    SmsTemplates.build(SIGN, 100, {"t": text}, link_width=link_width(_links().public_url))
    with pytest.raises(RuleError, match="'t'"):
        SmsTemplates.build(SIGN, 100, {"t": text}, link_width=link_width("https://" + "x" * 80 + ".gov.cn"))


def test_a_template_the_bpmn_names_but_the_file_lacks_stops_the_start_up():
    with pytest.raises(RuleError) as caught:
        SmsTemplates.build(SIGN, 140, {"dispatched": "工单{order}"}, link_width=50,
                           required={"dispatched", "red_card"})
    assert "red_card" in str(caught.value) and "BPMN" in str(caught.value)


def test_the_shipped_file_without_one_required_template_is_refused(tmp_path):
    shipped = (ROOT / "config" / "sms_templates.toml").read_text(encoding="utf-8")
    cut = re.sub(r"(?m)^red_card = .*\n", "", shipped)
    assert cut != shipped
    path = tmp_path / "sms_templates.toml"
    path.write_text(cut, encoding="utf-8")
    with pytest.raises(RuleError, match="red_card"):
        load_sms_config(path, link_width=link_width(_links().public_url), required=_required())


@pytest.mark.parametrize("sign", ["揭阳12345", "[揭阳12345]", "", "【揭阳12345"])
def test_a_sign_without_the_chinese_brackets_is_refused(sign):
    with pytest.raises(RuleError, match="sign"):
        SmsTemplates.build(sign, 140, {"dispatched": "工单{order}"}, link_width=50)


def _shipped() -> SmsTemplates:
    templates, _, _ = load_sms_config(None, link_width=link_width(_links().public_url), required=_required())
    return templates


def test_render_puts_the_sign_first_and_shows_deadlines_in_shanghai_time():
    deadline = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)  # 17:00 in Shanghai
    text = _shipped().render("dispatched", {"order": "WO-1", "unit": "揭阳市生态环境局", "deadline": deadline,
                                            "link": "https://duban.example.gov.cn/a/x"})
    assert text == "【揭阳12345】工单WO-1已派发至揭阳市生态环境局，请于12月3日17:00前办结。签收：https://duban.example.gov.cn/a/x"


def test_render_reads_iso_text_deadlines_as_times_too():
    text = _shipped().render("due_soon", {"order": "WO-1", "deadline": "2026-06-05T09:30:00+00:00", "link": ""})
    assert "6月5日17:30" in text


def test_an_over_long_unit_name_is_cut_with_an_ellipsis_and_the_message_never_exceeds_the_limit():
    templates, links = _shipped(), _links()
    longest_link = links.url(10 ** 9 - 1, datetime(2026, 6, 2, 2, 0, tzinfo=timezone.utc))
    assert len(longest_link) <= link_width(links.public_url)
    unit = "揭阳市" + "某" * 197
    assert len(unit) == 200
    for key in templates.texts:
        text = templates.render(key, {"order": "W" * 60, "unit": unit, "deadline": local(2026, 12, 31, 17, 0),
                                      "link": longest_link, "count": "999", "orders": "WO-1、" * 30,
                                      "kind": "督办函督办函督办函", "number": "揭热线督〔2026〕12号" * 3})
        assert text.startswith(SIGN) and len(text) <= templates.max_length, (key, len(text))
    dispatched = templates.render("dispatched", {"order": "WO-1", "unit": unit, "deadline": "", "link": ""})
    shown = dispatched.split("已派发至")[1].split("，")[0]
    assert shown == unit[:PLACEHOLDER_WIDTHS["unit"] - 1] + "…"
    assert longest_link in templates.render("dispatched", {"order": "WO-1", "unit": unit, "link": longest_link})


@pytest.mark.parametrize("text", ["工单{order}已派发{", "工单{order}}已派发", "工单{order已派发"])
def test_a_stray_brace_is_a_clear_rule_error_naming_the_template(text):
    with pytest.raises(RuleError) as caught:
        SmsTemplates.build(SIGN, 140, {"dispatched": text}, link_width=50)
    assert "'dispatched'" in str(caught.value) and "{{" in str(caught.value)


def test_doubled_braces_are_literal_braces():
    templates = SmsTemplates.build(SIGN, 140, {"t": "工单{order}{{请勿回复}}"}, link_width=50)
    assert templates.render("t", {"order": "WO-1"}) == SIGN + "工单WO-1{请勿回复}"


def test_a_format_spec_in_a_placeholder_is_a_rule_error_naming_the_template():
    with pytest.raises(RuleError, match="'dispatched'"):
        SmsTemplates.build(SIGN, 140, {"dispatched": "工单{order}请于{deadline:%H:%M}前办结"}, link_width=50)
    with pytest.raises(RuleError, match="must be plain"):
        SmsTemplates.build(SIGN, 140, {"dispatched": "工单{order!r}"}, link_width=50)


# ============================================================================== links
NOW = datetime(2026, 6, 2, 2, 0, tzinfo=timezone.utc)


def test_a_token_verifies_to_its_message_id():
    links = _links()
    for message_id in (1, 42, 123_456, 10 ** 9 - 1):
        assert links.verify(links.token(message_id, NOW), NOW) == message_id


def test_changing_any_single_character_of_the_token_is_refused():
    links = _links()
    token = links.token(4242, NOW)
    for i, char in enumerate(token):
        for other in {"0", "z", "A", "-", "."} - {char}:
            altered = token[:i] + other + token[i + 1:]
            with pytest.raises(InvalidLink):
                links.verify(altered, NOW)


def test_a_token_signed_with_another_secret_is_refused():
    mine, theirs = _links(), AckLinks(b"another-secret-of-16+", PUBLIC_URL, timedelta(days=14))
    with pytest.raises(InvalidLink):
        mine.verify(theirs.token(7, NOW), NOW)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "x" * 200, None])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidLink):
        _links().verify(token, NOW)


def test_a_link_expires_exactly_at_its_lifetime_and_works_a_minute_before():
    links = _links()
    token = links.token(7, NOW)
    assert links.verify(token, NOW + timedelta(days=14) - timedelta(minutes=1)) == 7
    with pytest.raises(ExpiredLink):
        links.verify(token, NOW + timedelta(days=14))
    with pytest.raises(ExpiredLink):
        links.verify(token, NOW + timedelta(days=30))


def test_the_link_is_short_enough_for_an_sms():
    links = _links()
    url = links.url(123_456, NOW)
    assert url.startswith(PUBLIC_URL + "/a/")
    assert len(url) == 58  # observed: 28 (public url) + 3 (/a/) + 27 (token: 4 + 5 + 16 and two dots)
    assert len(links.url(10 ** 9 - 1, NOW)) <= link_width(links.public_url) < 70


def test_a_short_secret_is_refused():
    with pytest.raises(ValueError, match="16 bytes"):
        AckLinks(b"short", PUBLIC_URL, timedelta(days=1))


# ============================================================================== settings
TWILIO_ENV = {"DUBAN_SMS_GATEWAY": "twilio", "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "token",
              "TWILIO_FROM": "+15005550006"}


def test_twilio_settings_that_work_are_accepted():
    settings = Settings.from_env(TWILIO_ENV)
    assert settings.sms_gateway == "twilio" and settings.twilio_from == "+15005550006"


def test_twilio_without_an_auth_token_is_refused_naming_the_variable():
    env = {k: v for k, v in TWILIO_ENV.items() if k != "TWILIO_AUTH_TOKEN"}
    with pytest.raises(RuleError, match="TWILIO_AUTH_TOKEN"):
        Settings.from_env(env)


def test_twilio_with_both_a_sender_and_a_messaging_service_is_refused():
    with pytest.raises(RuleError, match="exactly one of TWILIO_FROM and TWILIO_MESSAGING_SERVICE_SID"):
        Settings.from_env({**TWILIO_ENV, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "2" * 32})


@pytest.mark.parametrize("url", ["ftp://x", "duban.example.gov.cn", "https://x/?a=1", "https://"])
def test_a_public_url_units_cannot_open_is_refused(url):
    with pytest.raises(RuleError, match="DUBAN_PUBLIC_URL"):
        Settings.from_env({"DUBAN_PUBLIC_URL": url})


def test_an_unknown_gateway_is_refused():
    with pytest.raises(RuleError, match="DUBAN_SMS_GATEWAY='carrier-pigeon'"):
        Settings.from_env({"DUBAN_SMS_GATEWAY": "carrier-pigeon"})


def test_a_short_secret_key_is_refused():
    with pytest.raises(RuleError, match="DUBAN_SECRET_KEY"):
        Settings.from_env({"DUBAN_SECRET_KEY": "short"})


# ============================================================================== twilio errors and receipts
def _rest_error(status: int, code: int | None) -> TwilioRestException:
    return TwilioRestException(status, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json",
                               msg="boom", code=code, method="POST")


@pytest.mark.parametrize("status, code", [(429, 20429), (429, None), (503, None), (500, 20500)])
def test_busy_or_broken_twilio_is_retried(status, code):
    result = classify_rest_error(_rest_error(status, code))
    assert result.outcome == RETRY and not result.bad_number
    assert result.error_code == str(code or status)


@pytest.mark.parametrize("code", [21211, 21610])
def test_an_invalid_or_unsubscribed_number_is_rejected_as_a_bad_number(code):
    result = classify_rest_error(_rest_error(400, code))
    assert result.outcome == REJECTED and result.bad_number and result.error_code == str(code)
    assert str(code) in result.error


def test_another_client_error_is_rejected_without_blaming_the_number():
    result = classify_rest_error(_rest_error(400, 21606))
    assert result.outcome == REJECTED and not result.bad_number and result.error_code == "21606"


def test_an_undelivered_receipt_for_a_passing_reason_asks_for_a_retry():
    receipt = TwilioSmsGateway.receipt({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"},
                                       {"m": "17"})
    assert receipt.retry and not receipt.bad_number
    assert receipt.provider_id == "SM1" and receipt.status == "undelivered" and receipt.error_code == "30003"
    assert receipt.message_id == 17


def test_a_failed_receipt_for_an_unknown_number_blames_the_number():
    receipt = TwilioSmsGateway.receipt({"SmsSid": "SM2", "SmsStatus": "failed", "ErrorCode": "30006"}, {"m": "5"})
    assert receipt.bad_number and not receipt.retry and receipt.message_id == 5


def test_a_receipt_without_our_reference_or_a_status_is_handled():
    receipt = TwilioSmsGateway.receipt({"MessageSid": "SM3", "MessageStatus": "delivered"}, {})
    assert receipt.message_id is None and receipt.error_code is None and not receipt.retry
    assert TwilioSmsGateway.receipt({"MessageSid": "SM3", "MessageStatus": "sent"}, {"m": "x1"}).message_id is None
    with pytest.raises(ValueError, match="MessageStatus"):
        TwilioSmsGateway.receipt({"MessageSid": "SM3"}, {"m": "1"})


# ============================================================================== CLI
PHONE_OK, PHONE_BAD = "+8613900000001", "+8613900000011"


@pytest.fixture
def sms_db(make_engine, clock, settings, sqlite_url, monkeypatch):
    """A SQLite database with one delivered and one failed SMS, written by the outbox-only gateway."""
    for name in ("DUBAN_DATABASE_URL", "DUBAN_SMS_GATEWAY", "DUBAN_PUBLIC_URL", "DUBAN_SECRET_KEY",
                 "DUBAN_SMS_TEMPLATES", "DUBAN_BPMN_DIR", "DUBAN_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    engine = make_engine(clock=clock)
    sms = build_sms(settings, engine)
    assert sms.gateway.name == "outbox"
    engine.register_unit("U1", "揭阳市生态环境局", [PHONE_OK])
    engine.register_unit("U2", "揭阳市住房和城乡建设局", [PHONE_BAD])
    clock.set(local(2026, 6, 2, 10, 0))
    with engine.store.transaction() as tx:
        tx.flag_failing_number(PHONE_BAD, "空号（错误码 21211）", clock.now())
    for number, unit in (("WO-OK", "U1"), ("WO-BAD", "U2")):
        engine.open_work_order(number=number, unit_code=unit, category="咨询", urgency="一般", source="12345",
                               at=clock.now())
    report = sms.delivery.run(sms.gateway)
    assert report.sent == 1 and report.failed == 1
    return sqlite_url


def test_duban_sms_lists_counts_and_messages_with_masked_numbers(sms_db, capsys):
    from web.cli import main

    assert main(["--log-format", "text", "sms", "--database", sms_db]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("delivered 1  failed 1  waiting 0  covered 0")
    assert "(due now 0, unconfirmed 0)" in lines[0]
    assert len(lines) == 3
    assert any("delivered" in line and mask(PHONE_OK) in line and "WO-OK" in line for line in lines[1:])
    assert any("failed" in line and mask(PHONE_BAD) in line and "WO-BAD" in line and "号码已标记失效" in line
               for line in lines[1:])
    assert PHONE_OK not in out and PHONE_BAD not in out and "13900000001" not in out


def test_duban_sms_state_failed_shows_only_failures(sms_db, capsys):
    from web.cli import main

    assert main(["--log-format", "text", "sms", "--database", sms_db, "--state", "failed"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("delivered 1  failed 1")  # the counts still cover every group
    (line,) = lines[1:]
    assert "failed" in line and "WO-BAD" in line and mask(PHONE_BAD) in line


def test_duban_sms_order_filter(sms_db, capsys):
    from web.cli import main

    assert main(["--log-format", "text", "sms", "--database", sms_db, "--order", "WO-OK"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("delivered 1  failed 0") and len(lines) == 2 and "WO-OK" in lines[1]


@pytest.mark.parametrize("argv", [["sms", "--state", "nonsense"], ["sms", "--limit", "0"], ["sms", "--limit", "x"]])
def test_duban_sms_bad_input_exits_with_code_2(argv, capsys):
    from web.cli import main

    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("duban sms: error: argument --") and err.count("\n") == 1  # one line, no usage block


def test_check_config_reports_the_sms_templates(capsys, monkeypatch):
    from web.cli import main

    for name in ("DUBAN_SMS_TEMPLATES", "DUBAN_SMS_GATEWAY", "DUBAN_PUBLIC_URL", "DUBAN_BPMN_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert main(["--log-format", "text", "check-config"]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if line.startswith("sms templates")]
    assert "sms_templates.toml" in line and "13 ok" in line and "limit 140" in line
    assert "sign 【揭阳12345】" in line and "gateway outbox" in line


def test_check_config_refuses_a_template_file_missing_a_required_template(tmp_path, capsys, monkeypatch):
    from web.cli import main

    shipped = (ROOT / "config" / "sms_templates.toml").read_text(encoding="utf-8")
    path = tmp_path / "sms.toml"
    path.write_text(re.sub(r"(?m)^dispatched = .*\n", "", shipped), encoding="utf-8")
    monkeypatch.setenv("DUBAN_SMS_TEMPLATES", str(path))
    assert main(["--log-format", "text", "check-config"]) == 2
    assert "dispatched" in capsys.readouterr().err


# ============================================================================== pass size
def test_a_delivery_pass_sends_no_more_than_its_limit(make_engine, clock, settings):
    engine = make_engine(clock=clock)
    sms = build_sms(settings, engine)
    clock.set(local(2026, 6, 2, 10, 0))
    for n in range(5):
        engine.register_unit(f"U{n}", f"单位{n}", [f"+86139000000{n:02d}"])
        engine.open_work_order(number=f"WO-{n}", unit_code=f"U{n}", category="咨询", urgency="一般",
                               source="12345", at=clock.now())
    assert sms.delivery.run(sms.gateway, limit=2).sent == 2
    assert sms.delivery.run(sms.gateway, limit=2).sent == 2
    assert sms.delivery.run(sms.gateway, limit=2).sent == 1
    assert sms.delivery.run(sms.gateway, limit=2).sent == 0


def test_a_digest_lists_whole_order_numbers_and_counts_orders():
    from engine.sms.delivery import whole_numbers
    long = [f"GD2026060100{n:02d}" for n in range(1, 6)]  # 14 characters each
    assert whole_numbers(long, 35) == "GD202606010001、GD202606010002等"
    assert whole_numbers(long[:2], 40) == "GD202606010001、GD202606010002"
    assert whole_numbers(["X" * 50, "Y"], 40) == "2件"  # not even one fits whole: say how many
