"""QIcons for the tray states, built once from the bundled PNGs.

PNGs rather than the SVG sources: QtSvg is not needed at runtime (smaller
bundle) and every size is pre-rendered for crisp icons at 100-200 % scale.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from mt5tray.resources import ICON_SIZES, icon_path


@cache
def state_icon(state: str) -> QIcon:
    """The icon of a tray state (ok, syncing, warning, terminal_off, error, paused, app)."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(icon_path(state, size)))
    return icon


def app_icon() -> QIcon:
    return state_icon("app")
