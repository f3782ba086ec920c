"""A synthetic city with known repeated requests (issue 19's acceptance test and duplicate benchmark).

Matters (a broken street light at one door, a noisy building site, …) are reported by citizens; some matters are
reported again — at the same address spelled another way, from a point some tens of metres off without an
address, by the same caller in other words, or in nearly the same words by someone else. Around them are the
things that must not be taken for repeats: another matter at the same address in another category, a different
matter of the same category a few dozen metres away, the same caller about something else, and the same kind of
matter in another street. `group` tells which orders are one matter.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# matter kind → (category, ways citizens put it)
MATTERS: dict[str, tuple[str, list[str]]] = {
    "light": ("求助", ["路灯不亮，晚上出行很不安全", "路灯坏了好几天，晚上一片漆黑", "这一段的路灯晚上都不亮，走路看不见"]),
    "noise": ("投诉", ["工地夜间施工噪音扰民，影响休息", "工地晚上一直施工，机器声音很吵睡不着", "夜里施工噪音太大，凌晨还在打桩"]),
    "water": ("求助", ["路面积水严重，车辆行人无法通行", "下雨后马路积水排不出去，积水没过脚踝", "道路积水一直不退，下水道堵塞"]),
    "smoke": ("投诉", ["餐馆油烟直排，熏得住户不敢开窗", "饭店排油烟没有净化，楼上全是油烟味", "餐饮店油烟直接排到居民楼"]),
    "cutoff": ("求助", ["小区停水两天了，没有任何通知", "家里停水，供水一直没有恢复", "整栋楼停水，老人孩子生活困难"]),
    "rubbish": ("投诉", ["垃圾堆放多日无人清运，气味难闻", "生活垃圾没人清理，堆成小山发臭", "垃圾桶满了好几天没人收，苍蝇很多"]),
    "manhole": ("求助", ["井盖缺失，晚上有人差点掉下去", "井盖破损塌陷，存在安全隐患", "路上井盖不见了，只放了个雪糕筒"]),
    "stall": ("投诉", ["商户占道经营，人行道被堵死", "摊贩占用人行道摆摊，行人只能走机动车道", "店铺把货物摆到人行道上占道经营"]),
    "tree": ("求助", ["行道树倒伏压住电线", "大树树枝断裂悬在半空，随时会掉下来", "台风后树木倒在路中间无人处理"]),
    "parking": ("投诉", ["车辆长期占用消防通道停放", "小区消防通道被私家车堵住", "消防通道常年停满车，出了事消防车进不来"]),
}
OPENINGS = ["来电人反映", "市民称", "来电人表示", "群众反映", ""]
AGAIN = ["来电人再次反映", "又有市民反映", "来电人称此前已反映过", ""]
STREETS = [("榕城区", "临江北路"), ("榕城区", "进贤门大道"), ("榕城区", "东山大道"), ("榕城区", "马牙路"),
           ("揭东区", "城西大道"), ("揭东区", "金溪路"), ("普宁市", "流沙大道"), ("揭西县", "新风路"),
           ("榕城区", "天福路"), ("揭东区", "望江北路")]
ORIGIN = (23.40, 115.80)  # the streets are laid out on a grid from here, 2 km apart


@dataclass
class CityOrder:
    number: str
    at: datetime
    category: str
    content: str
    group: int  # orders of one matter share it; a distractor has its own
    address: str | None = None
    district: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    caller_phone: str | None = None
    kind: str = "first"  # first | same_address | nearby | same_caller | reworded | distractor_*

    def location(self) -> dict[str, Any]:
        return {"content": self.content, "address": self.address, "district": self.district,
                "latitude": self.latitude, "longitude": self.longitude,
                "system": "WGS-84" if self.latitude is not None else None, "caller_phone": self.caller_phone}


@dataclass
class City:
    orders: list[CityOrder] = field(default_factory=list)

    def true_pairs(self) -> set[frozenset[str]]:
        by_group: dict[int, list[str]] = {}
        for o in self.orders:
            by_group.setdefault(o.group, []).append(o.number)
        return {frozenset((a, b)) for members in by_group.values() for i, a in enumerate(members) for b in members[i + 1:]}

    def repeats(self) -> set[str]:
        """Orders that repeat an earlier order of their matter."""
        seen: set[int] = set()
        found = set()
        for o in sorted(self.orders, key=lambda o: o.at):
            if o.group in seen:
                found.add(o.number)
            seen.add(o.group)
        return found


def _point(street: int, house: int) -> tuple[float, float]:
    """Streets run east–west, 2 km apart; house n is n × 8 m along."""
    lat = ORIGIN[0] + street * 0.018
    lng = ORIGIN[1] + house * 8 / (111_320 * math.cos(math.radians(lat)))
    return lat, lng


def _offset(point: tuple[float, float], metres: float, rng: random.Random) -> tuple[float, float]:
    angle = rng.uniform(0, 2 * math.pi)
    d_lat = metres * math.sin(angle) / 111_320
    d_lng = metres * math.cos(angle) / (111_320 * math.cos(math.radians(point[0])))
    return round(point[0] + d_lat, 7), round(point[1] + d_lng, 7)


def _caller(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10 ** 9):09d}"


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isdigit() else ch for ch in text)


def build(matters: int = 120, *, seed: int = 19, start: datetime, days: int = 25, prefix: str = "SC") -> City:
    """`matters` first reports over `days` days; about 40 % reported again; distractors around a third of them."""
    rng = random.Random(seed)
    city = City()
    serial = iter(range(10 ** 9))
    used: set[tuple[int, int]] = set()

    def add(group: int, at: datetime, kind: str, **facts: Any) -> CityOrder:
        order = CityOrder(f"{prefix}{next(serial):07d}", at, group=group, kind=kind, **facts)
        city.orders.append(order)
        return order

    groups = iter(range(10 ** 9))
    for _ in range(matters):
        kind = rng.choice(list(MATTERS))
        category, phrasings = MATTERS[kind]
        street = rng.randrange(len(STREETS))
        house = rng.randrange(1, 200)
        while (street, house) in used:
            house = rng.randrange(1, 200)
        used.add((street, house))
        district, road = STREETS[street]
        place = f"{road}{house}号"
        point = _point(street, house)
        at = start + timedelta(minutes=rng.randrange(days * 24 * 60))
        group = next(groups)
        first = add(group, at, "first", category=category, address=f"揭阳市{district}{place}", district=district,
                    latitude=point[0], longitude=point[1], caller_phone=_caller(rng),
                    content=f"{rng.choice(OPENINGS)}{place}{rng.choice(phrasings)}，请尽快处理。")
        if rng.random() < 0.4:
            for _ in range(rng.choice([1, 1, 2])):
                later = at + timedelta(hours=rng.uniform(2, 24 * 12))
                _repeat(add, rng, group, later, first, place, phrasings)
        if rng.random() < 0.35:
            _distractor(add, rng, groups, at + timedelta(hours=rng.uniform(1, 24 * 6)), first, street, house, kind)
    city.orders.sort(key=lambda o: o.at)
    return city


def _repeat(add: Any, rng: random.Random, group: int, at: datetime, first: CityOrder, place: str,
            phrasings: list[str]) -> None:
    how = rng.choice(["same_address", "nearby", "same_caller", "reworded"])
    words = rng.choice([p for p in phrasings if p not in first.content])
    again = rng.choice(AGAIN)
    if how == "same_address":  # another caller, the address written another way, the matter in other words
        address = _full_width(first.address or "").replace("号", " 号")
        add(group, at, how, category=first.category, address=address, district=first.district,
            caller_phone=_caller(rng), content=f"{again}{place}{words}。")
    elif how == "nearby":  # a passer-by's phone location some metres off, no house number
        lat, lng = _offset((first.latitude or 0, first.longitude or 0), rng.uniform(10, 70), rng)
        add(group, at, how, category=first.category, district=first.district, latitude=lat, longitude=lng,
            caller_phone=_caller(rng), content=f"{again}{place}附近{words}。")
    elif how == "same_caller":  # the first caller again, in other words, without the address
        add(group, at, how, category=first.category, caller_phone=first.caller_phone,
            content=f"{again}{place}{words}，至今没人来处理。")
    else:  # nearly the first words, someone else, nothing else given
        add(group, at, how, category=first.category, caller_phone=_caller(rng),
            content=f"{rng.choice(OPENINGS)}{first.content.split('，请')[0].removeprefix('来电人反映').removeprefix('市民称')}"
                    f"，希望相关部门尽快解决。")


def road_of(order: CityOrder) -> str:
    """The street and number of an order's address, as citizens name it."""
    return (order.address or "").removeprefix("揭阳市").removeprefix(order.district or "")


