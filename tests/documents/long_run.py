"""A long run through the real engine: 400 orders over 200 days (2026-03-02 → 2026-09-18) on 8 units, most
handled on time, some late, some never answered (the ladder runs to the 督办函), a few instructed by leaders
and left open (督办函, then the 专报 after three months); the quarterly reports of Q1 and Q2 fall in it.
SMS leave a minute after their step. Documents are numbered and stored as DOCX only while it runs; the PDFs are rendered afterwards from the
stored content snapshots of the documents the layout tests look at."""
from __future__ import annotations

import random
from datetime import timedelta

from tests.conftest import local
from tests.documents.helpers import run_until
from workflows.adapters.outbox_sms import OutboxOnlySmsGateway
from workflows.bootstrap import build_sms

UNITS = {f"U{i:02d}": name for i, name in enumerate(
    ("揭阳市生态环境局", "揭阳市城市管理和综合执法局", "揭阳市住房和城乡建设局", "揭阳市交通运输局",
     "揭阳市市场监督管理局", "揭阳市人力资源和社会保障局", "揭阳市自然资源局", "揭阳市榕城区人民政府"), 1)}
TITLES = ("小区夜间施工噪音扰民", "河道偷排污水，气味刺鼻", "道路井盖缺失存在安全隐患", "公交站台长期未清洁",
          "商家拒不退还预付卡余额", "拖欠农民工工资三个月", "占用人行道堆放建筑材料", "路灯损坏夜间无照明",
          "餐馆油烟直排影响居民生活", "违规设置户外广告牌")
INSTRUCTIONS = ("请生态环境部门牵头，会同属地政府限期解决，并向市民反馈办理结果。", "此事群众反映强烈，请抓紧办理！",
                "请城管局跟踪督办，务必在本月内解决。")
START, DAYS, ORDERS = local(2026, 3, 2, 9, 0), 200, 400  # 400: the least the acceptance of issue 14 asks for


def long_run(engine, clock, docx_only, settings=None) -> None:
    """With `settings`, the SMS go out through the real delivery path (to the demo's outbox-only gateway) a minute
    after the step that asked for them, so the documents' record tables show when each left."""
    deliver = None
    if settings is not None:
        sms = build_sms(settings, engine, gateway=OutboxOnlySmsGateway())
        deliver = lambda: sms.delivery.run(sms.gateway)  # noqa: E731
    rng = random.Random(14)
    engine.ensure_quarterly_report(local(2026, 3, 1, 0, 0))
    for code, name in UNITS.items():
        engine.register_unit(code, name, [f"+86138001380{code[-2:]}"])
    plan: list[tuple[object, int, str, str, object]] = []
    for n in range(ORDERS):
        at = START + timedelta(days=rng.randrange(DAYS - 30), hours=rng.randrange(8))
        number = f"GD{at:%Y%m%d}{n:04d}"
        plan.append((at, 0, number, "open", (rng.choice(list(UNITS)), rng.choice(TITLES))))
        fate = rng.random()
        if fate < 0.75:  # signed and replied on time, closed, called back
            plan.append((at + timedelta(hours=2), 1, number, "signed", None))
            plan.append((at + timedelta(hours=26), 1, number, "replied", None))
            plan.append((at + timedelta(days=2), 1, number, "closed", None))
        elif fate < 0.9:  # late: replied after the notice and the yellow card
            plan.append((at + timedelta(hours=3), 1, number, "signed", None))
            plan.append((at + timedelta(days=8), 1, number, "replied", None))
        elif fate < 0.95 and at < local(2026, 5, 1):  # instructed and left open: letter, then the 专报
            plan.append((at + timedelta(hours=5), 1, number, "signed", None))
            plan.append((at + timedelta(days=3), 1, number, "instruction", rng.choice(INSTRUCTIONS)))
        # else: never answered, the ladder runs to the 督办函
    for at, _, number, kind, arg in sorted(plan, key=lambda item: (item[0], item[1])):
        run_until(engine, clock, at, settings=docx_only, deliver=deliver)
        if kind == "open":
            engine.open_work_order(number=number, unit_code=arg[0], category="咨询", urgency="一般", source="12345",
                                   at=at, title=arg[1])
        elif kind == "instruction":
            engine.add_instruction(number, leader="市长", text=arg, at=at)
        else:
            engine.record_event(number, kind, at=at)
    run_until(engine, clock, START + timedelta(days=DAYS), settings=docx_only, deliver=deliver)
