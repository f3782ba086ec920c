"""Leadership's read-only view: instructed orders with their one- and three-month clocks, the special reports,
the red/yellow-card board by unit and the trends."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from markupsafe import Markup

from engine.accounts.users import ADMIN, LEADER, SUPERVISOR
from engine.persistence import board_queries as board
from engine.persistence.escalation_queries import escalated_orders
from web.auth import roles
from web.context import duban
from web.pages.hotspots import panel as hotspot_panel
from workflows.charts import bar_chart, column_chart, line_chart
from workflows.leadership import home as home_figures

bp = Blueprint("leadership", __name__)
REPORT_KINDS = ("special_report", "quarterly_report")


@bp.get("/leader")
@roles(LEADER, SUPERVISOR, ADMIN)
def home() -> str:
    engine = duban()
    now = engine.clock.now()
    assessment = current_app.extensions["duban.assessment"]
    short = assessment.config.units.short_name
    rates, rates_as_of = home_figures.rates(assessment, now)
    trend = home_figures.weekly_trend(engine, now)
    units = home_figures.overdue_units(engine, now, short)
    charts = {
        "trend": line_chart([w.strftime("%m-%d") for w, _ in trend], [("按期办结率", [v for _, v in trend])],
                            title="近 12 周按期办结率（按办理时限所在周）", unit="%", y_max=100),
        "units": bar_chart([(u["short"], u["overdue"]) for u in units], title="超期工单最多的 5 个单位", unit="件"),
    }
    with engine.store.reading() as tx:
        escalated = escalated_orders(tx.c)
    return render_template("leader_home.html", now=now, figures=home_figures.figures(engine, now), rates=rates,
                           escalated=escalated, hotspots=hotspot_panel(now),
                           rates_as_of=rates_as_of, units=units, charts={k: Markup(v) for k, v in charts.items()},
                           **home_figures.attention(engine, now))


@bp.get("/leader/cards")
@roles(LEADER, SUPERVISOR, ADMIN)
def card_board() -> str:
    with duban().store.reading() as tx:
        rows = board.card_board(tx.c)
        recent = board.unit_cards(tx.c, limit=50)
    short = current_app.extensions["duban.assessment"].config.units.short_name
    top = rows[:12]  # the most carded; the table below lists every unit
    chart = column_chart([short(r["code"], r["name"]) for r in top],
                         [("黄牌", [r["yellow"] for r in top]), ("红牌", [r["red"] for r in top])],
                         title="各单位在督红黄牌（张）", unit="张")  # the cards' own colours
    return render_template("leader_cards.html", rows=rows, recent=recent, chart=Markup(chart))


@bp.get("/leader/reports")
@roles(LEADER, SUPERVISOR, ADMIN)
def reports() -> str:
    engine = duban()
    with engine.store.reading() as tx:
        found = board.issued_documents(tx.c, kinds=REPORT_KINDS, limit=200)
    return render_template("leader_reports.html", reports=found)
