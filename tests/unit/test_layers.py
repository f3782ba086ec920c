"""Dependencies point web → workflows → config → engine; the core imports no framework."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "engine": {"flask", "twilio", "apscheduler", "docx", "web", "workflows", "config", "waitress"},
    "engine/domain": {"sqlalchemy", "SpiffWorkflow", "engine.persistence", "engine.runtime", "alembic", "lxml"},
    "config": {"flask", "twilio", "apscheduler", "web", "workflows", "sqlalchemy", "SpiffWorkflow"},
    "workflows": {"flask", "web"},
}
ONLY_IN = {"SpiffWorkflow": "engine/runtime", "sqlalchemy": "engine/persistence", "alembic": "engine/persistence"}


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def matches(name: str, banned: str) -> bool:
    return name == banned or name.startswith(banned + ".")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_its_forbidden_imports(package):
    offenders = [f"{path.relative_to(ROOT)} imports {name}"
                 for path in (ROOT / package).rglob("*.py")
                 for name in imports(path) if any(matches(name, b) for b in FORBIDDEN[package])]
    assert offenders == []


def test_spiffworkflow_and_sqlalchemy_stay_in_their_packages():
    offenders = []
    for path in (ROOT / "engine").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        for name in imports(path):
            for library, home in ONLY_IN.items():
                if matches(name, library) and not relative.startswith(home):
                    offenders.append(f"{relative} imports {name}")
    assert offenders == []
