"""热点预警: the hotspot flags of the last four weeks (a table, no map) with a small chart of the flagged areas'
daily orders, the last run's figures, and the month's candidate themes (每月一题). A short panel of the same flags
sits on the supervisor's statistics page and the leader's home page."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask import Blueprint, Flask, abort, current_app, render_template, request
from markupsafe import Markup

from config.hotspot_loader import HotspotConfig, load_hotspots
from config.settings import Settings
from engine.accounts.users import ADMIN, LEADER, SUPERVISOR
from engine.clock import LOCAL_TZ
from engine.hotspots.detect import SEVERITY_WORDS
from web.auth import roles
from workflows.charts import line_chart
from web.context import duban
from workflows.hotspots import FlagEpisode, daily_series, last_run, month_bounds, recent_episodes, themes, window_end

bp = Blueprint("hotspots", __name__)
PANEL_SIZE = 5
CHART_CELLS = 3


def config() -> HotspotConfig:
    return current_app.extensions["duban.hotspots"]  # type: ignore[no-any-return]


def panel(now: datetime) -> list[FlagEpisode]:
    """The flags shown on the statistics and leader pages: the latest windows' most severe."""
    return recent_episodes(duban(), now, days=7)[:PANEL_SIZE]


def _month(now: datetime) -> str:
    """?month=YYYY-MM, else the last whole month."""
    wanted = request.args.get("month", "")
    if wanted:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", wanted):
            abort(400)
        return wanted
    first = now.astimezone(LOCAL_TZ).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _chart(episodes: list[FlagEpisode], end: date) -> Markup | None:
    cells = [(str(e.latest["category"]), str(e.latest["area"])) for e in episodes[:CHART_CELLS]]
    if not cells:
        return None
    days, series = daily_series(duban(), config(), cells, end)
    span = f"{days[0].month}月{days[0].day}日—{days[-1].month}月{days[-1].day}日"
    return Markup(line_chart([str(d.day) for d in days],
                             [(f"{area}·{category}", [float(n) for n in series[(category, area)]])
                              for category, area in cells],
                             title=f"预警区域每日受理量（{span}，横轴为日）", unit="件"))


@bp.get("/hotspots")
@roles(SUPERVISOR, LEADER, ADMIN)
def hotspots() -> str:
    engine = duban()
    now = engine.clock.now()
    episodes = recent_episodes(engine, now)
    month = _month(now)
    before, _, _ = month_bounds(month)
    return render_template("hotspots.html", now=now, episodes=episodes, run=last_run(engine), config=config(),
                           chart=_chart(episodes, window_end(now)), month=month, themes=themes(engine, config(), month),
                           previous_month=before.strftime("%Y-%m"), severity=SEVERITY_WORDS)


def register(app: Flask, settings: Settings) -> None:
    app.extensions["duban.hotspots"] = load_hotspots(settings.hotspots_file)
    app.register_blueprint(bp)
