"""The day's figures and charts, drawn on the server as SVG."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from markupsafe import Markup

from engine.accounts.users import ADMIN, LEADER, SUPERVISOR
from engine.persistence import board_queries as board
from web.auth import roles
from web.context import duban
from workflows.charts import bar_chart, column_chart
from web.pages.hotspots import panel as hotspot_panel
from workflows.leadership import home as home_figures

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@roles(SUPERVISOR, ADMIN, LEADER)
def dashboard() -> str:
    engine = duban()
    now = engine.clock.now()
    with engine.store.reading() as tx:
        figures = board.day_figures(tx.c, now)
        overdue = board.overdue_by_unit(tx.c, now)[:12]
        flow = board.daily_flow(tx.c, now)
    assessment = current_app.extensions["duban.assessment"]
    short = assessment.config.units.short_name
    charts = {
        "overdue": bar_chart([(short(r["code"], r["name"]), r["overdue"]) for r in overdue],
                             title="超期工单最多的单位（件）", unit="件"),
        "flow": column_chart([d.strftime("%m-%d") for d, _, _ in flow],
                             [("派发", [a for _, a, _ in flow]), ("办结", [b for _, _, b in flow])],
                             title="近 14 天每日派发与办结（件）", unit="件"),
    }
    rates, rates_as_of = home_figures.rates(assessment, now)
    overdue_rate = round(100 * figures["overdue"] / figures["open"], 1) if figures["open"] else None
    return render_template("dashboard.html", figures=figures, now=now, rates=rates, rates_as_of=rates_as_of,
                           overdue_rate=overdue_rate, hotspots=hotspot_panel(now),
                           charts={k: Markup(v) for k, v in charts.items()})
