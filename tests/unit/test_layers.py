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
    # the charts the pages and the documents share: SVG text only, no data access, no rasteriser
    "workflows/charts": {"flask", "web", "engine", "config", "sqlalchemy", "cairosvg", "PIL", "docx", "fpdf"},
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


DEV_ONLY = ("workflows.bench", "workflows.dev")  # benchmarks, the demo, fakes: for the command line and tests


def _modules(*folders: str, excluding: tuple[str, ...] = ()) -> list[Path]:
    found = []
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if not any(relative.startswith(prefix) for prefix in excluding):
                found.append(path)
    return found


def test_product_code_never_imports_benchmarks_or_dev_tools():
    product = _modules("engine", "config", "workflows", "web",
                       excluding=("workflows/bench/", "workflows/dev/", "web/cli/"))
    offenders = [f"{path.relative_to(ROOT)} imports {name}" for path in product
                 for name in imports(path) if any(matches(name, banned) for banned in DEV_ONLY)]
    assert offenders == []


def test_pages_hooks_and_api_never_import_the_command_line():
    offenders = [f"{path.relative_to(ROOT)} imports {name}"
                 for path in _modules("web/pages", "web/hooks", "web/api", "web/diagram")
                 for name in imports(path) if matches(name, "web.cli")]
    assert offenders == []


def test_no_module_outside_tests_is_over_400_lines():
    long = {path.relative_to(ROOT).as_posix(): n for path in _modules("engine", "config", "workflows", "web")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}
