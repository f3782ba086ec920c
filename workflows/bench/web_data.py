"""The web benchmark's data: a realistic city's worth of work orders, units, events, cards and timers, written in bulk."""
from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config.settings import Settings
from engine.clock import LOCAL_TZ, VirtualClock
from engine.domain import deadlines
from engine.domain.rules import CATEGORIES, SOURCES, URGENCIES
from engine.domain.work_order import Status
from engine.persistence.account_tables import cards
from engine.persistence.tables import actions, handling_units, instructions, order_events, supervisor_tasks, \
    work_orders, workflow_instances
from engine.services import Engine
from workflows.bench.engine import reachable, reset_schema, schema_url
from workflows.bench.output import Out
from workflows.bootstrap import build_engine

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=LOCAL_TZ)  # a Monday morning: the benchmark's "now"
DAYS = 730  # orders were dispatched over the two years before NOW
BATCH = 5_000
GOAL_MS = 150.0
PG_SCHEMA = "duban_web_benchmark"
SECRET = "web-benchmark-secret-0123456789"
SUPERVISOR, PASSWORD = "bench-supervisor", "Bench-Password-2026!"
NUMBER_PREFIX = "ZW"

DEPARTMENTS = ("市城市管理局", "市住房和城乡建设局", "市生态环境局", "市交通运输局", "市市场监督管理局",
               "市人力资源和社会保障局", "市教育局", "市卫生健康委员会", "市公安局交通警察支队", "市自然资源和规划局",
               "市水务局", "市民政局", "市医疗保障局", "市住房公积金管理中心", "国网市供电公司", "市燃气集团",
               "市自来水公司", "市公共交通集团", "市园林绿化局", "市文化广电旅游局")
DISTRICTS = ("东城区", "西城区", "南湖区", "北山区", "高新区", "经开区", "滨江区", "临港新区")
STREETS = ("东湖", "西园", "南门", "北关", "新华", "人民", "解放", "建设", "和平", "友谊", "光明", "幸福",
           "长安", "中山", "文化", "花园", "桥东", "桥西", "江滨", "湖滨", "城南", "城北", "新城", "老城",
           "朝阳", "金桥", "银湖", "翠屏", "青山", "龙潭", "凤凰", "白沙")
TOPICS = ("夜间施工噪音扰民", "楼道堆放杂物存在消防隐患", "路灯损坏夜间出行不便", "道路井盖缺失存在安全隐患",
          "餐馆油烟扰民", "商户占道经营", "物业服务不到位", "电梯频繁故障", "停水未提前通知", "燃气费用异常",
          "拖欠农民工工资", "校外培训机构退费难", "网购商品质量问题", "医保报销政策咨询", "公积金提取咨询",
          "违章建筑举报", "生活垃圾清运不及时", "共享单车乱停放", "公交线路调整建议", "学区划分咨询",
          "房屋漏水维修", "供暖温度不达标", "违规养犬扰民", "广场舞噪音扰民", "非法营运车辆举报", "出租车拒载",
          "预付卡商家关门跑路", "外卖食品安全问题", "社保缴费咨询", "户口迁移办理咨询", "道路积水严重",
          "绿化带毁绿种菜", "工地扬尘污染", "河道垃圾漂浮", "宠物医院收费不透明", "健身房退费纠纷",
          "快递丢失索赔难", "违规收取停车费", "充电桩安装受阻", "老旧小区加装电梯", "低保申请咨询",
          "残疾人补贴发放", "农贸市场缺斤短两", "药店价格虚高", "网约车乱收费", "信号灯配时不合理",
          "人行道破损", "排水管道堵塞", "高空抛物", "群租房安全隐患")
PLACES = ("幸福小区", "阳光花园", "锦绣华庭", "建设路", "人民路", "中山大道", "东湖街道", "新城家园", "翠苑三区",
          "滨江花园", "金色港湾", "和平里", "光明新村", "长安街", "湖畔雅居", "世纪城", "")
