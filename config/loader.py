"""Load and validate the rule table and the working calendar. A bad file is a start-up error."""
from __future__ import annotations

import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from engine.domain.calendar import WorkingCalendar
from engine.domain.catalogue import CatalogueEntry, DispatchCatalogue
from engine.domain.errors import RuleError
from engine.domain.rules import CATEGORIES, OBJECTION_REASONS, SOURCES, DuplicatePolicy, RuleTable
from engine.sms.delivery import DeliveryPolicy
from engine.sms.templates import SmsTemplates

CONFIG_DIR = Path(__file__).parent
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a calendar.toml may describe


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{path}: not valid TOML: {exc}") from None


def _time(value: Any, where: str) -> time:
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise RuleError(f"{where}: {value!r} is not a time of day like \"09:00\"") from None


def _count(value: Any, where: str, low: int = 1, high: int = 366) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RuleError(f"{where}: expected a whole number from {low} to {high}, got {value!r}")
    return value


# Every setting rules.toml may hold, by table: anything else is a typo that would silently keep a default.
RULE_KEYS: dict[str, frozenset[str]] = {
    "handling": frozenset({"working_days", "by_source"}),
    "urgent": frozenset({"hours", "yellow_card_hours_after_deadline", "red_card_hours_after_deadline"}),
    "sign_for": frozenset({"working_days", "chase_at"}),
    "ladder": frozenset({"due_soon_at", "step_at", "overdue_working_days", "yellow_card_working_days",
                         "red_card_working_days", "supervision_letter_working_days", "letter_reply_working_days"}),
    "objection": frozenset({"window_working_days", "decision_working_days", "pause_clock", "reasons"}),
    "hard_case": frozenset({"reopens", "units"}),
    "duplicates": frozenset({"window_days", "distance_m", "min_score"}),
    "instruction": frozenset({"supervision_letter_after_months", "special_report_after_months",
                              "progress_report_waives_letter"}),
    "quarterly_report": frozenset({"at"}),
    "sms": frozenset({"window_start", "window_end", "urgent_ignores_quiet_hours"}),
}


def _unknown_keys(raw: dict[str, Any], path: Path) -> None:
    """Refuse a table or setting the rules do not know, and unknown names inside the keyed tables."""
    for table, value in raw.items():
        if table not in RULE_KEYS:
            raise RuleError(f"{path}: unknown table [{table}]; known: {', '.join(RULE_KEYS)}")
        if not isinstance(value, dict):
            raise RuleError(f"{path}: {table} must be a table [{table}]")
        for key in value:
            if key not in RULE_KEYS[table]:
                raise RuleError(f"{path}: unknown setting {table}.{key}; known: {', '.join(sorted(RULE_KEYS[table]))}")
    keyed = {"handling.working_days": (raw.get("handling", {}).get("working_days", {}), CATEGORIES),
             "urgent.hours": (raw.get("urgent", {}).get("hours", {}), ("紧急", "特急"))}
    for where, (table, known) in keyed.items():
        unknown = set(table) - set(known) if isinstance(table, dict) else set()
        if unknown:
            raise RuleError(f"{path}: {where}: unknown {', '.join(sorted(unknown))}; known: {', '.join(known)}")


