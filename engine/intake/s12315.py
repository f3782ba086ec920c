"""The 12315 (market regulation) link: orders in the 12315 system's field layout, and results sent back in it.

No published interface specification for 12315↔12345 exists (docs/domain.md §4.1); the layout below follows
the field names 12315 platforms use in their exports (pinyin initials). A city whose 12315 system names a field
differently changes only `FIELD_MAP` and the result layout here.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import format_local
from engine.intake.fields import Checker, FieldError
from engine.domain.location import MAX_ADDRESS, MAX_DISTRICT
from engine.intake.orders import IntakeOrder, parse_coordinates, with_hash

SOURCE = "12315"
# 12315 field → (Duban field, meaning)
FIELD_MAP: dict[str, tuple[str, str]] = {
    "tsjbbh": ("order_no", "投诉举报编号 — the 12315 number; the work order is numbered 12315-<tsjbbh>"),
    "sqlx": ("category", "诉求类型: 投诉/举报/咨询/建议 (codes 1/2/3/4 accepted)"),
    "djsj": ("dispatched_at", "登记时间 (ISO-8601 with offset)"),
    "cbdwdm": ("unit_code", "承办单位代码"),
    "jjcd": ("urgency", "紧急程度: 一般/紧急/特急 (default 一般)"),
    "bt": ("title", "标题"),
    "sqnr": ("content", "诉求内容"),
    "tsrxm": ("citizen.name", "投诉人姓名 (personal data)"),
    "tsrdh": ("citizen.phone", "投诉人电话 (personal data)"),
    "fsdz": ("address", "事发地址"),
    "fsqx": ("district", "事发区县"),
    "wd": ("coordinates.latitude", "纬度 (degrees; with jd and zbx)"),
    "jd": ("coordinates.longitude", "经度 (degrees)"),
    "zbx": ("coordinates.system", "坐标系: WGS-84 or GCJ-02"),
    "btsrmc": ("extra.respondent", "被投诉人名称 (the business complained about)"),
    "btsrdz": ("extra.respondent_address", "被投诉人地址"),
    "spmc": ("extra.product", "商品或服务名称"),
    "sqje": ("extra.amount", "涉及金额 (元, number)"),
}
_CATEGORY_CODES = {"1": "投诉", "2": "举报", "3": "咨询", "4": "建议"}
_CATEGORIES = ("投诉", "举报", "咨询", "建议")


def parse_12315(body: object, *, now: datetime) -> tuple[IntakeOrder | None, list[FieldError]]:
    errors: list[FieldError] = []
    if not isinstance(body, dict):
        return None, [FieldError("(body)", "must be a JSON object")]
    c = Checker(body, now, "", errors)
    c.unknown(set(FIELD_MAP))
    external = c.number("tsjbbh")
    if external is not None and len(external) > 58:
        c.fail("tsjbbh", "at most 58 characters (the work order number adds the prefix 12315-)")
    raw_category = body.get("sqlx")
    category = _CATEGORY_CODES.get(raw_category, raw_category) if isinstance(raw_category, str) else raw_category
    if category not in _CATEGORIES:
        c.fail("sqlx", "must be one of 投诉/举报/咨询/建议 or 1/2/3/4")
    dispatched_at = c.instant("djsj")
    unit_code = c.text("cbdwdm", required=True, max_length=32)
    urgency = c.choice("jjcd", ("一般", "紧急", "特急"), default="一般")
    title = c.text("bt", max_length=500, default="")
    content = c.text("sqnr", max_length=4000, multiline=True)
    name = c.text("tsrxm", max_length=100)
    phone = c.text("tsrdh", max_length=32)
    address = c.text("fsdz", max_length=MAX_ADDRESS)
    district = c.text("fsqx", max_length=MAX_DISTRICT)
    given = {key: body[name] for key, name in (("latitude", "wd"), ("longitude", "jd"), ("system", "zbx"))
             if body.get(name) is not None}
    point = parse_coordinates(c, given or None, "wd/jd/zbx")
    extra: dict[str, Any] = {}
    for key, target in (("btsrmc", "respondent"), ("btsrdz", "respondent_address"), ("spmc", "product")):
        value = c.text(key, max_length=500)
        if value is not None:
            extra[target] = value
    amount = body.get("sqje")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 <= amount <= 1e12:
            c.fail("sqje", "must be a number from 0 to 10^12")
        else:
            extra["amount"] = amount
    if errors:
        return None, errors
    assert external and unit_code and urgency and dispatched_at is not None
    return with_hash(IntakeOrder(
        number=f"12315-{external}", unit_code=unit_code, category=str(category), urgency=urgency,
        dispatched_at=dispatched_at, source=SOURCE, body_hash="", external_no=external, title=title or "",
        content=content, channel="12315", address=address, citizen_name=name, citizen_phone=phone, extra=extra,
        district=district, **point)), []


RESULT_EVENTS = ("returned", "replied", "closed", "callback", "reopened")
_STATUS = {"returned": "退回", "replied": "已答复", "closed": "已办结", "callback": "已回访", "reopened": "重办"}


def result_message(external_no: str, event: dict[str, Any]) -> dict[str, Any]:
    """A result for the 12315 system, in its layout: 投诉举报编号, 处理状态, 处理时间, 处理意见, 回访结果."""
    details = event.get("details") or {}
    message: dict[str, Any] = {
        "tsjbbh": external_no,
        "clzt": _STATUS[event["type"]],
        "clsj": format_local(event["at"]),
        "clyj": details.get("note") or details.get("reason") or "",
        "dubanbh": event["order_number"],
        "sjid": event["id"],
    }
    if event["type"] == "callback":
        message["myd"] = details.get("satisfaction")
        message["sfjj"] = "是" if details.get("solved") else "否"
    return message
