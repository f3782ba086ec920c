"""Performance assessment pages (leadership and supervisors): rankings with the 红榜/黑榜, a unit's score explained
down to the order number, appeals with accept/reject forms, trends drawn as SVG on the server, the XLSX export."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from engine.assessment.formula import DEDUCTION_ITEMS, ITEM_LABELS, RATE_ITEMS, SHOWN_ITEMS
from engine.assessment.periods import month_of, parse_period
from engine.assessment.ranking import grade, trend
from engine.accounts.users import ADMIN, LEADER, SUPERVISOR, UNIT
from engine.domain.errors import DubanError
from web.auth import current, roles
from web.context import visible_unit_or_404
from workflows.charts import line_chart
from workflows.assessment.service import AssessmentService, build_assessment
from workflows.assessment.exports import export_period

bp = Blueprint("assessment", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OUTCOMES = {"yes": "是", "no": "否", "exempt": "免考", "deduct": "扣分"}


def _service() -> AssessmentService:
    service: AssessmentService = current_app.extensions["duban.assessment"]
    return service


def _period_or_400(label: str) -> Any:
    _year_or_400(label[:4])
    try:
        return parse_period(label)
    except DubanError as exc:
        abort(400, str(exc))


def _year_or_400(text: str) -> int:
    """Assessment years are 2000–2099 (a year outside has no calendar and no data)."""
    if not (text.isascii() and text.isdigit() and 2000 <= int(text) <= 2099):
        abort(400, f"考核年度须在 2000 至 2099 之间 (year out of range: {text!r})")
    return int(text)


def _previous_month(year: int, month: int) -> str:
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


@bp.get("/assessment")
@roles(SUPERVISOR, LEADER, ADMIN)
def ranking() -> str:
    label = request.args.get("period") or _previous_month(*_now_year_month())
    period = _period_or_400(label)
    service = _service()
    try:
        result = service.period(period.label)
    except DubanError as exc:
        abort(400, str(exc))
    return render_template("assessment.html", period=period, boards=service.boards(result), result=result,
                           scores={s.unit_code: s for s in result.scores},
                           revisions=service.revisions(period.label) if period.kind == "month" else [],
                           refresh_minutes=service.config.refresh_minutes,
                           RATE_ITEMS=RATE_ITEMS, DEDUCTION_ITEMS=DEDUCTION_ITEMS, ITEM_LABELS=ITEM_LABELS, grade=grade)


def _now_year_month() -> tuple[int, int]:
    first = month_of(_service().engine.clock.now()).first_day
    return first.year, first.month


@bp.get("/assessment/<label>/units/<code>")
def unit_view(label: str, code: str) -> str:
    visible_unit_or_404(code)
    period = _period_or_400(label)
    if period.kind != "month":
        abort(400, "a unit's explanation is per month")
    result = _service().unit_month(period.label, code)
    unit = result.unit(code)
    if unit is None:
        abort(404)
    lines = [x for x in result.lines if x.unit_code == code]
    groups = [(k, [x for x in lines if x.item == k]) for k in (*RATE_ITEMS, *SHOWN_ITEMS, *DEDUCTION_ITEMS)]
    # items explained but not scored by this month's formula (回退率 unless a version weighs it): (key, yes, counted)
    counting = {k: [x for x in g if x.excluded_by is None] for k, g in groups if k in SHOWN_ITEMS}
    shown = [(k, sum(x.outcome == "yes" for x in g), len(g)) for k, g in counting.items()
             if g and not result.formula.scores(k)]
    appeals = _service().appeals(period=period.label, unit_code=code)
    place = _service().boards(_service().period(period.label)).place_of(code)
    return render_template("assessment_unit.html", period=period, unit=unit, groups=groups, result=result, place=place,
                           appeals=appeals, ITEM_LABELS=ITEM_LABELS, OUTCOMES=OUTCOMES, formula=result.formula,
                           shown=shown, shown_keys=[k for k, _, _ in shown],
                           error=request.args.get("error"), done=request.args.get("done"))


@bp.post("/assessment/<label>/units/<code>/appeals")
@roles(UNIT, SUPERVISOR)
def file_appeal(label: str, code: str) -> Any:
    visible_unit_or_404(code)
    form = request.form
    try:
        appeal_id = _service().file_appeal(label, unit_code=code, item=form.get("item", ""),
                                           order_number=form.get("order_number", ""), ref=form.get("ref", ""),
                                           reason=form.get("reason", ""), actor=current().username)
    except DubanError as exc:
        return redirect(url_for("assessment.unit_view", label=label, code=code, error=str(exc)))
    return redirect(url_for("assessment.unit_view", label=label, code=code, done=f"申诉 #{appeal_id} 已提交"))


@bp.get("/assessment/appeals")
@roles(SUPERVISOR, LEADER, ADMIN)
def appeal_list() -> str:
    status = request.args.get("status") or None
    if status not in (None, "pending", "accepted", "rejected"):
        abort(400, f"unknown status {status!r}")
    return render_template("assessment_appeals.html", appeals=_service().appeals(status=status), status=status,
                           ITEM_LABELS=ITEM_LABELS, error=request.args.get("error"), done=request.args.get("done"))


@bp.post("/assessment/appeals/<int(max=2147483647):appeal_id>/decide")
@roles(SUPERVISOR, ADMIN)
def decide(appeal_id: int) -> Any:
    form = request.form
    decision = form.get("decision")
    if decision not in ("accept", "reject"):
        abort(400, "decision must be accept or reject")
    actor = current().username
    try:
        revision = _service().decide_appeal(appeal_id, accept=decision == "accept", note=form.get("note", ""),
                                            actor=actor)
    except DubanError as exc:
        return redirect(url_for("assessment.appeal_list", error=str(exc)))
    done = f"申诉 #{appeal_id} 已{'采纳' if decision == 'accept' else '驳回'}" + ("，已生成新的发布版本" if revision else "")
    return redirect(url_for("assessment.appeal_list", done=done))


@bp.get("/assessment/trend")
@roles(SUPERVISOR, LEADER, ADMIN)
def trend_view() -> str:
    year = _year_or_400(request.args.get("year") or str(_now_year_month()[0]))
    result = _service().period(str(year))
    months = [m.period.label for m in result.months]
    series = {s.unit_code: (s.unit_name, trend([(m, dict(s.monthly).get(m)) for m in months])) for s in result.scores}  # type: ignore[union-attr]
    short = _service().config.units.short_name
    svg = line_chart([f"{int(m[-2:])}月" for m in months],
                     [(short(code, name), [None if t is None else float(t) for _, t, _ in rows])
                      for code, (name, rows) in sorted(series.items())],
                     title=f"{year}年各单位月度得分（分）", unit="分", y_max=100)
    return render_template("assessment_trend.html", year=year, months=months, series=series, svg=Markup(svg),
                           ranked=result.ranked)


@bp.get("/assessment/<label>/export.xlsx")
@roles(SUPERVISOR, LEADER, ADMIN)
def export(label: str) -> Response:
    period = _period_or_400(label)
    content = export_period(_service(), period.label)
    name = f"{period.title}12345热线承办单位绩效考核.xlsx"
    return Response(content, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"assessment-{period.label}.xlsx\"; filename*=UTF-8''{quote(name)}"})


def register(app: Flask, service: AssessmentService | None = None) -> None:
    app.extensions["duban.assessment"] = service or build_assessment(app.extensions["duban"])
    app.register_blueprint(bp)
