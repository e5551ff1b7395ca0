"""Start at login on macOS: a per-user LaunchAgent.

Owns `~/Library/LaunchAgents/dev.mt5tray.agent.plist` with RunAtLoad, limited to
GUI (Aqua) sessions. launchd reads it at the next login; nothing is loaded now, so
enabling never starts a second copy. `Disabled=true` in the plist reads as
DISABLED_BY_USER. macOS 13's System Settings > Login Items switch lives in a
database apps cannot read, so it cannot be reported here.
"""

from __future__ import annotations

import plistlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mt5tray.autostart.base import (
    Autostart,
    AutostartState,
    AutostartStatus,
    atomic_write,
    file_error,
    launch_argv,
    remove_entry,
)

LABEL = "dev.mt5tray.agent"


class LaunchAgent(Autostart):
    """A LaunchAgent plist; `agents_dir` is injectable for tests."""

    def __init__(self, agents_dir: Path | None = None, argv: Sequence[str] | None = None):
        base = agents_dir if agents_dir is not None else Path.home() / "Library" / "LaunchAgents"
        self.path = base / f"{LABEL}.plist"
        self._argv = list(argv) if argv is not None else launch_argv()

    def is_enabled(self) -> AutostartState:
        try:
            agent = plistlib.loads(self.path.read_bytes())
        except FileNotFoundError:
            return AutostartState(AutostartStatus.OFF, "mt5tray does not start at login.")
        except (OSError, plistlib.InvalidFileException, ValueError) as error:
            return AutostartState(
                AutostartStatus.OFF, f"{self.path} cannot be read ({error}); turn it on again."
            )
        if isinstance(agent, dict) and agent.get("Disabled") is True:
            return AutostartState(
                AutostartStatus.DISABLED_BY_USER,
                f"mt5tray's login item is disabled (Disabled is set in {self.path}).",
            )
        return AutostartState(
            AutostartStatus.ON,
            "mt5tray starts when you log in (unless turned off in "
            "System Settings > General > Login Items).",
        )

    def enable(self) -> None:
        try:
            atomic_write(self.path, plistlib.dumps(self._agent()))
        except OSError as error:
            raise file_error("write", self.path, error) from error

    def disable(self) -> None:
        remove_entry(self.path)

    def _agent(self) -> dict[str, Any]:
        return {
            "Label": LABEL,
            "ProgramArguments": self._argv,
            "RunAtLoad": True,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
        }
