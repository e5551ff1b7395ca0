"""The dependency rule of design.md, checked on the source: the core imports
no adapter, no Qt, no MetaTrader5 and no supabase; Qt stays inside ui/."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mt5tray"
CORE_MAY_IMPORT = ("mt5tray.core", "pydantic", "apscheduler")
VENDOR = ("PySide6", "MetaTrader5", "supabase", "postgrest", "keyring", "httpx")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_only_the_standard_library_and_itself():
    for path in (PACKAGE / "core").glob("*.py"):
        for name in imports_of(path):
            top = name.split(".")[0]
            assert not name.startswith("mt5tray.") or name.startswith(CORE_MAY_IMPORT), (
                f"{path.name} imports {name}: the core must not import adapters")
            assert top not in VENDOR, f"{path.name} imports {name}"


def test_qt_only_inside_ui():
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts:
            continue
        for name in imports_of(path):
            assert not name.startswith("PySide6"), f"{path} imports Qt outside mt5tray/ui"