SEARCH_WORDS = ("噪音", "油烟", "电梯", "退费", "路灯", "垃圾", "停车", "漏水", "扬尘", "公积金")
LEADERS = ("张市长", "李副市长", "王秘书长", "赵区长")
CATEGORY_WEIGHTS = (15, 25, 10, 40, 10)  # 咨询 求助 建议 投诉 举报
URGENCY_WEIGHTS = (94, 5, 1)  # 一般 紧急 特急
SOURCE_WEIGHTS = (85, 15)  # 12345 12315


# ---------------------------------------------------------------------------------------- the data
@dataclass
class Dataset:
    """What the fill produced that the measurements draw their requests from."""

    units: list[str]
    numbers: list[str] = field(default_factory=list)
    day_prefixes: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def unit_names() -> list[tuple[str, str]]:
    """60 handling units: city departments and companies, district governments, street offices."""
    names = list(DEPARTMENTS) + [f"{d}人民政府" for d in DISTRICTS]
    names += [f"{DISTRICTS[i % len(DISTRICTS)]}{s}街道办事处" for i, s in enumerate(STREETS)]
    return [(f"U{i:03d}", name) for i, name in enumerate(names[:60], start=1)]


def dispatch_times(rng: random.Random, count: int) -> list[datetime]:
    """`count` instants over the DAYS before NOW, mostly in office hours, oldest first."""
    start = NOW - timedelta(days=DAYS)
    times = []
    for _ in range(count):
        day = start + timedelta(days=rng.randrange(DAYS))
        hour = rng.choices((rng.randint(8, 17), rng.randint(0, 23)), weights=(85, 15))[0]
        at = day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        times.append(at if at < NOW else NOW - timedelta(minutes=rng.randint(1, 600)))
    return sorted(times)


def order_numbers(times: Sequence[datetime]) -> Iterator[str]:
    """ZW + local date + a five-digit sequence within the day (the hotline's own numbering)."""
    day, seq = "", 0
    for at in times:
        today = at.astimezone(LOCAL_TZ).strftime("%Y%m%d")
        day, seq = today, (seq + 1 if today == day else 1)
        yield f"{NUMBER_PREFIX}{today}{seq:05d}"


def pick_status(rng: random.Random, age: timedelta) -> str:
    """Old orders are closed; recent ones are still being signed for, handled or waiting to be closed."""
    weights = ((97, 2, 1, 0) if age > timedelta(days=60) else (70, 15, 12, 3) if age > timedelta(days=15)
               else (20, 20, 45, 15))
    return rng.choices((Status.CLOSED, Status.REPLIED, Status.SIGNED, Status.DISPATCHED), weights=weights)[0]


