"""What a quarterly 专报 takes from the performance assessment: the quarter's ranking (tiers, 红榜/黑榜, the change
from the quarter before) and the units' short names (config/units.toml), by the assessment pages' own rules."""
from __future__ import annotations

from collections.abc import Callable

from engine.documents.quarterly_report import QuarterRanking
from engine.domain.errors import RuleError, StoreUnavailable
from engine.services import Engine
from workflows.assessment.service import build_assessment


def short_names(engine: Engine) -> Callable[[str, str], str]:
    """(unit code, unit name) -> the short name charts and reports print."""
    return build_assessment(engine).config.units.short_name


def quarter_ranking(engine: Engine, label: str) -> QuarterRanking | None:
    """The quarter's assessment ranking by the assessment pages' rules (tiers, minimum sample, graded 红榜/黑榜),
    with each unit's change from the quarter before; None without scores."""
    assessment = build_assessment(engine)
    result = assessment.period(label)
    boards = assessment.boards(result)
    if not boards.ranked and not boards.unranked:
        return None
    year, quarter = int(label[:4]), int(label[-1])
    before = f"{year - 1}Q4" if quarter == 1 else f"{year}Q{quarter - 1}"
    try:
        earlier = {s.unit_code: s.total for s in assessment.period(before).scores if s.total is not None}
    except RuleError:  # no formula in force then (the first quarter the city assesses): no change to state
        earlier = {}
    return QuarterRanking(
        ranked=tuple((r.tier, r.rank, r.unit_name, f"{r.total:.2f}",
                      f"{r.total - earlier[r.unit_code]:+.2f}" if r.unit_code in earlier else "—")
                     for r in boards.ranked),
        top=tuple(f"{r.unit_name}（{r.total:.2f}）" for r in boards.top),
        bottom=tuple(f"{r.unit_name}（{r.total:.2f}）" for r in boards.bottom),
        months=tuple(m.label for m in result.months), previous=before,
        unranked=tuple((u.unit_name, u.reason, u.sample) for u in boards.unranked), min_sample=boards.min_sample)


def quarter_rankings(engine: Engine, quarters: list[str]) -> tuple[dict[str, QuarterRanking], dict[str, str]]:
    """Each pending quarter's ranking, and the error of each that could not be computed (that report waits and
    is retried like any other failure; the other documents go on)."""
    rankings: dict[str, QuarterRanking] = {}
    broken: dict[str, str] = {}
    for label in quarters:
        try:
            if (ranking := quarter_ranking(engine, label)) is not None:
                rankings[label] = ranking
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded on the report's outbox row
            broken[label] = f"assessment ranking of {label}: {exc}"
    return rankings, broken
