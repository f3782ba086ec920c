"""The Chinese names pages give to the engine's keys (action kinds, instance states, card reasons)."""
from __future__ import annotations

from typing import Any

from engine.casework import CARD_LABELS, PHONE_OUTCOMES
from engine.domain.event_words import EVENT_WORDS
from engine.domain.pending_steps import STEP_LABELS

KIND_LABELS = {
    "sms": "短信", "phone_urge": "电话催办", "urge_notice": "催办通知书", "yellow_card": "黄牌", "red_card": "红牌",
    "supervision_letter": "督办函", "special_report": "专报", "quarterly_report": "季度专报",
    "sms_failed": "短信失败待处理", "document_failed": "公文生成失败", "objection_overdue": "退单审核超期",
    "redispatched": "改派", "hard_case": "认定疑难工单", "escalated": "提级督办",
    "merged": "并单（本单督办停止）", "merged_reply": "主单答复记入本单", "merged_closed": "主单办结记入本单",
}
QUEUE_KINDS = {  # the call queue's kinds: a phone task by the step that raised it, or another task kind
    "sign_overdue": "催签收", "overdue": "超期催办", "escalated": "提级督办", "sms_failed": "短信失败待处理",
    "phone_urge": "电话催办",
}
SUPERSEDED_LABELS = {"signed": "单位已签收", "replied": "单位已回复", "closed": "工单已办结", "returned": "单位已退单",
                     "replaced": "已由更新的催办任务取代", "migrated": "工单已回复、办结或退单"}
TEMPLATE_LABELS = {  # the SMS templates of config/sms_templates.toml
    "dispatched": "派单通知", "sign_overdue": "催签收", "due_soon": "临期提醒", "overdue": "超期提醒",
    "yellow_card": "黄牌通知", "red_card": "红牌通知", "supervision_letter": "督办函通知", "instruction": "批示通知",
    "reopened": "重办通知", "escalated": "提级督办通知", "digest": "汇总提醒", "document_issued": "公文印发通知",
    "hotspot": "热点预警",
}
DETAIL_LABELS = {  # the keys of event, action and audit details: the order timeline and the audit log
    "reason": "理由", "note": "说明", "working_days": "工作日", "unit": "单位", "from": "原单位", "leader": "领导",
    "text": "内容", "color": "牌色", "card": "牌号", "outcome": "结果", "satisfaction": "满意度", "solved": "已解决",
    "handled_on": "办结日期", "to": "号码", "template": "短信模板", "send_at": "发送时间", "kind": "类型",
    "task": "任务", "provisional": "暂定", "decision": "结论", "decide_by": "审核期限", "late": "超期审核",
    "present": "参会单位", "co_units": "协办单位", "deadline": "新时限", "dropped": "不再协办", "added": "新增协办",
    "attachments": "附件说明", "attributed_to_unit": "归责承办单位", "at": "时间", "unit_code": "单位",
    "from_unit": "原单位", "to_unit": "改派单位", "lead_unit": "主办单位", "username": "用户名", "role": "角色",
    "address": "地址", "code": "单位代码", "name": "名称", "phones": "号码数", "period": "考核期", "active": "启用",
    "display_name": "姓名", "contact": "联系人", "candidates": "疑似重复", "candidate": "疑似重复工单", "score": "可能性",
    "parent": "并入工单", "child": "并入的工单", "merged_for": "并单时长",
}
INSTANCE_STATUS_LABELS = {"waiting": "等待中", "completed": "已结束", "cancelled": "已取消", "failed": "出错已停止"}


def card_reason(card: dict[str, Any]) -> str:
    """A rule card's reason is the ladder step that issued it; a supervisor's is the text typed."""
    if card["source"] == "rule":
        return f"督办规则自动亮牌（{STEP_LABELS.get(card['reason'], card['reason'])}）"
    return str(card["reason"])


def detail_value(key: str, value: Any) -> Any:
    """A detail's value in words: card colours, call outcomes, task kinds."""
    if key == "color":
        return CARD_LABELS.get(str(value), value)
    if key == "outcome":
        return PHONE_OUTCOMES.get(str(value), value)
    if key == "kind":
        return KIND_LABELS.get(str(value), value)
    if key == "candidates" and isinstance(value, list):  # 重复诉求 found at intake: number, score and reasons
        return "；".join(f"{c.get('candidate')}（{c.get('score')}，{'、'.join(c.get('reasons', []))}）"
                        for c in value if isinstance(c, dict))
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def template_label(key: str) -> str:
    """A template's name in words, with its key (the gateway's template id) for the operator."""
    return f"{TEMPLATE_LABELS[key]}（{key}）" if key in TEMPLATE_LABELS else key


AUDIT_LABELS = {
    "card.issued": "亮牌", "card.withdrawn": "撤销红黄牌", "task.done": "完成督办任务", "unit.registered": "登记单位",
    "instance.failed": "流程出错已停止", "instance.retry": "流程出错稍后重试", "sms.acknowledged": "确认收到短信",
    "order.escalated": "提级督办", "order.instruction": "登记领导批示", "order.redispatched": "重新派发",
    "order.duplicate_dismissed": "不是重复", "order.merged": "并单", "order.unmerged": "撤销并单",
}


def audit_label(action: str) -> str:
    """An audit-log action in words (the key stays beside it for whoever searches the log)."""
    kind, _, event = action.partition(".")
    words = AUDIT_LABELS.get(action) or (EVENT_WORDS.get(event) if kind == "order" else None)
    return f"{words}（{action}）" if words else action
