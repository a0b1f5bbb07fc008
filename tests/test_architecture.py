"""Dependency direction: api -> gis, maps -> gis, never the reverse (checked on the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = {
    "gis": ("api", "maps", "tests"),
    "maps": ("api", "tests"),
    "api": ("tests",),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependency_direction(package):
    """No module of a package imports what sits above it."""
    offenders = []
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    for path in files:
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN[package]:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_core_libraries_do_not_import_the_cli():
    """Importers, history and sample code are usable without the command line."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "gis").rglob("*.py"))
        if "cli" not in path.relative_to(ROOT / "gis").parts
        for name in _imports(path)
        if name.startswith("gis.cli")
    ]
    assert offenders == []
