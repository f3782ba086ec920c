"""Who did it, in words: the people and systems named in timelines, decisions and the audit log, and the audit
log's details with Chinese keys and unit names instead of codes. Users and units are read once per request."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g

from engine.persistence.account_tables import users
from web.context import duban
from web.pages.labels import DETAIL_LABELS, detail_value

SYSTEM_ACTORS = {"replay": "回放", "demo": "演示数据", "seed": "初始数据", "cli": "命令行", "system": "系统",
                 "规则": "规则", "benchmark": "基准测试", "web-benchmark": "基准测试", "sms-benchmark": "基准测试"}
PREFIXED_ACTORS = (("api:", "接口 "), ("import:", "导入 "), ("sms-link ", "短信链接 "), ("sms ", "短信回复 "),
                   ("worker", "系统（定时任务）"))
UNIT_KEYS = {"unit", "unit_code", "from_unit", "to_unit", "lead_unit", "co_units", "present", "dropped", "added",
             "from"}


def _names() -> tuple[dict[str, str], dict[str, str]]:
    if "duban_names" not in g:
        with duban().store.reading() as tx:
            people = dict(tx.c.execute(sa.select(users.c.username, users.c.display_name)).all())
            g.duban_names = (people, dict(tx.unit_names()))
    return g.duban_names


def actor_name(actor: str | None) -> str:
    """A user's name, or the system that acted, in Chinese; an unknown actor as recorded."""
    if not actor:
        return "—"
    people, _ = _names()
    if actor in people:
        return people[actor]
    if actor in SYSTEM_ACTORS:
        return SYSTEM_ACTORS[actor]
    for prefix, words in PREFIXED_ACTORS:
        if actor.startswith(prefix):
            rest = actor[len(prefix):]
            return words + rest if words.endswith(" ") else words
    return actor


def unit_name(code: str | None) -> str:
    """A unit's name for its code (the code itself when no such unit is registered)."""
    if not code:
        return "—"
    return _names()[1].get(code, code)


def unit_names(value: Any) -> Any:
    """A unit code, or a list of them, as unit names (joined with 、)."""
    return _unit_value(value, _names()[1])


def _unit_value(value: Any, units: dict[str, str]) -> Any:
    if isinstance(value, list):
        return "、".join(str(_unit_value(v, units)) for v in value)
    return units.get(value, value) if isinstance(value, str) else value


def audit_details(details: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """(label, value) pairs of an audit entry: keys in Chinese, unit codes as unit names."""
    _, units = _names()
    shown = []
    for key, value in (details or {}).items():
        shown.append((DETAIL_LABELS.get(key, key), _unit_value(value, units) if key in UNIT_KEYS
                      else detail_value(key, value)))
    return shown