def _distractor(add: Any, rng: random.Random, groups: Any, at: datetime, first: CityOrder, street: int, house: int,
                kind: str) -> None:
    other_kinds = [k for k in MATTERS if k != kind]
    how = rng.choice(["distractor_same_address", "distractor_nearby", "distractor_same_caller", "distractor_far"])
    if how == "distractor_same_address":  # another category at the same door
        other = rng.choice([k for k in other_kinds if MATTERS[k][0] != first.category])
        category, phrasings = MATTERS[other]
        add(next(groups), at, how, category=category, address=first.address, district=first.district,
            latitude=first.latitude, longitude=first.longitude, caller_phone=_caller(rng),
            content=f"{rng.choice(OPENINGS)}{road_of(first)}{rng.choice(phrasings)}，请处理。")
    elif how == "distractor_nearby":  # a different matter of the same category a few doors away
        other = rng.choice([k for k in other_kinds if MATTERS[k][0] == first.category])
        phrasings = MATTERS[other][1]
        district, road = STREETS[street]
        neighbour = house + rng.choice([-6, -5, 5, 6])  # 40–50 m along the street
        lat, lng = _point(street, neighbour)
        add(next(groups), at, how, category=first.category, address=f"揭阳市{district}{road}{neighbour}号",
            district=district, latitude=lat, longitude=lng, caller_phone=_caller(rng),
            content=f"{rng.choice(OPENINGS)}{road}{neighbour}号{rng.choice(phrasings)}。")
    elif how == "distractor_same_caller":  # the same caller about something else, elsewhere
        other = rng.choice(other_kinds)
        category, phrasings = MATTERS[other]
        far_street = (street + 3) % len(STREETS)
        district, road = STREETS[far_street]
        lat, lng = _point(far_street, house)
        add(next(groups), at, how, category=category, address=f"揭阳市{district}{road}{house}号", district=district,
            latitude=lat, longitude=lng, caller_phone=first.caller_phone,
            content=f"{rng.choice(OPENINGS)}{road}{house}号{rng.choice(phrasings)}。")
    else:  # the same kind of matter in another street, in the same words
        far_street = (street + 5) % len(STREETS)
        district, road = STREETS[far_street]
        far_house = rng.randrange(1, 200)
        lat, lng = _point(far_street, far_house)
        add(next(groups), at, how, category=first.category, address=f"揭阳市{district}{road}{far_house}号",
            district=district, latitude=lat, longitude=lng, caller_phone=_caller(rng),
            content=f"{rng.choice(OPENINGS)}{road}{far_house}号{first.content.split('号', 1)[1]}")
