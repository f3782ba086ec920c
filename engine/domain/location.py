"""Where a work order is and what the citizen asked (issue 19 item 1): the request text, the address as given and
its normalised key, the district (区县), WGS-84 coordinates and the caller's phone.

Coordinates arrive in WGS-84 (GPS) or GCJ-02 (the offset datum Chinese map services use, 火星坐标) and say which;
GCJ-02 is converted to WGS-84 on intake, so every stored pair is WGS-84 and distances between orders are true.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import asdict, dataclass

from engine.domain.errors import InvalidInput
from engine.domain.grid import grid_cell

WGS84, GCJ02 = "WGS-84", "GCJ-02"
COORDINATE_SYSTEMS = (WGS84, GCJ02)
_SYSTEM_SPELLINGS = {"WGS84": WGS84, "GCJ02": GCJ02}
MAX_ADDRESS, MAX_DISTRICT, MAX_CONTENT, MAX_PHONE = 300, 50, 4000, 32
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class OrderLocation:
    """What `work_orders` stores about the request: `columns()` gives the column values."""
    content: str | None = None
    address: str | None = None
    address_key: str | None = None
    district: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    caller_phone: str | None = None

    def columns(self) -> dict[str, object]:
        """The work_orders columns: these fields and the point's grid cell (engine/domain/grid.py)."""
        return {**asdict(self), "grid_cell": grid_cell(self.latitude, self.longitude)}

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def coordinate_system(name: object) -> str:
    """`WGS-84` or `GCJ-02` (also written wgs84, gcj-02, …); anything else is InvalidInput."""
    spelled = _SYSTEM_SPELLINGS.get(str(name).upper().replace("-", "").replace("_", "").strip()) \
        if isinstance(name, str) else None
    if spelled is None:
        raise InvalidInput(f"unknown coordinate system {name!r}: give WGS-84 (GPS) or GCJ-02 (Chinese map services)")
    return spelled


def wgs84_point(latitude: object, longitude: object, system: object) -> tuple[float, float]:
    """A checked point in WGS-84 (GCJ-02 input converted). Both numbers are required, within their ranges."""
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidInput(f"{name} must be a number of degrees, got {value!r}")
        if not -limit <= value <= limit:
            raise InvalidInput(f"{name} must lie between -{limit} and {limit} degrees, got {value}")
    lat, lng = float(latitude), float(longitude)  # type: ignore[arg-type]
    if coordinate_system(system) == GCJ02:
        lat, lng = gcj02_to_wgs84(lat, lng)
    return round(lat, 7), round(lng, 7)


def order_location(*, content: str | None = None, address: str | None = None, district: str | None = None,
                   latitude: object = None, longitude: object = None, system: object = None,
                   caller_phone: str | None = None) -> OrderLocation:
    """Check and normalise what an intake gives; InvalidInput names the bad part."""
    for name, value, limit in (("content", content, MAX_CONTENT), ("address", address, MAX_ADDRESS),
                               ("district", district, MAX_DISTRICT), ("caller_phone", caller_phone, MAX_PHONE)):
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise InvalidInput(f"{name} must be text of at most {limit} characters")
    if (latitude is None) != (longitude is None):
        raise InvalidInput("give both latitude and longitude, or neither")
    lat = lng = None
    if latitude is not None:
        if system is None:
            raise InvalidInput("coordinates need their system: WGS-84 or GCJ-02")
        lat, lng = wgs84_point(latitude, longitude, system)
    address = address.strip() if address and address.strip() else None
    return OrderLocation(content=content or None, address=address,
                         address_key=normalise_address(address) if address else None,
                         district=district.strip() if district and district.strip() else None,
                         latitude=lat, longitude=lng, caller_phone=normalise_caller(caller_phone))


# --- addresses ------------------------------------------------------------------------------------------------
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"([零〇一二两三四五六七八九十百]+)(?=号|弄|栋|幢|座|楼|单元|室|巷|层)")
_SPACE = re.compile(r"\s+")
_BUILDING = re.compile(r"(\d+)(?:号楼|#楼|#|幢|座|栋)")  # 3号楼 / 3#楼 / 3# / 3幢 / 3座 / 3栋 → 3栋
_SUB_NUMBER = re.compile(r"(\d+)之(\d+)号")
_PUNCTUATION = re.compile(r"[,，.。、;；:：'\"“”‘’()（）\[\]【】]")


def _chinese_number(text: str) -> str:
    """三 → 3, 十二 → 12, 一百零五 → 105, 二三 → 23 (digits read one by one)."""
    if "十" not in text and "百" not in text:
        return "".join(str(_DIGITS[ch]) for ch in text)
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS[ch]
    return str(total + current)


def normalise_address(address: str) -> str:
    """The key two spellings of one address share: full-width → half-width, no whitespace or punctuation, Latin
    letters upper-case, Chinese numerals before 号/弄/栋/… as digits, and one form for a building (3号楼, 3#楼,
    3幢, 3座 → 3栋), a sub-number (12之3号 → 12-3号) and a lane (衖 → 弄). The province or city prefix is kept: the district column
    tells areas apart, and a prefix cannot be told from a street name without a gazetteer."""
    text = unicodedata.normalize("NFKC", address)
    text = _SPACE.sub("", text)
    text = _PUNCTUATION.sub("", text)
    text = _CN_NUMBER.sub(lambda m: _chinese_number(m.group(1)), text)
    text = _BUILDING.sub(r"\1栋", text)
    text = _SUB_NUMBER.sub(r"\1-\2号", text).replace("衖", "弄")
    return text.upper()[:MAX_ADDRESS]


def normalise_caller(phone: str | None) -> str | None:
    """Digits only (a leading + kept), +86/0086 dropped from mainland numbers, so one caller matches one key."""
    if not phone or not phone.strip():
        return None
    text = unicodedata.normalize("NFKC", phone).strip()
    digits = re.sub(r"[^\d]", "", text)
    if not digits:
        return text[:MAX_PHONE]
    if text.startswith("+86") or (text.startswith("0086") and len(digits) > 11):
        digits = digits[2:] if text.startswith("+") else digits[4:]
    return digits[:MAX_PHONE]


# --- coordinates ----------------------------------------------------------------------------------------------
_A, _EE = 6378245.0, 0.00669342162296594323  # Krasovsky 1940, as GCJ-02 uses


def _out_of_china(lat: float, lng: float) -> bool:
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _offset(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    d_lng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
             + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * math.sqrt(magic)) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / math.sqrt(magic) * math.cos(rad) * math.pi)
    return d_lat, d_lng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if _out_of_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _offset(lat, lng)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """The inverse of the published forward transform, by fixed-point iteration (under 1 cm after a few rounds;
    the one-step inverse often quoted is off by up to 2 m). Outside China GCJ-02 equals WGS-84."""
    if _out_of_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _ in range(6):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        w_lat, w_lng = w_lat - (g_lat - lat), w_lng - (g_lng - lng)
    return w_lat, w_lng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
