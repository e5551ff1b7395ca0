"""The real MetaTrader5 package: imported lazily, only where it can run.

`load_metatrader5()` returns the module or raises TerminalUnavailable with a
message that says what to do; `real_terminal()` wraps it in the adapter.
Nothing else in mt5tray imports MetaTrader5.
"""

from __future__ import annotations

import importlib
import platform
import sys
from types import ModuleType

from mt5tray.core.errors import TerminalUnavailable
from mt5tray.terminal.mt5api import Mt5ApiTerminal, PasswordGetter


def load_metatrader5() -> ModuleType:
    try:
        return importlib.import_module("MetaTrader5")
    except ImportError as e:
        if sys.platform == "win32":
            raise TerminalUnavailable(
                "The MetaTrader5 package is not installed in this Python. Install it with "
                f"`pip install MetaTrader5` (64-bit Python only), then start mt5tray again. ({e})"
            ) from e
        raise TerminalUnavailable(
            "The MetaTrader5 package runs only on Windows (64-bit Python); this is "
            f"{platform.system() or sys.platform}, where mt5tray can only run its simulated "
            "demo terminal."
        ) from e


def real_terminal(password_for: PasswordGetter | None = None,
                  timeout_ms: int = 60000) -> Mt5ApiTerminal:
    """The Terminal port over the installed MetaTrader5 package."""
    return Mt5ApiTerminal(load_metatrader5(), password_for=password_for, timeout_ms=timeout_ms)
