"""Start at login on Linux and other XDG desktops: an autostart .desktop file.

Owns `$XDG_CONFIG_HOME/autostart/mt5tray.desktop` (freedesktop Desktop Application
Autostart spec). Desktops' own startup settings turn an entry off by editing this
same file: `Hidden=true` (the spec's "deleted") or `X-GNOME-Autostart-enabled=false`
(GNOME, Cinnamon, MATE); either reads as DISABLED_BY_USER. Because the file is the
only switch, enable() rewrites it: callers call enable() only when the user asks.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from mt5tray.autostart.base import (
    Autostart,
    AutostartState,
    AutostartStatus,
    atomic_write,
    file_error,
    launch_argv,
    remove_entry,
)
from mt5tray.resources import ResourceNotFound, icon_path

FILE_NAME = "mt5tray.desktop"

# Characters that force an Exec argument into double quotes (Desktop Entry spec).
_RESERVED = frozenset(" \t\"'\\><~|&;$*?#()`")


def default_config_home() -> Path:
    """$XDG_CONFIG_HOME when set to an absolute path, else ~/.config (the spec's rule)."""
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".config"


def exec_line(argv: Sequence[str]) -> str:
    """argv as a Desktop Entry Exec value: quoted, escaped, `%` doubled."""
    return " ".join(_exec_arg(arg) for arg in argv)


def _exec_arg(arg: str) -> str:
    if "\n" in arg or "\r" in arg:
        raise ValueError(f"an Exec argument cannot hold a line break: {arg!r}")
    arg = arg.replace("%", "%%")
    if any(char in _RESERVED for char in arg):
        escaped = "".join("\\" + char if char in '"`$\\' else char for char in arg)
        arg = f'"{escaped}"'
    # The string-value escape rule applies on top of the quoting rule.
    return arg.replace("\\", "\\\\")


class XdgAutostart(Autostart):
    """An autostart .desktop file; `config_home` is injectable for tests."""

    def __init__(self, config_home: Path | None = None, argv: Sequence[str] | None = None):
        base = config_home if config_home is not None else default_config_home()
        self.path = base / "autostart" / FILE_NAME
        self._argv = list(argv) if argv is not None else launch_argv()

    def is_enabled(self) -> AutostartState:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return AutostartState(AutostartStatus.OFF, "mt5tray does not start at login.")
        except (OSError, UnicodeDecodeError) as error:
            return AutostartState(
                AutostartStatus.OFF, f"{self.path} cannot be read ({error}); turn it on again."
            )
        entry = _desktop_entry(text)
        if entry.get("Hidden", "").lower() == "true" or (
            entry.get("X-GNOME-Autostart-enabled", "").lower() == "false"
        ):
            return AutostartState(
                AutostartStatus.DISABLED_BY_USER,
                "mt5tray is turned off in your desktop's startup applications settings.",
            )
        return AutostartState(AutostartStatus.ON, "mt5tray starts when you log in.")

    def enable(self) -> None:
        try:
            atomic_write(self.path, self._desktop_file().encode("utf-8"))
        except OSError as error:
            raise file_error("write", self.path, error) from error

    def disable(self) -> None:
        remove_entry(self.path)

    def _desktop_file(self) -> str:
        lines = [
            "[Desktop Entry]",
            "Type=Application",
            "Name=mt5tray",
            "Comment=Keeps your trading journal current from MetaTrader 5",
            f"Exec={exec_line(self._argv)}",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
        ]
        with suppress(ResourceNotFound):  # an entry without an icon still starts the app
            lines.append(f"Icon={icon_path('app', 256)}")
        return "\n".join(lines) + "\n"


def _desktop_entry(text: str) -> dict[str, str]:
    """The keys of the [Desktop Entry] group (other groups, comments ignored)."""
    entry: dict[str, str] = {}
    in_group = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            in_group = line == "[Desktop Entry]"
        elif in_group and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            entry[key.strip()] = value.strip()
    return entry
