"""Several simulated MT5 installs on one PC, behind one MetaTrader5 module.

The real package holds one pipe per process, a module global: it talks to
whichever terminal the last `initialize(path=...)` reached, and talks to
another only after `shutdown()` and a new `initialize` (mt5-api.md section 0,
"one process talks to one terminal at a time", and G6: pass `path` when more
than one terminal is installed; without it the most recently used install is
picked, here the first one listed). `SimulatedMachine` models exactly that
over a list of `SimulatedMT5` terminals, each with its own path, process
state, accounts and faults: a second `initialize` without `shutdown` fails
with -10003, calls before `initialize` fail with -10004, and every other call
goes to the connected terminal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.bars import TIMEFRAMES
from mt5tray.terminal.sim.callargs import (
    ALREADY_INITIALIZED,
    INVALID_ARG_COUNT,
    NO_IPC,
    SUCCESS,
    TERMINAL_NOT_FOUND,
    Error,
)
from mt5tray.terminal.sim.processes import SimulatedProcesses
from mt5tray.terminal.sim.simulator import SimulatedMT5

# The module functions that need a connection (everything but initialize,
# shutdown and last_error); login answers False without one, the others None.
_CONNECTED_CALLS = frozenset({
    "login", "version", "account_info", "terminal_info", "positions_total", "positions_get",
    "orders_total", "orders_get", "history_deals_total", "history_orders_total",
    "history_deals_get", "history_orders_get", "symbol_select", "symbol_info_tick",
    "symbol_info", "symbols_total", "symbols_get",
    "copy_rates_range", "copy_rates_from", "copy_rates_from_pos",
})


class SimulatedMachine:
    """The MetaTrader5 module API over several simulated terminals."""

    def __init__(self, terminals: Sequence[SimulatedMT5]) -> None:
        if not terminals:
            raise ValueError("a machine needs at least one terminal")
        self.terminals = list(terminals)
        share_clock(self.terminals)
        self.processes = SimulatedProcesses(lambda: self.terminals)
        self._lock = threading.RLock()
        self._connected: SimulatedMT5 | None = None
        self._error: Error = SUCCESS

    @property
    def clock(self) -> Any:
        """The one trade-server clock the terminals share."""
        return self.terminals[0].clock

    @property
    def accounts_to_sync(self) -> list[Any]:
        return [ref for terminal in self.terminals for ref in terminal.accounts_to_sync or []]

    def terminal_at(self, path: str | None) -> SimulatedMT5 | None:
        """The install `path` names; without a path the most recently used (the first)."""
        if path is None:
            return self.terminals[0]
        return next((term for term in self.terminals if term.installed_at(str(path))), None)

    # --- the module API ----------------------------------------------------------

    def initialize(self, *args: Any, path: Any = None, **kwargs: Any) -> bool:
        with self._lock:
            if len(args) > 1:
                self._error = INVALID_ARG_COUNT
                return False
            if self._connected is not None:
                # The pipe is a module global: a second initialize needs shutdown first.
                if self._connected._initialized and not self._connected._broken:
                    self._error = ALREADY_INITIALIZED
                    return False
                self._connected = None
            path = args[0] if args else path
            target = self.terminal_at(path)
            if target is None:
                self._error = TERMINAL_NOT_FOUND
                return False
            ok = target.initialize(path=path, **kwargs)
            self._error = target.last_error()
            self._connected = target if ok else None
            return ok

    def shutdown(self) -> bool:
        with self._lock:
            if self._connected is not None:
                self._connected.shutdown()
            self._connected = None
            self._error = SUCCESS
            return True

    def last_error(self) -> tuple[int, str]:
        with self._lock:
            return self._error

    def __getattr__(self, name: str) -> Any:
        if name not in _CONNECTED_CALLS:
            raise AttributeError(name)
        return self._call(name)

    def _call(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                terminal = self._connected
                if terminal is None:
                    self._error = NO_IPC
                    return False if name == "login" else None
                result = getattr(terminal, name)(*args, **kwargs)
                self._error = terminal.last_error()
                return result

        call.__name__ = name
        return call


def share_clock(terminals: Sequence[SimulatedMT5]) -> None:
    """Make every terminal (and its accounts) read the first terminal's clock,
    so one setting (a frozen test clock, or real time) moves them all."""
    shared = terminals[0].clock
    for terminal in terminals[1:]:
        terminal.clock = shared
        for broker in terminal.accounts.values():
            broker.clock = shared


# Constants and result types as attributes, so a machine passes for the module.
for _name, _value in {**t.CONSTANTS, **t.TYPES, **TIMEFRAMES}.items():
    setattr(SimulatedMachine, _name, _value)
