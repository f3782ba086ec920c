"""The rule table in sentences, as a supervisor would explain it to a new colleague (the /rules page)."""
from __future__ import annotations

from engine.domain.rules import RuleTable


def _days(mapping: dict[str, int]) -> str:
    return "、".join(f"{category} {n} 个工作日" for category, n in mapping.items())


def rule_sentences(rules: RuleTable) -> list[str]:
    at = rules.ladder_time.strftime("%H:%M")
    sentences = [f"一般件的办理时限：{_days(rules.handling_working_days)}，自派单次日起算，截止日 23:59 为限。"]
    for source, overrides in rules.source_working_days.items():
        sentences.append(f"来自 {source} 的工单另有时限：{_days(overrides)}。")
    sentences += [
        "紧急件 {} 小时、特急件 {} 小时办结（自然时间，不扣节假日）；超期 {} 小时亮黄牌，{} 小时亮红牌。".format(
            rules.urgent_hours.get("紧急"), rules.urgent_hours.get("特急"), rules.urgent_yellow_card_hours,
            rules.urgent_red_card_hours),
        f"承办单位须在派单后 {rules.sign_for_working_days} 个工作日内签收；仍未签收的，下一个工作日 "
        f"{rules.sign_overdue_time.strftime('%H:%M')} 短信催签并生成电话催办任务。",
        f"截止日前最后一个工作日 {rules.due_soon_time.strftime('%H:%M')} 发临期提醒短信。",
        f"超期第 {rules.overdue_working_days} 个工作日 {at}：超期短信、催办通知书和电话催办；"
        f"第 {rules.yellow_card_working_days} 个工作日亮黄牌；第 {rules.red_card_working_days} 个工作日亮红牌；"
        f"第 {rules.supervision_letter_working_days} 个工作日发督办函。单位回复后不再升级。",
        f"督办函要求 {rules.letter_reply_working_days} 个工作日内书面答复；到期仍未回复的，下一个工作日 {at} "
        "提级督办：短信通知单位、生成督办员任务，并列入领导页面的提级督办表，直到单位回复。",
        f"领导批示件：批示后 {rules.instruction_letter_months} 个月仍未办结的发督办函"
        + ("（单位已报告办理进展的免发）" if rules.progress_report_waives_letter else "（报告进展不能免发）")
        + f"；{rules.instruction_report_months} 个月仍未办结的形成专报报市委市政府。",
        f"季度专报：每季度首个工作日 {rules.quarterly_report_time.strftime('%H:%M')} 报送上季度典型案例。",
        f"短信只在 {rules.sms_window_start.strftime('%H:%M')}–{rules.sms_window_end.strftime('%H:%M')} 发送，"
        "窗口外的顺延到下一个窗口开始；"
        + ("紧急件、特急件的短信随时发送。" if rules.urgent_sms_ignore_quiet_hours else "紧急件、特急件也不例外。"),
        "督办员亲手亮的黄牌或红牌，顶替本轮中规则的同色牌（规则不再重复亮牌），并发送同样的短信。",
    ]
    return sentences
