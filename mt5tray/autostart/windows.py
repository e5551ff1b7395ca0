"""Start at login on Windows: the per-user Run key.

Owns the value `mt5tray` under HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run,
and reads (never writes) the switch Task Manager > Startup apps keeps for it under
...\\Explorer\\StartupApproved\\Run: a binary value whose first byte is even
(0x02, 0x06) when the entry may run and odd (0x03, 0x07) when the user turned it off.
The user's switch wins: enable() re-writes the Run value, so the entry stays listed in
Task Manager, but raises AutostartDisabledByUser rather than flipping that switch.

Registry access goes through the tiny `RegistryBackend` protocol so the logic is
testable off Windows; `WinregBackend` is the real one and imports winreg lazily.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import PureWindowsPath
from types import ModuleType
from typing import Protocol

from mt5tray.autostart.base import (
    LAUNCH_ARGS,
    Autostart,
    AutostartDisabledByUser,
    AutostartError,
    AutostartState,
    AutostartStatus,
    launch_argv,
)

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
VALUE_NAME = "mt5tray"

DISABLED_IN_TASK_MANAGER = (
    "mt5tray is turned off in Task Manager > Startup apps (or Settings > Apps > Startup); "
    "turn it on there to start mt5tray when you log in."
)


class RegistryBackend(Protocol):
    """Values under HKEY_CURRENT_USER. Missing keys or values are not errors."""

    def get_value(self, key: str, name: str) -> str | bytes | int | None: ...

    def set_value(self, key: str, name: str, value: str) -> None:
        """Write a REG_SZ value, creating the key if needed."""

    def delete_value(self, key: str, name: str) -> None:
        """Remove a value; nothing happens if it is not there."""


class WinregBackend:
    """RegistryBackend over the standard library's winreg (Windows only)."""

    def get_value(self, key: str, name: str) -> str | bytes | int | None:
        winreg = _winreg()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key) as handle:
                value, _kind = winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        return value

    def set_value(self, key: str, name: str, value: str) -> None:
        winreg = _winreg()
        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete_value(self, key: str, name: str) -> None:
        winreg = _winreg()
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            pass


def _winreg() -> ModuleType:
    if sys.platform != "win32":
        raise AutostartError("The Windows registry is only available on Windows.")
    import winreg

    return winreg


def windows_command_line(
    executable: str | None = None,
    frozen: bool | None = None,
    args: tuple[str, ...] = LAUNCH_ARGS,
) -> str:
    """The Run-key command: the frozen exe, or pythonw.exe (no console) -m mt5tray.

    The program is always quoted (a path with spaces must not be split); the rest
    follows the MS C runtime rules via subprocess.list2cmdline.
    """
    argv = launch_argv(executable, frozen, args)
    program = PureWindowsPath(argv[0])
    if argv[1:2] == ["-m"] and program.name.lower() == "python.exe":
        program = program.with_name("pythonw.exe")
    return " ".join([f'"{program}"', subprocess.list2cmdline(argv[1:])]).rstrip()


class WindowsRunKey(Autostart):
    """HKCU Run key entry, respecting Task Manager's Startup apps switch."""

    def __init__(self, registry: RegistryBackend | None = None, command: str | None = None):
        self._registry = registry if registry is not None else WinregBackend()
        self._command = command if command is not None else windows_command_line()

    def is_enabled(self) -> AutostartState:
        with _registry_errors("read"):
            if self._registry.get_value(RUN_KEY, VALUE_NAME) is None:
                return AutostartState(AutostartStatus.OFF, "mt5tray does not start at login.")
            if self._disabled_in_task_manager():
                return AutostartState(AutostartStatus.DISABLED_BY_USER, DISABLED_IN_TASK_MANAGER)
        return AutostartState(AutostartStatus.ON, "mt5tray starts when you log in to Windows.")

    def enable(self) -> None:
        with _registry_errors("write"):
            self._registry.set_value(RUN_KEY, VALUE_NAME, self._command)
            disabled = self._disabled_in_task_manager()
        if disabled:
            raise AutostartDisabledByUser(DISABLED_IN_TASK_MANAGER)

    def disable(self) -> None:
        with _registry_errors("write"):
            self._registry.delete_value(RUN_KEY, VALUE_NAME)

    def _disabled_in_task_manager(self) -> bool:
        flags = self._registry.get_value(APPROVED_KEY, VALUE_NAME)
        return isinstance(flags, bytes) and len(flags) > 0 and flags[0] % 2 == 1


@contextmanager
def _registry_errors(action: str) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        raise AutostartError(
            f"Could not {action} the Windows startup entry (HKCU\\{RUN_KEY}): {reason}."
        ) from error
