"""Work-arounds for bugs of the Qt binding we ship with.

PySide6 6.12 `SignalInstance.emit()` returns `True` without taking a
reference to it: every emit lowers the refcount of `True` by one, and on
Python < 3.12 (where True is not immortal) a long-running app eventually
aborts with "bool_dealloc: deallocating True or False" (a tray app emits a
signal per log line). `emit()` here measures the leak once and gives the
reference back, so it is a no-op on bindings without the bug.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    ping = Signal()


def _measure_leak() -> int:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    leaked = (before - sys.getrefcount(True)) // 8
    probe.deleteLater()
    return max(leaked, 0)


_LEAK = _measure_leak()
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, without PySide's reference leak on True."""
    result = signal.emit(*args)
    if _LEAK and result is True:
        for _ in range(_LEAK):
            _incref(True)


def leaks_true_on_emit() -> bool:
    return _LEAK > 0
