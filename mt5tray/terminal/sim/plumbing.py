"""What the simulator's call mixins (queries, rates) need from SimulatedMT5.

One base for both, so the mixins name the same lock, error slot and
broker/clock hooks; SimulatedMT5 (simulator.py) provides them.
"""

from __future__ import annotations

import threading

from mt5tray.terminal.sim.broker import Broker
from mt5tray.terminal.sim.callargs import Error


class SimulatorPlumbing:
    """The lock, last_error slot and hooks a call mixin uses."""

    _lock: threading.RLock
    _error: Error

    @property
    def broker(self) -> Broker:  # provided by SimulatedMT5
        raise NotImplementedError

    def _enter(self) -> bool:  # provided by SimulatedMT5
        raise NotImplementedError

    def _server_now(self) -> float:  # provided by SimulatedMT5
        raise NotImplementedError

    def _fail(self, error: Error) -> None:
        self._error = error  # what last_error() reports next
