"""The day's figures and charts, drawn on the server as SVG."""
from __future__ import annotations

from flask import Blueprint, render_template
from markupsafe import Markup

from engine.accounts.users import ADMIN, LEADER, SUPERVISOR
from engine.persistence import board_queries as board
from web.auth import roles
from web.charts import bar_chart, stacked_bar_chart
from web.context import duban

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
    charts = {
        "overdue": bar_chart([(r["name"], r["overdue"]) for r in overdue], title="超期工单最多的单位", unit="件"),
        "flow": stacked_bar_chart([d.strftime("%m-%d") for d, _, _ in flow],
                                  [("派发", [a for _, a, _ in flow]), ("办结", [b for _, _, b in flow])],
                                  title="近 14 天派发与办结", colors={"派发": "#1565c0", "办结": "#2e7d32"}),
    }
    return render_template("dashboard.html", figures=figures, now=now,
                           charts={k: Markup(v) for k, v in charts.items()})
