"""The simulated PC's process list: which simulated terminals are running.

The simulator's side of terminal/processes.py's port. A simulated terminal
knows whether it runs (`SimulatedMT5.running`; scenario key
`terminal_running`) and counts the times `initialize` had to launch it
(`SimulatedMT5.launches`), as the real package would (MetaTrader5 docs:
initialize launches the terminal; mt5-api.md G7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class SimulatedProcesses:
    """`is_running(path)` over the simulated terminals of one PC."""

    def __init__(self, terminals: Callable[[], Sequence[Any]]) -> None:
        self._terminals = terminals

    def is_installed(self, path: str) -> bool:
        return any(terminal.installed_at(path) for terminal in self._terminals())

    def is_running(self, path: str | None) -> bool:
        for terminal in self._terminals():
            if terminal.running and (path is None or terminal.installed_at(path)):
                return True
        return False
