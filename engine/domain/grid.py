"""The coarse grid that makes "within 100 m" an index lookup: the earth cut into cells of 0.002° × 0.002° (about
220 m north–south, 200 m east–west at 23°N, 150 m at 45°N); each order with coordinates keeps its cell number in
`work_orders.grid_cell`, and the orders near a point are those in the cells around its own, then measured."""
from __future__ import annotations

import math

CELL_DEGREES = 0.002
_COLUMNS = int(round(360 / CELL_DEGREES)) + 1
METRES_PER_DEGREE = 111_320.0  # of latitude; of longitude times cos(latitude)


def _index(lat: float, lng: float) -> tuple[int, int]:
    return int(math.floor((lat + 90.0) / CELL_DEGREES)), int(math.floor((lng + 180.0) / CELL_DEGREES))


def grid_cell(lat: float | None, lng: float | None) -> int | None:
    if lat is None or lng is None:
        return None
    row, column = _index(lat, lng)
    return row * _COLUMNS + column


def cells_around(lat: float, lng: float, distance_m: float) -> list[int]:
    """Every cell holding a point within `distance_m` of (lat, lng): the point's cell and enough rings around it."""
    row, column = _index(lat, lng)
    rows = max(1, math.ceil(distance_m / (CELL_DEGREES * METRES_PER_DEGREE)))
    width = CELL_DEGREES * METRES_PER_DEGREE * max(math.cos(math.radians(min(abs(lat) + 0.5, 89.9))), 1e-6)
    columns = max(1, math.ceil(distance_m / width))
    return [(row + r) * _COLUMNS + ((column + c) % _COLUMNS)
            for r in range(-rows, rows + 1) for c in range(-columns, columns + 1)]


def metres_box(lat: float, lng: float, distance_m: float) -> tuple[float, float, float, float]:
    """South, north, west, east of the box holding every point within `distance_m` of (lat, lng) (a little
    wider, never narrower: the points inside it are then measured)."""
    d_lat = distance_m * 1.01 / METRES_PER_DEGREE
    d_lng = distance_m * 1.01 / (METRES_PER_DEGREE * max(math.cos(math.radians(min(abs(lat) + d_lat, 89.9))), 1e-6))
    west, east = lng - d_lng, lng + d_lng
    if west < -180.0 or east > 180.0:  # across the antimeridian: the cells alone bound it
        west, east = -180.0, 180.0
    return lat - d_lat, lat + d_lat, west, east
