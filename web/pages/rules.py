"""The rules as they run: each BPMN process drawn from its diagram with its version, the rule table, and a
month of the working calendar with its holidays and adjusted working days."""
from __future__ import annotations

import re
from dataclasses import fields

from flask import Blueprint, abort, render_template, request
from markupsafe import Markup

from engine.accounts.users import ADMIN, LEADER, SUPERVISOR
from engine.clock import LOCAL_TZ
from web.auth import roles
from web.pages.calendar import month_view
from web.pages.rule_sentences import rule_sentences
from web.context import duban
from web.diagram import readable_width, render_svg

bp = Blueprint("rules", __name__)
PROCESS_NAME = re.compile(r'<bpmn:process id="[^"]+" name="([^"]+)"')

RULE_LABELS = {
    "handling_working_days": "一般件办理时限（工作日，按类别）", "source_working_days": "按来源的时限（如 12315 投诉）",
    "urgent_hours": "紧急/特急件时限（小时）", "sign_for_working_days": "签收时限（工作日）",
    "sign_overdue_time": "未签收催办时刻", "due_soon_time": "临期提醒时刻", "ladder_time": "超期节点触发时刻",
    "overdue_working_days": "超期提醒（超期第 N 个工作日）", "yellow_card_working_days": "黄牌（超期第 N 个工作日）",
    "red_card_working_days": "红牌（超期第 N 个工作日）", "supervision_letter_working_days": "督办函（超期第 N 个工作日）",
    "urgent_yellow_card_hours": "紧急件黄牌（超期 N 小时）", "urgent_red_card_hours": "紧急件红牌（超期 N 小时）",
    "instruction_letter_months": "批示件督办函（批示后 N 个月）", "instruction_report_months": "批示件专报（批示后 N 个月）",
    "progress_report_waives_letter": "报告进展可免督办函", "quarterly_report_time": "季度专报时刻（季度首个工作日）",
    "sms_window_start": "短信发送窗口开始", "sms_window_end": "短信发送窗口结束",
    "urgent_sms_ignore_quiet_hours": "紧急件短信不受静默时段限制",
    "objection_window_working_days": "退单期限（派至本单位后第 N 个工作日内）",
    "objection_decision_working_days": "退单审核期限（N 个工作日，超期生成督办任务）",
    "objection_pauses_clock": "退单审核期间暂停办理时限", "objection_reasons": "退单理由",
    "hard_case_reopens": "疑难工单：重办次数达到", "hard_case_units": "疑难工单：派至不同单位数达到",
    "letter_reply_working_days": "督办函书面答复期限（工作日）；逾期未复提级督办",
}


@bp.get("/rules")
@roles(SUPERVISOR, ADMIN, LEADER)
def rules() -> str:
    engine = duban()
    processes = []
    for d in engine.definitions.values():
        svg = render_svg(d.xml, process_id=d.process_id)
        found = PROCESS_NAME.search(d.xml.decode("utf-8") if isinstance(d.xml, bytes) else str(d.xml))
        processes.append({"id": d.process_id, "key": d.key, "sha256": d.sha256, "svg": Markup(svg),
                          "min_width": readable_width(svg), "name": found.group(1) if found else d.process_id})
    table = [(RULE_LABELS.get(f.name, f.name), getattr(engine.rules, f.name)) for f in fields(engine.rules)
             if f.name != "extra"]
    return render_template("rules.html", processes=processes, table=table, catalogue=engine.catalogue.entries,
                           sentences=rule_sentences(engine.rules))


@bp.get("/rules/calendar")
@roles(SUPERVISOR, ADMIN, LEADER)
def calendar() -> str:
    engine = duban()
    today = engine.clock.now().astimezone(LOCAL_TZ).date()
    year = request.args.get("year", today.year, type=int)
    month = request.args.get("month", today.month, type=int)
    try:
        view = month_view(engine.calendar, year, month, today=today)
    except ValueError as exc:
        abort(400, str(exc))
    return render_template("rules_calendar.html", view=view, cal_url="/rules/calendar")


