"""Is a MetaTrader 5 terminal running? Asked before every `initialize`.

`MetaTrader5.initialize()` starts the terminal when its pipe is absent
(MetaTrader5 docs, https://www.mql5.com/en/docs/python_metatrader5/mt5initialize_py:
"establish a connection with the MetaTrader 5 terminal ... If required, the
terminal is launched"; mt5-api.md G7). In attach mode mt5tray must never start
the trader's terminal by itself, so the adapter asks this port first.

`PsutilProcesses` looks at the real process list; the simulator models the
same port (`sim.processes.SimulatedProcesses`), which is what tests run: the
real Windows process list is an edge we cannot run here.
"""

from __future__ import annotations

import ntpath
import os
from typing import Protocol

import psutil

TERMINAL_EXE = "terminal64.exe"


class TerminalProcesses(Protocol):
    def is_running(self, path: str | None) -> bool:
        """A terminal for `path` (terminal64.exe or its folder) runs; with
        None, any terminal does (initialize would then attach to one)."""
        ...

    def is_installed(self, path: str) -> bool:
        """terminal64.exe exists at `path` (or in the folder `path`)."""
        ...


def normalize_terminal_path(path: str) -> str:
    """terminal64.exe's full path, compared the way Windows does (case-blind,
    either slash); a folder means the terminal64.exe inside it."""
    norm = ntpath.normcase(ntpath.normpath(path.strip().strip('"')))
    if not norm.endswith(".exe"):
        norm = ntpath.join(norm, TERMINAL_EXE)
    return norm


class PsutilProcesses:
    """The real process list, read with psutil."""

    def is_installed(self, path: str) -> bool:
        given = path.strip().strip('"')
        exe = given if given.lower().endswith(".exe") else os.path.join(given, TERMINAL_EXE)
        return os.path.isfile(exe)

    def is_running(self, path: str | None) -> bool:
        wanted = normalize_terminal_path(path) if path else None
        for process in psutil.process_iter(["name", "exe"]):
            name = (process.info.get("name") or "").lower()
            if name != TERMINAL_EXE:
                continue
            if wanted is None:
                return True
            # exe is None when the process belongs to another user or runs
            # elevated; its pipe would refuse us too (mt5-api.md G8), so it
            # does not count as "our" terminal running.
            exe = process.info.get("exe")
            if exe and normalize_terminal_path(exe) == wanted:
                return True
        return False
