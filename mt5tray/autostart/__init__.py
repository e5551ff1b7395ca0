"""Start mt5tray when the user logs in: one small class per OS mechanism.

`autostart_for_platform()` picks the mechanism for this OS: the Windows Run key
(windows.py), an XDG autostart file (xdg.py) or a macOS LaunchAgent
(launchagent.py). The contract they share is in base.py. Qt-free: the CLI and the
settings dialog use the same objects.
"""

from __future__ import annotations

import sys

from mt5tray.autostart.base import (
    Autostart,
    AutostartDisabledByUser,
    AutostartError,
    AutostartState,
    AutostartStatus,
    launch_argv,
)
from mt5tray.autostart.launchagent import LaunchAgent
from mt5tray.autostart.windows import RegistryBackend, WindowsRunKey, windows_command_line
from mt5tray.autostart.xdg import XdgAutostart

__all__ = [
    "Autostart",
    "AutostartDisabledByUser",
    "AutostartError",
    "AutostartState",
    "AutostartStatus",
    "LaunchAgent",
    "RegistryBackend",
    "WindowsRunKey",
    "XdgAutostart",
    "autostart_for_platform",
    "launch_argv",
    "windows_command_line",
]


def autostart_for_platform(platform: str | None = None) -> Autostart:
    """The autostart mechanism for `platform` (default: this one, sys.platform)."""
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return WindowsRunKey()
    if platform == "darwin":
        return LaunchAgent()
    return XdgAutostart()