def load_rules(path: Path | None = None) -> RuleTable:
    path = path or CONFIG_DIR / "rules.toml"
    raw = _read(path)
    _unknown_keys(raw, path)
    try:
        handling = raw["handling"]
        days = {c: _count(handling["working_days"][c], f"handling.working_days.{c}") for c in CATEGORIES}
        by_source = {}
        for source, overrides in handling.get("by_source", {}).items():
            if source not in SOURCES:
                raise RuleError(f"{path}: handling.by_source: unknown source {source!r}")
            for category in overrides:
                if category not in CATEGORIES:
                    raise RuleError(f"{path}: handling.by_source.{source}: unknown category {category!r}")
            by_source[source] = {c: _count(v, f"handling.by_source.{source}.{c}") for c, v in overrides.items()}
        urgent, sign, ladder = raw["urgent"], raw["sign_for"], raw["ladder"]
        instruction, sms = raw["instruction"], raw["sms"]
        steps = [ladder[k] for k in ("overdue_working_days", "yellow_card_working_days", "red_card_working_days",
                                     "supervision_letter_working_days")]
        for name, value in zip(("overdue_working_days", "yellow_card_working_days", "red_card_working_days",
                                "supervision_letter_working_days"), steps, strict=True):
            _count(value, f"{path}: ladder.{name}")
        if steps != sorted(steps) or len(set(steps)) != len(steps):
            raise RuleError(f"{path}: ladder steps must come in strictly increasing working days, got {steps}")
        window = (_time(sms["window_start"], "sms.window_start"), _time(sms["window_end"], "sms.window_end"))
        if window[0] >= window[1]:
            raise RuleError(f"{path}: sms.window_start must be before sms.window_end")
        waives = _switch(instruction["progress_report_waives_letter"], f"{path}: instruction.progress_report_waives_letter")
        return RuleTable(
            handling_working_days=days,
            source_working_days=by_source,
            urgent_hours={u: _count(urgent["hours"][u], f"urgent.hours.{u}", 1, 24 * 30) for u in ("紧急", "特急")},
            urgent_yellow_card_hours=_count(urgent["yellow_card_hours_after_deadline"],
                                              f"{path}: urgent.yellow_card_hours_after_deadline", 1, 24 * 60),
            urgent_red_card_hours=_count(urgent["red_card_hours_after_deadline"],
                                           f"{path}: urgent.red_card_hours_after_deadline", 1, 24 * 60),
            sign_for_working_days=_count(sign["working_days"], "sign_for.working_days"),
            sign_overdue_time=_time(sign["chase_at"], "sign_for.chase_at"),
            due_soon_time=_time(ladder["due_soon_at"], "ladder.due_soon_at"),
            ladder_time=_time(ladder["step_at"], "ladder.step_at"),
            overdue_working_days=steps[0], yellow_card_working_days=steps[1], red_card_working_days=steps[2],
            supervision_letter_working_days=steps[3],
            letter_reply_working_days=_count(ladder.get("letter_reply_working_days", 5),
                                             f"{path}: ladder.letter_reply_working_days"),
            instruction_letter_months=_count(instruction["supervision_letter_after_months"],
                                             f"{path}: instruction.supervision_letter_after_months", 1, 24),
            instruction_report_months=_count(instruction["special_report_after_months"],
                                             f"{path}: instruction.special_report_after_months", 1, 24),
            progress_report_waives_letter=waives,
            quarterly_report_time=_time(raw["quarterly_report"]["at"], "quarterly_report.at"),
            sms_window_start=window[0], sms_window_end=window[1],
            urgent_sms_ignore_quiet_hours=_switch(sms.get("urgent_ignores_quiet_hours", True),
                                                  f"{path}: sms.urgent_ignores_quiet_hours"),
            **_objection_rules(raw, path),
            duplicates=_duplicate_policy(raw.get("duplicates", {}), path),
        )
    except KeyError as exc:
        raise RuleError(f"{path}: missing setting {exc.args[0]!r}") from None


