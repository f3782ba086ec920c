"""The rule table: every number the escalation rules use, loaded from `config/` and validated."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

CATEGORIES = ("咨询", "求助", "建议", "投诉", "举报")
URGENCIES = ("一般", "紧急", "特急")
SOURCES = ("12345", "12315")
ROUTINE = "一般"
OBJECTION_REASONS = ("非本单位职责", "诉求不清/信息不全", "重复诉求", "已办结/无需办理", "其他")


@dataclass(frozen=True)
class DuplicatePolicy:
    """`[duplicates]` in config/rules.toml: how far back and how near candidates are sought, what score is listed
    (engine/duplicates/scoring.py)."""
    window: timedelta = timedelta(days=30)
    distance_m: float = 100.0
    min_score: float = 0.5
    limit: int = 10  # candidates kept per order, best first


@dataclass(frozen=True)
class RuleTable:
    handling_working_days: dict[str, int]
    source_working_days: dict[str, dict[str, int]]  # e.g. {"12315": {"投诉": 7}}
    urgent_hours: dict[str, int]  # {"紧急": 24, "特急": 2}
    sign_for_working_days: int = 1
    sign_overdue_time: time = time(9, 0)
    due_soon_time: time = time(9, 0)
    ladder_time: time = time(9, 0)
    overdue_working_days: int = 1
    yellow_card_working_days: int = 3
    red_card_working_days: int = 5
    supervision_letter_working_days: int = 10
    letter_reply_working_days: int = 5  # a 督办函 asks for a written reply by the end of this working day after it
    urgent_yellow_card_hours: int = 24
    urgent_red_card_hours: int = 72
    instruction_letter_months: int = 1
    instruction_report_months: int = 3
    progress_report_waives_letter: bool = False
    quarterly_report_time: time = time(9, 0)
    sms_window_start: time = time(8, 0)
    sms_window_end: time = time(21, 0)
    urgent_sms_ignore_quiet_hours: bool = True
    objection_window_working_days: int = 1
    objection_decision_working_days: int = 1
    objection_pauses_clock: bool = False
    objection_reasons: tuple[str, ...] = OBJECTION_REASONS
    hard_case_reopens: int = 3
    hard_case_units: int = 3
    duplicates: DuplicatePolicy = field(default_factory=DuplicatePolicy)  # [duplicates]: where candidates are sought
    extra: dict[str, object] = field(default_factory=dict)

    def working_days_for(self, category: str, source: str) -> int:
        override = self.source_working_days.get(source, {})
        if category in override:
            return override[category]
        return self.handling_working_days[category]
