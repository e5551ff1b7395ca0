"""build.spec's Windows branch carries what the frozen app imports lazily.

PyInstaller follows `import` statements at module level; it cannot see
`importlib.import_module("MetaTrader5")`, an import inside a function or a
try block of a library, or what a C extension imports. Those must be listed in
the spec, or the exe starts and then cannot sync. This test reads the spec's
lists and its `lazy_imports("win32")` (the Windows branch, evaluated here on
Linux) and checks them against the code that imports lazily, so a new lazy
import cannot go missing from the Windows build silently.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "build.spec"
PURE_NAMES = {"LAZY_IMPORTS", "COLLECT_PACKAGES", "METADATA", "lazy_imports", "platform_list",
              "require_importable"}


def spec_namespace() -> dict[str, Any]:
    """The spec's lists and pure functions, run without PyInstaller."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    def wanted(node: ast.stmt) -> bool:
        if isinstance(node, ast.FunctionDef):
            return node.name in PURE_NAMES
        return isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) in PURE_NAMES for t in node.targets)

    keep = [node for node in tree.body if wanted(node)]
    namespace: dict[str, Any] = {}
    exec(compile(ast.Module(keep, []), str(SPEC), "exec"), namespace)  # noqa: S102
    missing = PURE_NAMES - namespace.keys()
    assert not missing, f"build.spec no longer defines {sorted(missing)}"
    return namespace


def windows_bundle() -> set[str]:
    """Modules a Windows build lists: hidden imports and packages collected whole."""
    ns = spec_namespace()
    return set(ns["lazy_imports"]("win32")) | set(ns["platform_list"](ns["COLLECT_PACKAGES"],
                                                                         "win32"))


def covered(module: str, bundle: set[str]) -> bool:
    parts = module.split(".")
    return any(".".join(parts[:i]) in bundle for i in range(1, len(parts) + 1))


def lazy_imports_in(path: Path) -> list[str]:
    """Modules a file imports where PyInstaller's analysis cannot follow:
    importlib.import_module("literal"), and imports inside functions or try blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def visit(node: ast.AST, hidden: bool) -> None:
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module" \
                and node.args and isinstance(node.args[0], ast.Constant):
            found.append(str(node.args[0].value))
        if hidden and isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        if hidden and isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
        inner = hidden or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Try))
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, False)
    return found


def third_party(module: str) -> bool:
    top = module.split(".")[0]
    return top not in sys.stdlib_module_names and top not in ("mt5tray", "__future__")


def test_the_windows_build_lists_metatrader5_numpy_keyring_tzdata_and_supabase():
    bundle = windows_bundle()
    for module in ("MetaTrader5", "numpy", "keyring.backends.Windows",
                   "win32ctypes.pywin32.win32cred", "tzdata", "supabase", "h2"):
        assert covered(module, bundle), f"the Windows build does not bundle {module}"
    ns = spec_namespace()
    assert "MetaTrader5" not in ns["lazy_imports"]("linux")  # a Windows-only wheel
    assert {"MetaTrader5", "pywin32-ctypes"} <= set(ns["platform_list"](ns["METADATA"], "win32"))


def test_every_lazy_import_in_mt5tray_is_bundled():
    bundle = windows_bundle()
    lazy = {m for path in (REPO / "mt5tray").rglob("*.py") for m in lazy_imports_in(path)
            if third_party(m) and not m.startswith("PySide6")}  # Qt: PyInstaller's own hooks
    assert "MetaTrader5" in lazy  # the scan sees terminal/metatrader.py's importlib call
    missing = sorted(m for m in lazy if not covered(m, bundle))
    assert not missing, f"imported lazily but not in build.spec's Windows branch: {missing}"


def library_file(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"{module} is not installed"
    return Path(spec.origin)


def test_what_the_libraries_import_lazily_is_bundled():
    """keyring's Windows backend imports pywin32-ctypes in a try block; httpx
    imports h2 inside a function (postgrest asks for HTTP/2); zoneinfo reads
    tzdata through importlib.resources where Windows has no tz database."""
    bundle = windows_bundle()
    windows_backend = [m for m in lazy_imports_in(library_file("keyring.backends.Windows"))
                       if third_party(m)]
    assert windows_backend and any(covered(m, bundle) for m in windows_backend), windows_backend
    httpx_lazy = lazy_imports_in(library_file("httpx._client"))
    assert "h2" in httpx_lazy and covered("h2", bundle)
    zoneinfo_source = library_file("zoneinfo._common").read_text(encoding="utf-8")
    assert '"tzdata.zoneinfo"' in zoneinfo_source and covered("tzdata", bundle)


def test_a_windows_build_without_metatrader5_fails_loudly():
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    guarded = [node for node in tree.body if isinstance(node, ast.If)
               and "win32" in ast.unparse(node.test) and "require_importable('MetaTrader5'"
               in ast.unparse(node)]
    assert guarded, "build.spec no longer stops a Windows build that lacks MetaTrader5"
    with pytest.raises(SystemExit) as stopped:
        spec_namespace()["require_importable"]("MetaTrader5_not_here", "The exe cannot sync.")
    message = str(stopped.value)
    assert "MetaTrader5_not_here is not importable" in message and "build again" in message
