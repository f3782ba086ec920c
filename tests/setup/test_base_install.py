"""The first command of the README (`pip install -e .`, no extra) can already talk to PostgreSQL."""
from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def test_the_postgresql_driver_is_a_base_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.replace(" ", "").startswith("psycopg[binary]") for d in project["dependencies"])
    assert project["optional-dependencies"]["postgres"] == []  # old instructions naming the extra still install