def _objection_rules(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """[objection] and [hard_case]; both optional (the defaults are the 2025 national rules' usual numbers)."""
    objection, hard = raw.get("objection", {}), raw.get("hard_case", {})
    reasons = objection.get("reasons", list(OBJECTION_REASONS))
    if (not isinstance(reasons, list) or not reasons or len(set(reasons)) != len(reasons)
            or not all(isinstance(r, str) and r.strip() and len(r) <= 50 for r in reasons)):
        raise RuleError(f"{path}: objection.reasons must be a list of distinct reason codes of 1 to 50 characters")
    return {
        "objection_window_working_days": _count(objection.get("window_working_days", 1),
                                                f"{path}: objection.window_working_days", 1, 30),
        "objection_decision_working_days": _count(objection.get("decision_working_days", 1),
                                                  f"{path}: objection.decision_working_days", 1, 30),
        "objection_pauses_clock": _switch(objection.get("pause_clock", False), f"{path}: objection.pause_clock"),
        "objection_reasons": tuple(reasons),
        "hard_case_reopens": _count(hard.get("reopens", 3), f"{path}: hard_case.reopens", 1, 20),
        "hard_case_units": _count(hard.get("units", 3), f"{path}: hard_case.units", 2, 20),
    }


def _duplicate_policy(table: dict[str, Any], path: Path) -> DuplicatePolicy:
    """[duplicates] (optional): how far back and how near duplicate candidates are looked for (issue 19)."""
    score = table.get("min_score", 0.5)
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.05 <= score <= 1:
        raise RuleError(f"{path}: duplicates.min_score: expected a number from 0.05 to 1, got {score!r}")
    return DuplicatePolicy(window=timedelta(days=_count(table.get("window_days", 30), f"{path}: duplicates.window_days")),
                           distance_m=float(_count(table.get("distance_m", 100), f"{path}: duplicates.distance_m",
                                                   1, 5000)), min_score=float(score))


def load_catalogue(path: Path | None = None) -> DispatchCatalogue:
    """The dispatch catalogue (派单目录); a missing file is an empty catalogue, a malformed one a start-up error."""
    path = path or CONFIG_DIR / "dispatch_catalogue.toml"
    if not path.exists():
        return DispatchCatalogue()
    raw = _read(path)
    entries = raw.get("entries", [])
    if not isinstance(entries, list):
        raise RuleError(f"{path}: [[entries]] must be a list of tables")
    found = []
    for i, entry in enumerate(entries, start=1):
        where = f"{path}: entry {i}"
        if not isinstance(entry, dict) or set(entry) - {"topic", "unit", "keywords", "categories"}:
            raise RuleError(f"{where}: only topic, unit, keywords and categories are allowed")
        topic, unit = entry.get("topic"), entry.get("unit")
        keywords, categories = entry.get("keywords", []), entry.get("categories", [])
        if not isinstance(topic, str) or not topic.strip() or not isinstance(unit, str) or not unit.strip():
            raise RuleError(f"{where}: topic and unit are required")
        if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords):
            raise RuleError(f"{where}: keywords must be a list of words")
        if not isinstance(categories, list) or not set(categories) <= set(CATEGORIES):
            raise RuleError(f"{where}: categories must be some of {'/'.join(CATEGORIES)}")
        if not keywords and not categories:
            raise RuleError(f"{where}: give keywords, categories or both")
        found.append(CatalogueEntry(topic.strip(), unit.strip(), tuple(keywords), tuple(categories)))
    return DispatchCatalogue(tuple(found))


