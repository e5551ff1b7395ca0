"""Where the app's bundled files (tray icons, the app icon) are, however it was installed.

Owns the lookup of files under the repository's `resources/` directory, which reaches
the user in one of three shapes:

- a PyInstaller bundle: `resources/` is bundled as data under `sys._MEIPASS`;
- an installed wheel: `resources/` is shipped as the data package `mt5tray/_resources`;
- a source checkout: `<repo>/resources`, next to the `mt5tray` package.

The roots are tried in that order and the first that holds the file wins, so a
bundle never reads a stray checkout. Qt-free on purpose: the CLI, the PyInstaller
spec and the tests use it without importing PySide6 (ui/icons.py builds QIcons
from these paths).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

ICON_STATES: tuple[str, ...] = (
    "ok",
    "syncing",
    "warning",
    "terminal_off",
    "error",
    "paused",
    "app",
)
"""Every icon under resources/icons: the six tray states and the app icon."""

ICON_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 256)
"""Pixel sizes rendered as `<state>-<size>.png` (and packed into `<state>.ico`)."""

_PACKAGE_DIR = Path(__file__).resolve().parent


class ResourceNotFound(FileNotFoundError):
    """A bundled file is missing: the install or the bundle is incomplete."""

    def __init__(self, relative: Path, searched: Iterable[Path]) -> None:
        places = "\n".join(f"  - {root}" for root in searched)
        super().__init__(
            f"mt5tray resource '{relative.as_posix()}' was not found; this install is "
            f"incomplete (reinstall mt5tray). Searched:\n{places}"
        )
        self.relative = relative


def resource_roots() -> list[Path]:
    """The directories that may hold `resources/`, most specific first."""
    roots: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.append(Path(bundle) / "resources")
    roots.append(_PACKAGE_DIR / "_resources")
    roots.append(_PACKAGE_DIR.parent / "resources")
    return roots


def resource_path(*parts: str) -> Path:
    """The path of `resources/<parts...>`; raises ResourceNotFound if no root holds it."""
    relative = Path(*parts)
    if not parts or relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"not a relative resource path: {parts!r}")
    roots = resource_roots()
    for root in roots:
        candidate = root / relative
        if candidate.is_file():
            return candidate
    raise ResourceNotFound(relative, roots)


def icon_path(state: str, size: int | None = None) -> Path:
    """The SVG source of `state` (size None) or its PNG rendered at `size` pixels."""
    _check_state(state)
    if size is None:
        return resource_path("icons", f"{state}.svg")
    if size not in ICON_SIZES:
        raise ValueError(f"no {size} px icon; sizes are {ICON_SIZES}")
    return resource_path("icons", f"{state}-{size}.png")


def ico_path(state: str = "app") -> Path:
    """The multi-size Windows .ico of `state` (the exe and window icon use "app")."""
    _check_state(state)
    return resource_path("icons", f"{state}.ico")


def _check_state(state: str) -> None:
    if state not in ICON_STATES:
        raise ValueError(f"unknown icon state {state!r}; states are {ICON_STATES}")