@dataclass
class Rows:
    """The rows of one batch of orders, table by table, in foreign-key order."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    instructions: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)

    def tables(self) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
        return [(work_orders, self.orders), (order_events, self.events), (workflow_instances, self.instances),
                (actions, self.actions), (cards, self.cards), (instructions, self.instructions),
                (supervisor_tasks, self.tasks)]


class Filler:
    """Makes realistic rows for one order at a time (the engine's rules and calendar give the deadlines)."""

    def __init__(self, engine: Engine, rng: random.Random, units: Sequence[str], process_key: str,
                 state: str) -> None:
        self.engine, self.rng, self.units = engine, rng, list(units)
        self.process_key, self.state = process_key, state
        self.now = NOW.astimezone(timezone.utc)

    def add(self, rows: Rows, number: str, dispatched: datetime) -> None:
        rng = self.rng
        category = rng.choices(CATEGORIES, weights=CATEGORY_WEIGHTS)[0]
        urgency = rng.choices(URGENCIES, weights=URGENCY_WEIGHTS)[0]
        source = rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0]
        unit = rng.choice(self.units)
        deadline = deadlines.handling_deadline(self.engine.rules, self.engine.calendar, category=category,
                                               urgency=urgency, source=source, start_at=dispatched)
        status = pick_status(rng, self.now - dispatched)
        times = self._timeline(status, dispatched, deadline.at)
        late_days = self._late_days(status, deadline.at, times.get("replied"))
        returned = (times["signed"] + timedelta(hours=rng.randint(1, 8))
                    if status in (Status.DISPATCHED, Status.SIGNED) and times.get("signed") and rng.random() < 0.03
                    else None)
        steps = ["dispatched"] + [s for s, d in (("overdue", 0), ("yellow", 3), ("red", 5)) if late_days > d]
        rows.orders.append({
            "number": number, "unit_code": unit, "category": category, "urgency": urgency, "source": source,
            "title": f"{rng.choice(PLACES)}{rng.choice(TOPICS)}", "returned_at": returned, "status": status,
            "cycle": 1, "dispatched_at": dispatched, "signed_at": times.get("signed"),
            "replied_at": times.get("replied"), "closed_at": times.get("closed"), "progress_reported_at": None,
            "last_event_at": max(times.values()), "deadline_at": deadline.at,
            "deadline_provisional": deadline.provisional, "deadline_explanation": deadline.explanation,
            "fired_steps": steps, "deadline_basis": [{"rule": "handling", "start_at": dispatched.isoformat()}]})
        self._events(rows, number, unit, times, returned)
        self._actions(rows, number, unit, dispatched, deadline.at, late_days)
        if late_days > 0:  # the overdue step's phone task: still open while the unit holds the order (issue 12)
            key = f"bench:{number}:phone"
            rows.actions.append({"key": key, "kind": "phone_urge", "order_number": number, "unit_code": unit,
                                 "at": deadline.at, "step": "overdue", "details": {}, "instance_id": None,
                                 "recorded_at": deadline.at})
            still_open = status in (Status.DISPATCHED, Status.SIGNED) and returned is None
            rows.tasks.append({"kind": "phone_urge", "step": "overdue", "action_key": key, "order_number": number,
                               "unit_code": unit, "created_at": deadline.at,
                               "status": "open" if still_open else "superseded",
                               "superseded_reason": None if still_open else "replied"})
        if status != Status.CLOSED:
            rows.instances.append(self._instance(number, status, deadline.at, dispatched))
        if rng.random() < 0.01:
            self._instruction(rows, number, dispatched, times)

    def _timeline(self, status: str, dispatched: datetime, deadline: datetime) -> dict[str, datetime]:
        rng, latest = self.rng, self.now - timedelta(minutes=1)
        times = {"dispatched": dispatched}
        if status == Status.DISPATCHED:
            return times
        times["signed"] = min(dispatched + timedelta(hours=rng.uniform(0.3, 30)), latest)
        if status == Status.SIGNED:
            return times
        span = max(deadline - dispatched, timedelta(hours=2))
        times["replied"] = min(times["signed"] + span * rng.uniform(0.1, 1.25), latest)
        if status == Status.CLOSED:
            times["closed"] = min(times["replied"] + timedelta(hours=rng.uniform(1, 120)), latest)
        return times

    def _late_days(self, status: str, deadline: datetime, replied: datetime | None) -> float:
        end = replied if replied is not None else self.now if status != Status.CLOSED else deadline
        return max(0.0, (end - deadline) / timedelta(days=1))

    def _events(self, rows: Rows, number: str, unit: str, times: Mapping[str, datetime],
                returned: datetime | None) -> None:
        for kind, at in times.items():
            details: dict[str, Any] = {"unit": unit} if kind == "dispatched" else {}
            rows.events.append({"order_number": number, "type": kind, "at": at, "actor": "system",
                                "details": details, "recorded_at": at})
        if returned is not None:
            rows.events.append({"order_number": number, "type": "returned", "at": returned, "actor": "unit",
                                "details": {"reason": "不属于本单位职责范围"}, "recorded_at": returned})

    def _actions(self, rows: Rows, number: str, unit: str, dispatched: datetime, deadline: datetime,
                 late_days: float) -> None:
        def action(kind: str, step: str, at: datetime) -> str:
            key = f"bench:{number}:{step}"
            rows.actions.append({"key": key, "kind": kind, "order_number": number, "unit_code": unit, "at": at,
                                 "step": step, "details": {"template": step}, "instance_id": None,
                                 "recorded_at": at})
            return key

        action("sms", "dispatched", dispatched)
        if late_days > 0:
            action("sms", "overdue", deadline)
        for color, days in (("yellow", 3), ("red", 5)):
            if late_days > days:
                at = deadline + timedelta(days=days)
                key = action(f"{color}_card", color, at)
                withdrawn = self.rng.random() < 0.1
                rows.cards.append({"order_number": number, "unit_code": unit, "color": color, "source": "rule",
                                   "action_key": key, "reason": f"超期{days}个工作日", "issued_at": at,
                                   "issued_by": "rules", "withdrawn_at": at + timedelta(days=1) if withdrawn else None,
                                   "withdrawn_by": "supervisor" if withdrawn else None,
                                   "withdraw_reason": "单位已说明情况" if withdrawn else None})

    def _instance(self, number: str, status: str, deadline: datetime, dispatched: datetime) -> dict[str, Any]:
        if status == Status.REPLIED:
            due = None  # the ladder stopped; the instance waits for the closure
        elif deadline > self.now + timedelta(days=1):
            due = deadline - timedelta(days=1)  # due-soon reminder
        else:
            due = self.now + timedelta(hours=self.rng.randint(1, 72))  # the next ladder step
        return {"process_key": self.process_key, "kind": "work_order", "order_number": number,
                "instruction_id": None, "quarter": None, "status": "waiting", "next_due_at": due,
                "state": self.state, "attempts": 0, "last_error": None, "created_at": dispatched,
                "updated_at": dispatched}

    def _instruction(self, rows: Rows, number: str, dispatched: datetime, times: Mapping[str, datetime]) -> None:
        at = min(dispatched + timedelta(days=self.rng.uniform(0.5, 5)), max(times.values()))
        rows.instructions.append({"order_number": number, "leader": self.rng.choice(LEADERS),
                                  "text": "请相关单位高度重视，尽快妥善处理并反馈。", "instructed_at": at,
                                  "letter_due_at": at + timedelta(days=30), "report_due_at": at + timedelta(days=90)})
        rows.events.append({"order_number": number, "type": "instruction", "at": at, "actor": "system",
                            "details": {"leader": "领导"}, "recorded_at": at})


