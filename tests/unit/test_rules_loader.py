"""config/rules.toml: the shipped numbers are the issue's default rule set, and a bad file is refused."""
from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest

from config.loader import CONFIG_DIR, load_rules
from engine.domain.errors import RuleError
from engine.domain.rules import RuleTable

SHIPPED = CONFIG_DIR / "rules.toml"


@pytest.fixture(scope="module")
def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def write_variant(tmp_path: Path, text: str, old: str, new: str) -> Path:
    """A copy of the shipped rules.toml with exactly one line changed (old must occur once)."""
    assert text.count(old) == 1, f"fixture drift: {old!r} not found exactly once in rules.toml"
    path = tmp_path / "rules.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def load_variant(tmp_path, text, old, new) -> RuleTable:
    return load_rules(write_variant(tmp_path, text, old, new))


# --- the shipped file -----------------------------------------------------------------------------

def test_shipped_rules_are_the_default_rule_set():
    rules = load_rules()
    assert rules.handling_working_days == {"咨询": 2, "求助": 10, "建议": 10, "投诉": 15, "举报": 15}
    assert rules.source_working_days == {"12315": {"投诉": 7}}
    assert rules.urgent_hours == {"紧急": 24, "特急": 2}
    assert rules.urgent_yellow_card_hours == 24
    assert rules.urgent_red_card_hours == 72
    assert rules.sign_for_working_days == 1
    assert rules.sign_overdue_time == time(9, 0)
    assert rules.due_soon_time == time(9, 0)
    assert rules.ladder_time == time(9, 0)
    assert (rules.overdue_working_days, rules.yellow_card_working_days, rules.red_card_working_days,
            rules.supervision_letter_working_days) == (1, 3, 5, 10)
    assert rules.instruction_letter_months == 1
    assert rules.instruction_report_months == 3
    assert rules.progress_report_waives_letter is False
    assert rules.quarterly_report_time == time(9, 0)
    assert rules.sms_window_start == time(8, 0)
    assert rules.sms_window_end == time(21, 0)
    assert rules.urgent_sms_ignore_quiet_hours is True


def test_explicit_path_to_the_shipped_file_gives_the_same_table():
    assert load_rules(SHIPPED) == load_rules()


def test_working_days_for_applies_the_12315_override_to_complaints_only():
    rules = load_rules()
    assert rules.working_days_for("投诉", "12315") == 7
    assert rules.working_days_for("投诉", "12345") == 15
    assert rules.working_days_for("举报", "12315") == 15
    assert rules.working_days_for("咨询", "12315") == 2


def test_a_changed_number_is_picked_up(tmp_path, shipped_text):
    rules = load_variant(tmp_path, shipped_text, '"咨询" = 2', '"咨询" = 3')
    assert rules.handling_working_days["咨询"] == 3


def test_toml_local_time_literal_is_accepted(tmp_path, shipped_text):
    rules = load_variant(tmp_path, shipped_text, 'chase_at = "09:00"', "chase_at = 09:30:00")
    assert rules.sign_overdue_time == time(9, 30)


# --- refused files --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        # missing settings
        ("red_card_hours_after_deadline = 72\n", "", "red_card_hours_after_deadline"),
        ('"咨询" = 2, ', "", "咨询"),
        ("supervision_letter_working_days = 10", "", "supervision_letter_working_days"),
        ('window_end = "21:00"', "", "window_end"),
        ('at = "09:00"                # on the first WD', "# removed", "at"),
        ("progress_report_waives_letter = false", "", "progress_report_waives_letter"),
        # counts out of range / wrong type
        ('"投诉" = 15', '"投诉" = -1', "handling.working_days.投诉"),
        ('"投诉" = 15', '"投诉" = 0', "handling.working_days.投诉"),
        ('"举报" = 15', '"举报" = 1.5', "handling.working_days.举报"),
        ('"举报" = 15', '"举报" = true', "handling.working_days.举报"),
        ('"举报" = 15', '"举报" = "15"', "handling.working_days.举报"),
        ('"投诉" = 7', '"投诉" = -7', "handling.by_source.12315.投诉"),
        ('hours = { "紧急" = 24, "特急" = 2 }', 'hours = { "紧急" = 24, "特急" = -2 }', "urgent.hours.特急"),
        ("working_days = 1            # must", "working_days = 0            # must", "sign_for.working_days"),
        # unknown names
        ('[handling.by_source."12315"]', '[handling.by_source."12306"]', "12306"),
        ('"投诉" = 7', '"投拆" = 7', "投拆"),
        # bad times of day
        ('due_soon_at = "09:00"', 'due_soon_at = "25:00"', "ladder.due_soon_at"),
        ('step_at = "09:00"', 'step_at = "9am"', "ladder.step_at"),
        ('chase_at = "09:00"', 'chase_at = "09:60"', "sign_for.chase_at"),
        ('window_start = "08:00"', 'window_start = "24:00"', "sms.window_start"),
        # SMS window the wrong way round or empty
        ('window_start = "08:00"', 'window_start = "21:00"', "sms.window_start"),
        ('window_start = "08:00"', 'window_start = "22:00"', "sms.window_start"),
        # a non-boolean switch
        ("progress_report_waives_letter = false", 'progress_report_waives_letter = "no"',
         "progress_report_waives_letter"),
    ],
)
def test_bad_setting_is_refused_with_its_name(tmp_path, shipped_text, old, new, named):
    path = write_variant(tmp_path, shipped_text, old, new)
    with pytest.raises(RuleError) as excinfo:
        load_rules(path)
    assert named in str(excinfo.value)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("yellow_card_working_days = 3", "yellow_card_working_days = 6"),  # yellow after red
        ("red_card_working_days = 5", "red_card_working_days = 3"),  # red on the same day as yellow
        ("overdue_working_days = 1 ", "overdue_working_days = 4 "),  # overdue after the yellow card
        ("supervision_letter_working_days = 10", "supervision_letter_working_days = 4"),
    ],
)
def test_non_increasing_ladder_is_refused(tmp_path, shipped_text, old, new):
    path = write_variant(tmp_path, shipped_text, old, new)
    with pytest.raises(RuleError, match=r"ladder steps must come in strictly increasing"):
        load_rules(path)


def test_negative_ladder_step_is_refused(tmp_path, shipped_text):
    path = write_variant(tmp_path, shipped_text, "yellow_card_working_days = 3", "yellow_card_working_days = -3")
    with pytest.raises(RuleError, match=re.escape("ladder.yellow")):
        load_rules(path)


def test_missing_section_is_refused(tmp_path, shipped_text):
    text = shipped_text.split("[sms]")[0]
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError, match="missing setting 'sms'"):
        load_rules(path)


def test_message_names_the_file(tmp_path, shipped_text):
    path = write_variant(tmp_path, shipped_text, "red_card_hours_after_deadline = 72\n", "")
    with pytest.raises(RuleError) as excinfo:
        load_rules(path)
    assert str(path) in str(excinfo.value)


def test_bad_toml_is_refused(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[handling\nworking_days = 3\n", encoding="utf-8")
    with pytest.raises(RuleError, match="not valid TOML"):
        load_rules(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(RuleError, match="file not found"):
        load_rules(tmp_path / "absent.toml")


def test_non_boolean_urgent_quiet_hours_switch_is_refused(tmp_path, shipped_text):
    path = write_variant(tmp_path, shipped_text, "urgent_ignores_quiet_hours = true",
                         'urgent_ignores_quiet_hours = "false"')
    with pytest.raises(RuleError, match="urgent_ignores_quiet_hours"):
        load_rules(path)
