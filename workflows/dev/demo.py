"""`duban demo`: a realistic city hotline on SQLite, brought up to the present, then run live.

The history (a dozen handling units, a few hundred orders over recent weeks, some with leadership
instructions) is played through the real engine on a virtual clock, so every SMS, card and letter
on the pages is one the rules really produced. Then a live worker takes over on the system clock.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from engine.clock import format_local
from engine.domain.rules import CATEGORIES
from engine.domain.work_order import WorkOrder, apply_event, check_event
from workflows.dev.demo_requests import add_requests

UNITS = [
    ("U01", "揭阳市生态环境局"), ("U02", "揭阳市住房和城乡建设局"), ("U03", "揭阳市交通运输局"),
    ("U04", "揭阳市市场监督管理局"), ("U05", "揭阳市城市管理和综合执法局"), ("U06", "揭阳市人力资源和社会保障局"),
    ("U07", "揭阳市教育局"), ("U08", "揭阳市卫生健康局"), ("U09", "榕城区人民政府"), ("U10", "揭东区人民政府"),
    ("U11", "揭阳市自然资源局"), ("U12", "揭阳市供水有限公司"),
]
SURNAMES = "陈林黄李张吴郑王蔡许杨刘"
GIVEN = ["晓燕", "志强", "丽娟", "建华", "海涛", "秀英", "伟东", "慧敏", "国平", "少龙", "佳怡", "锦辉"]
TITLES = {
    "咨询": ["咨询社保转移手续", "咨询新生儿入户材料", "咨询公积金提取条件"],
    "求助": ["小区停水三天未恢复", "路灯损坏夜间无照明", "老人走失求助"],
    "建议": ["建议增设公交站点", "建议延长图书馆开放时间", "建议整治农贸市场周边交通"],
    "投诉": ["工地夜间施工噪音扰民", "餐馆油烟直排", "商家拒不退款", "物业乱收费"],
    "举报": ["举报无证经营", "举报河道偷排污水", "举报违法建设"],
}


def demo_records(now: datetime, *, orders: int = 300, days: int = 42, seed: int = 12345) -> list[dict[str, Any]]:
    """Replay-format records: units, then orders and their events spread over the last `days` days."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for i, (code, name) in enumerate(UNITS):
        phones = [f"+86139{i:02d}{rng.randrange(10**6):06d}" for _ in range(1 + (i % 3 == 0))]
        contacts = [SURNAMES[(3 * i + k) % len(SURNAMES)] + GIVEN[(5 * i + k) % len(GIVEN)] for k in range(len(phones))]
        records.append({"type": "unit", "code": code, "name": name, "phones": phones, "contacts": contacts})
    start = now - timedelta(days=days)
    timed: list[tuple[datetime, int, dict[str, Any]]] = []
    seq = 0
    for n in range(orders):
        created = start + timedelta(seconds=rng.randrange(int((now - start).total_seconds() * 0.97)))
        created = created.replace(hour=rng.choice([8, 9, 10, 11, 14, 15, 16, 17, 20]), microsecond=0)
        if created >= now:
            continue
        category = rng.choices(CATEGORIES, weights=[25, 25, 10, 30, 10])[0]
        urgency = rng.choices(["一般", "紧急", "特急"], weights=[92, 6, 2])[0]
        number = f"GD{created:%Y%m%d}{n:04d}"
        unit = rng.choice(UNITS)[0]
        order = WorkOrder(number, unit, category, urgency, "12315" if category == "投诉" and rng.random() < .2 else "12345",
                          created)
        events = [(created, {"type": "order_created", "order": number, "unit": unit, "category": category,
                             "urgency": urgency, "source": order.source, "title": rng.choice(TITLES[category])})]
        t = created
        # most units sign within a day; a few never do
        if rng.random() < 0.9:
            t += timedelta(hours=rng.choice([0.5, 2, 5, 20, 30, 60]))
            events.append((t, {"type": "signed"}))
        if rng.random() < 0.08:
            events.append((t + timedelta(days=rng.randint(1, 5)), {
                "type": "instruction", "leader": rng.choice(["市长", "常务副市长", "分管副市长"]),
                "text": "请相关单位高度重视，尽快研究解决并报告结果。"}))
        if rng.random() < 0.1:
            events.append((t + timedelta(days=rng.randint(2, 6)), {"type": "extension_approved", "working_days": 5}))
        if rng.random() < 0.85:
            late = rng.random() < 0.2
            t += timedelta(days=rng.uniform(0.2, 6) + (rng.uniform(10, 30) if late else 0))
            events.append((t, {"type": "replied"}))
            if rng.random() < 0.8:
                t += timedelta(days=rng.uniform(0.5, 3))
                events.append((t, {"type": "closed"}))
        for at, event in sorted(events, key=lambda e: e[0]):
            if at >= now:
                break
            if event["type"] != "order_created":
                try:
                    check_event(order, event["type"], at, working_days=event.get("working_days"))
                except ValueError:
                    continue  # e.g. an instruction drawn after the order was closed
                if event["type"] == "instruction":
                    order.last_event_at = at
                else:
                    apply_event(order, event["type"], at)
            seq += 1
            timed.append((at, seq, {**event, "order": number, "at": format_local(at)}))
    timed.sort(key=lambda item: (item[0], item[1]))
    records += [record for _, _, record in timed]
    add_requests(records)
    return records


def seed_requests(engine: Any, records: list[dict[str, Any]]) -> int:
    """The intake record of each demo order (the citizen's name, the channel; the request as on the order), as the
    intake API would have stored it."""
    import sqlalchemy as sa

    from engine.persistence.api_tables import api_intake
    rng = random.Random(2026)
    rows = []
    for r in records:
        if r.get("type") != "order_created":
            continue
        rows.append({"number": r["order"], "client": "demo", "source": r.get("source", "12345"),
                     "body_hash": "0" * 64, "external_no": r["order"], "channel": "phone",
                     "citizen_name": rng.choice("陈林黄李张吴郑王") + rng.choice(["先生", "女士"]),
                     "citizen_phone": r["caller_phone"], "address": r["address"], "content": r["content"],
                     "extra": {}, "received_at": datetime.fromisoformat(r["at"])})
    with engine.store.transaction() as tx:
        known = set(tx.c.execute(sa.select(api_intake.c.number)).scalars())
        fresh = [row for row in rows if row["number"] not in known]
        if fresh:
            tx.c.execute(api_intake.insert(), fresh)
    return len(fresh)


DEMO_PASSWORD = "duban-demo-2026"  # the demo only: printed on start, never used by `duban web`


def create_demo_users(engine: Any, unit_codes: list[str]) -> list[tuple[str, str, str | None]]:
    """One user of each role (and one per unit for the first three units), all with DEMO_PASSWORD."""
    from engine.accounts.service import Accounts

    accounts = Accounts(engine.store, engine.clock)
    wanted: list[tuple[str, str, str | None, str]] = [
        ("admin", "admin", None, "系统管理员"), ("duban", "supervisor", None, "督办员"),
        ("leader", "leader", None, "分管领导")]
    wanted += [(f"unit-{code.lower()}", "unit", code, f"{code} 联络员") for code in unit_codes[:3]]
    for username, role, unit, name in wanted:
        if accounts.by_username(username) is None:
            accounts.create(username=username, display_name=name, role=role, unit_code=unit,
                            password=DEMO_PASSWORD, actor="demo")
    return [(username, role, unit) for username, role, unit, _ in wanted]