def prepare_engine(url: str) -> tuple[Engine, list[str], str, str]:
    """The engine on `url` (migrated), its units, and the process key and state of one real open order."""
    clock = VirtualClock(NOW)
    settings = replace(Settings.from_env(), worker_id="web-bench", secret_key=SECRET, database_url=url)
    engine = build_engine(settings, clock=clock, database_url=url)
    units = []
    for code, name in unit_names():
        engine.register_unit(code, name, [f"+86139{int(code[1:]):08d}"])
        units.append(code)
    number = f"{NUMBER_PREFIX}{NOW.strftime('%Y%m%d')}00000"
    engine.open_work_order(number=number, unit_code=units[0], category="投诉", urgency="一般", source="12345",
                           at=clock.now(), title="幸福小区夜间施工噪音扰民")
    with engine.store.reading() as tx:
        key, state = tx.c.execute(sa.select(workflow_instances.c.process_key, workflow_instances.c.state)
                                  .where(workflow_instances.c.order_number == number)).one()
    return engine, units, key, state


@contextmanager
def fresh_database(url: str | None, keep: bool = False) -> Iterator[tuple[str, str, bool]]:
    """(URL to use, how to show it, whether it holds a kept fill to reuse): a temp SQLite file, a given SQLite file
    (with `keep`: one a previous run filled), or a PostgreSQL schema (dropped afterwards unless `keep`)."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="duban-web-bench-") as name:
            yield f"sqlite:///{name}/bench.db", "SQLite (temporary file, WAL)", False
        return
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    if url.startswith("sqlite"):
        database = sa.engine.make_url(url).database
        if not database or database == ":memory:" or (Path(database).exists() and not keep):
            raise SystemExit(f"{shown}: give a SQLite file that does not exist yet (the benchmark fills it), "
                             "or --keep to reuse the one a previous --keep run filled")
        reuse = Path(database).exists()
        yield url, f"SQLite ({database}{', kept fill reused' if reuse else ''})", reuse
        return
    why = reachable(url)
    if why is not None:
        raise SystemExit(f"{shown} is not reachable: {why}")
    reuse = keep and kept_fill(schema_url(url, PG_SCHEMA))
    if not reuse:
        reset_schema(url, PG_SCHEMA)
    try:
        what = "kept fill reused" if reuse else "kept afterwards" if keep else "dropped afterwards"
        yield schema_url(url, PG_SCHEMA), f"PostgreSQL ({shown}, schema {PG_SCHEMA}, {what})", reuse
    finally:
        if not keep:
            reset_schema(url, PG_SCHEMA, recreate=False)


def kept_fill(url: str) -> bool:
    """Does the database at `url` hold a fill (work orders) a previous --keep run left?"""
    db = sa.create_engine(url)
    try:
        with db.connect() as connection:
            if not sa.inspect(connection).has_table(work_orders.name):
                return False
            return connection.execute(sa.select(work_orders.c.number).limit(1)).first() is not None
    finally:
        db.dispose()


def reopen(url: str, orders: int) -> tuple[Engine, Dataset]:
    """The engine on a kept fill (migrated to the current head) and the dataset read back from it."""
    clock = VirtualClock(NOW)
    settings = replace(Settings.from_env(), worker_id="web-bench", secret_key=SECRET, database_url=url)
    engine = build_engine(settings, clock=clock, database_url=url)
    with engine.store.reading() as tx:
        numbers = list(tx.c.execute(sa.select(work_orders.c.number).order_by(work_orders.c.number)).scalars())
        units = list(tx.c.execute(sa.select(handling_units.c.code).order_by(handling_units.c.code)).scalars())
        rows = {table.name: tx.c.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table, _ in Rows().tables()}
    if len(numbers) != orders:
        raise SystemExit(f"the kept database holds {len(numbers):,} work orders, not {orders:,}: give --orders "
                         f"{len(numbers)} or another database")
    data = Dataset(units=units, numbers=numbers, rows=rows)
    data.day_prefixes = sorted({n[:len(NUMBER_PREFIX) + 8] for n in numbers})
    return engine, data


def fill(engine: Engine, units: list[str], process_key: str, state: str, count: int, out: Out,
         seed: int = 12345) -> Dataset:
    """Bulk-insert `count` orders with their rows, BATCH orders per transaction."""
    rng = random.Random(seed)
    filler = Filler(engine, rng, units, process_key, state)
    data = Dataset(units=units)
    times = dispatch_times(rng, count)
    totals = {table.name: 0 for table, _ in Rows().tables()}
    rows = Rows()
    for i, (number, at) in enumerate(zip(order_numbers(times), times), start=1):
        filler.add(rows, number, at.astimezone(timezone.utc))
        data.numbers.append(number)
        if i % BATCH == 0 or i == count:
            _insert(engine, rows, totals)
            rows = Rows()
            out.progress(f"filling: {i:,} / {count:,} orders")
    out.done()
    data.day_prefixes = sorted({n[:len(NUMBER_PREFIX) + 8] for n in data.numbers})
    data.rows = totals
    return data


def _insert(engine: Engine, rows: Rows, totals: dict[str, int]) -> None:
    with engine.store.transaction() as tx:
        for table, batch in rows.tables():
            if batch:
                tx.c.execute(table.insert(), batch)
                totals[table.name] += len(batch)


def analyze(engine: Engine) -> str:
    """PostgreSQL: fresh planner statistics, as autovacuum would have them. SQLite: left as it is."""
    db = engine.store.engine
    if db.dialect.name != "postgresql":
        return "SQLite without ANALYZE statistics (as a production file has them)"
    with db.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    return "PostgreSQL after VACUUM ANALYZE"


def database_size(engine: Engine) -> str:
    db = engine.store.engine
    if db.dialect.name == "postgresql":
        with db.connect() as connection:
            size = connection.exec_driver_sql(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind = 'r'").scalar()
        return f"{int(size or 0) / 2**20:,.0f} MiB"
    path = Path(db.url.database or "")
    return f"{path.stat().st_size / 2**20:,.0f} MiB" if path.exists() else "?"
