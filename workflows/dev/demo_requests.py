"""The demo's requests (诉求): what each caller asked, where, from which phone — with the repeats a real hotline
gets (the same pothole reported by several neighbours, the same caller calling again), so the duplicate
candidates (issue 19) have something to find.

Drawn from their own random stream, seeded by the order number, so the demo's orders and events (and the replay
references made from them) do not change when this file does.
"""
from __future__ import annotations

import random
from typing import Any

# (district, street, GCJ-02 latitude and longitude of the street's middle, as a map service shows it)
STREETS = [
    ("榕城区", "临江北路", 23.55234, 116.36551), ("榕城区", "进贤门大道", 23.54683, 116.35892),
    ("榕城区", "东山大道", 23.55551, 116.38702), ("榕城区", "马牙路", 23.54102, 116.37203),
    ("揭东区", "城西大道", 23.56603, 116.41204), ("揭东区", "曲溪街道金溪路", 23.53401, 116.40305),
    ("普宁市", "流沙大道", 23.29763, 116.16542), ("揭西县", "河婆街道新风路", 23.42588, 115.84201),
]
ESTATES = ["金叶花园", "榕江新城", "东湖苑", "阳光名都", "望江楼小区", "翠竹苑"]
COMPLAINTS = {
    "咨询": "来电人想了解{title}的具体办理流程和所需材料，希望相关部门给予明确答复。",
    "求助": "来电人反映{where}{title}，已影响周边居民正常生活，请相关部门尽快到场处理。",
    "建议": "来电人{title}，认为可以方便{where}周边群众出行和生活，希望相关部门研究采纳。",
    "投诉": "来电人投诉{where}{title}，多次向有关方面反映未果，要求相关部门依法查处并回复处理结果。",
    "举报": "来电人{title}，地点在{where}，情况已持续一段时间，请相关部门核实查处。",
}
AGAIN = "来电人再次反映：{where}{title}，此前已有人反映，至今仍未解决，要求尽快处理。"
REPEAT_SHARE = 0.12  # of orders repeat an earlier request of the same category (a neighbour, or the caller again)


def _caller(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def add_requests(records: list[dict[str, Any]]) -> None:
    """Give every order_created record its content, address, district, GCJ-02 coordinates and caller phone."""
    earlier: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.get("type") != "order_created":
            continue
        rng = random.Random(f"request:{record['order']}")
        category, title = record["category"], record.get("title", "")
        same_kind = earlier.setdefault(category, [])
        if same_kind and rng.random() < REPEAT_SHARE:
            request = _repeat(rng, rng.choice(same_kind[-40:]))
        else:
            request = _fresh(rng, category, title)
        record.update(request)
        same_kind.append(request)


def _fresh(rng: random.Random, category: str, title: str) -> dict[str, Any]:
    district, street, lat, lng = rng.choice(STREETS)
    house = rng.randint(1, 300)
    building = f"{rng.choice(ESTATES)}{rng.randint(1, 12)}栋" if rng.random() < 0.5 else ""
    place = f"{street}{house}号{building}"
    along = (house - 150) / 150 * 0.004  # houses spread along about 800 m of the street
    return {"address": f"揭阳市{district}{place}", "district": district,
            "latitude": round(lat + along * 0.6 + rng.uniform(-2e-4, 2e-4), 6),
            "longitude": round(lng + along + rng.uniform(-2e-4, 2e-4), 6), "coord_system": "GCJ-02",
            "caller_phone": _caller(rng), "content": COMPLAINTS[category].format(title=title, where=place)}


def _repeat(rng: random.Random, first: dict[str, Any]) -> dict[str, Any]:
    """The same matter again: written differently, the address spelled another way or a point some metres off,
    by another caller or (one time in three) the same one."""
    where = first["address"].removeprefix("揭阳市").removeprefix(first["district"])
    title = first["content"].split("，")[0].removeprefix("来电人").removeprefix("投诉").removeprefix("反映")
    address = first["address"].replace("栋", "幢") if rng.random() < 0.5 else first["address"]
    return {**first, "address": address, "content": AGAIN.format(where="", title=title or where),
            "latitude": round(first["latitude"] + rng.uniform(-3e-4, 3e-4), 6),
            "longitude": round(first["longitude"] + rng.uniform(-3e-4, 3e-4), 6),
            "caller_phone": first["caller_phone"] if rng.random() < 1 / 3 else _caller(rng)}
