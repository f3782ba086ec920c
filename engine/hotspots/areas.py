"""The area an order counts in: its district (区县), or a square grid cell of a configured size from its WGS-84
coordinates. A grid cell is named by its centre, so the name says where it is without a map."""
from __future__ import annotations

import math

from engine.domain.grid import METRES_PER_DEGREE

GRID_PREFIX = "网格"


def grid_cell(latitude: float, longitude: float, metres: int) -> str:
    """The cell holding the point, named by its centre: 网格34.0725,-118.2878. Rows are `metres` of latitude; each
    row is cut into columns of `metres` at the row's middle latitude (equal-area to within 0.1 % for 10 km cells)."""
    row = math.floor(latitude * METRES_PER_DEGREE / metres)
    middle = (row + 0.5) * metres / METRES_PER_DEGREE
    across = METRES_PER_DEGREE * math.cos(math.radians(middle))
    column = math.floor(longitude * across / metres)
    return f"{GRID_PREFIX}{middle:.4f},{(column + 0.5) * metres / across:.4f}"


def area_of(district: str | None, latitude: float | None, longitude: float | None, *, by: str,
            grid_metres: int) -> str | None:
    """`by` = "district": the district, None when it is not known; "grid": the grid cell, None without coordinates
    (or with impossible ones)."""
    if by == "district":
        return (district or "").strip() or None
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return grid_cell(latitude, longitude, grid_metres)
