"""An order's events in words: one table for the order page's timeline, the audit log and the events import."""
from __future__ import annotations

# what happened to an order, as the timeline and the audit log name it (key: the event type)
EVENT_WORDS = {
    "dispatched": "派发", "signed": "签收", "progress_reported": "报告办理进展", "replied": "办结回复", "closed": "办结",
    "reopened": "重办", "extension_requested": "申请延期", "extension_approved": "批准延期", "returned": "退单",
    "redispatched": "重新派发", "extension_rejected": "不予延期", "callback": "回访", "instruction": "领导批示",
    "card_issued": "亮牌", "card_withdrawn": "撤销红黄牌", "task_done": "完成督办任务", "deadline_recomputed": "时限重算",
    "objected": "退单（派单异议）", "objection_decided": "退单审核", "co_signed": "协办签收", "contributed": "协办意见",
    "hard_case": "认定疑难工单", "consultation": "疑难会商", "escalated": "提级督办", "letter_answered": "督办函书面答复",
    "duplicates_found": "发现疑似重复", "duplicate_dismissed": "不是重复", "merged": "并单", "unmerged": "撤销并单",
    "child_merged": "他单并入本单", "child_unmerged": "他单撤销并单",
}
# a clerk's other words for an event type; they win over the table above (退单 is a dispatch objection
# under the 2025 rules, 国办函〔2025〕66号)
CLERK_WORDS = {
    "办理进展": "progress_reported", "退单": "objected", "派单异议": "objected", "异议审核": "objection_decided",
    "审核办结": "closed", "登记回访": "callback", "退回重办": "reopened", "会商": "consultation",
}


def event_types_by_word(types: tuple[str, ...]) -> dict[str, str]:
    """Word → event type, for the given types only (an import takes only what the API takes)."""
    words = {word: kind for kind, word in EVENT_WORDS.items() if kind in types}
    words.update({word: kind for word, kind in CLERK_WORDS.items() if kind in types})
    return words