def _switch(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RuleError(f"{where}: must be true or false, got {value!r}")
    return value


def builtin_calendar() -> WorkingCalendar:
    """State Council arrangements as shipped by the chinesecalendar package."""
    from chinese_calendar import constants

    names = {h.value: h.chinese for h in constants.Holiday}
    holidays = {d: names.get(str(n), str(n)) for d, n in constants.holidays.items()}
    years = frozenset(d.year for d in holidays)
    return WorkingCalendar(known_years=years, holidays=holidays, adjusted_working_days=frozenset(constants.workdays))


def load_calendar(path: Path | None = None) -> WorkingCalendar:
    path = path or CONFIG_DIR / "calendar.toml"
    raw = _read(path)
    holidays: dict[date, str] = {}
    working: set[date] = set()
    years: set[int] = set()
    for year_text, spec in raw.get("years", {}).items():
        if not str(year_text).isdigit():
            raise RuleError(f"{path}: years.{year_text}: not a year")
        year = int(year_text)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise RuleError(f"{path}: years.{year}: a calendar year must be from {FIRST_YEAR} to {LAST_YEAR}")
        years.add(year)
        if not isinstance(spec, dict):
            raise RuleError(f"{path}: years.{year} must be a table with holidays and working_days")
        if not isinstance(spec.get("holidays", {}), dict):
            raise RuleError(f"{path}: years.{year}.holidays must be a table like {{ \"{year}-01-01\" = \"元旦\" }}")
        if not isinstance(spec.get("working_days", []), list):
            raise RuleError(f"{path}: years.{year}.working_days must be a list of dates")
        for day_text, name in spec.get("holidays", {}).items():
            day = _date(day_text, f"{path}: years.{year}.holidays")
            if day.year != year:
                raise RuleError(f"{path}: years.{year}.holidays: {day_text} is not in {year}")
            holidays[day] = str(name)
        for day_text in spec.get("working_days", []):
            day = _date(day_text, f"{path}: years.{year}.working_days")
            if day.year != year:
                raise RuleError(f"{path}: years.{year}.working_days: {day_text} is not in {year}")
            working.add(day)
    both = sorted(set(holidays) & working)
    if both:
        raise RuleError(f"{path}: {', '.join(d.isoformat() for d in both)} listed both as a holiday and as a working "
                        f"day; keep one")
    overrides = WorkingCalendar(frozenset(years), holidays, frozenset(working))
    return builtin_calendar().merged(overrides)


def _date(text: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise RuleError(f"{where}: {text!r} is not a date like 2027-01-01") from None


def load_sms_config(path: Path | None, *, link_width: int, required: set[str] | frozenset[str] = frozenset()
                    ) -> tuple[SmsTemplates, DeliveryPolicy, timedelta]:
    """Templates, delivery policy and link lifetime; any mistake is a start-up error naming the setting."""
    path = path or CONFIG_DIR / "sms_templates.toml"
    raw = _read(path)
    try:
        texts = raw["templates"]
        if not isinstance(texts, dict):
            raise RuleError(f"{path}: [templates] must be a table of key = \"text\"")
        templates = SmsTemplates.build(raw["sign"], raw["max_length"], texts, link_width=link_width,
                                       required=required)
        delivery = raw.get("delivery", {})
        backoff = delivery.get("backoff_minutes", [1, 5, 15, 30, 60])
        if not isinstance(backoff, list) or not backoff:
            raise RuleError(f"{path}: delivery.backoff_minutes must be a list of minutes")
        policy = DeliveryPolicy(
            max_attempts=_count(delivery.get("max_attempts", 5), f"{path}: delivery.max_attempts", 1, 20),
            backoff=tuple(timedelta(minutes=_count(m, f"{path}: delivery.backoff_minutes", 1, 24 * 60))
                          for m in backoff),
            check_ambiguous_after=timedelta(minutes=_count(delivery.get("check_ambiguous_after_minutes", 10),
                                                           f"{path}: delivery.check_ambiguous_after_minutes", 1, 1440)),
            give_up_unconfirmed_after=timedelta(hours=_count(delivery.get("give_up_unconfirmed_after_hours", 24),
                                                             f"{path}: delivery.give_up_unconfirmed_after_hours", 1, 720)),
            sending_lease=timedelta(minutes=_count(delivery.get("sending_lease_minutes", 5),
                                                   f"{path}: delivery.sending_lease_minutes", 1, 1440)),
            duplicate_window=timedelta(hours=_count(delivery.get("duplicate_window_hours", 24),
                                                    f"{path}: delivery.duplicate_window_hours", 0, 720)),
        )
        link_days = _count(delivery.get("link_valid_days", 14), f"{path}: delivery.link_valid_days", 1, 365)
    except KeyError as exc:
        raise RuleError(f"{path}: missing setting {exc.args[0]!r}") from None
    return templates, policy, timedelta(days=link_days)
