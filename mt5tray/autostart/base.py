"""What every autostart mechanism promises, and the pieces they share.

Owns the `Autostart` interface (is_enabled / enable / disable), the state it reports,
its errors, the command line that starts the installed app, and an atomic file write.
One small class per OS mechanism lives beside this module (windows.py, xdg.py,
launchagent.py); `mt5tray.autostart.autostart_for_platform` picks one.

The contract callers rely on:
- `enable()` is called only when the user asks for it, never to "sync" a setting at
  start-up, because it is the one place that may override a choice the user made
  in the OS's own startup manager where that manager edits our file (XDG, macOS).
- Where the OS keeps its own switch (Windows Task Manager > Startup apps) the
  user's choice there always wins: `is_enabled()` reports DISABLED_BY_USER with an
  explanation, and `enable()` raises `AutostartDisabledByUser` instead of flipping it.
"""

from __future__ import annotations

import enum
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from mt5tray.atomic import atomic_write  # noqa: F401 - re-exported
from mt5tray.core.errors import ActionRequired

LAUNCH_ARGS: tuple[str, ...] = ("tray",)
"""Arguments after the program: start the tray app (the CLI's `tray` command)."""


class AutostartStatus(enum.Enum):
    ON = "on"
    OFF = "off"
    DISABLED_BY_USER = "disabled_by_user"


@dataclass(frozen=True)
class AutostartState:
    """Whether mt5tray starts at login, and a sentence the settings dialog can show."""

    status: AutostartStatus
    explanation: str

    @property
    def enabled(self) -> bool:
        return self.status is AutostartStatus.ON


class AutostartError(ActionRequired):
    """The autostart entry could not be read or written (permissions, disk, registry)."""

    title = "Start at login failed"


class AutostartDisabledByUser(ActionRequired):
    """The user turned mt5tray off in the OS's startup manager; only they can turn it on."""

    title = "Start at login is turned off in Windows"


class Autostart(ABC):
    """One OS mechanism that starts mt5tray when the user logs in."""

    @abstractmethod
    def is_enabled(self) -> AutostartState:
        """Read the current state; never changes anything."""

    @abstractmethod
    def enable(self) -> None:
        """Start mt5tray at login (with the current install's command line)."""

    @abstractmethod
    def disable(self) -> None:
        """Stop starting mt5tray at login; doing it twice is fine."""


def launch_argv(
    executable: str | None = None,
    frozen: bool | None = None,
    args: tuple[str, ...] = LAUNCH_ARGS,
) -> list[str]:
    """The argv that starts this install: the frozen app itself, or python -m mt5tray."""
    executable = sys.executable if executable is None else executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    if frozen:
        return [executable, *args]
    return [executable, "-m", "mt5tray", *args]


def file_error(action: str, path: Path, error: OSError) -> AutostartError:
    """An OSError on an autostart file, told the way the user can act on it."""
    reason = error.strerror or str(error)
    return AutostartError(f"Could not {action} {path}: {reason}. Check that you can write there.")


def remove_entry(path: Path) -> None:
    """Delete an autostart file (already gone is fine), told the user's way on error."""
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise file_error("remove", path, error) from error
