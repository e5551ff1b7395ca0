"""What this build of mt5tray carries, in one line for the log and `doctor`.

A frozen exe that lacks the MetaTrader5 package (or numpy, which it needs)
cannot sync; the start-up line makes that visible in the user's log at once
instead of at the first sync. Importing MetaTrader5 here is deliberate: only
an import proves the package works (a present but broken package fails here).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import platform
import sys

from mt5tray import __version__
from mt5tray.secrets import describe_backend


def runtime_kind() -> str:
    """Frozen exe (PyInstaller sets sys.frozen) or a Python install."""
    if getattr(sys, "frozen", False):
        return f"frozen app, {sys.platform}"
    return f"Python {platform.python_version()}, {sys.platform}"


def metatrader5_status() -> str:
    """The MetaTrader5 package's version, or why it is missing."""
    try:
        module = importlib.import_module("MetaTrader5")
    except ImportError as exc:
        if sys.platform != "win32":
            return (f"missing (the package runs only on Windows; this is "
                    f"{platform.system() or sys.platform})")
        where = "this exe was built without it" if getattr(sys, "frozen", False) \
            else "install it with `pip install MetaTrader5`"
        return f"missing ({where}: {exc})"
    except Exception as exc:  # a broken install (e.g. numpy missing) must not stop start-up
        return f"not importable ({type(exc).__name__}: {exc})"
    version = getattr(module, "__version__", None)
    if not version:
        try:
            version = importlib.metadata.version("MetaTrader5")
        except importlib.metadata.PackageNotFoundError:
            version = "unknown version"
    return str(version)


def keyring_backend() -> str:
    try:
        return describe_backend()
    except Exception as exc:  # keyring's own discovery failed: say so, do not crash
        return f"unavailable ({type(exc).__name__}: {exc})"


def startup_line(store_label: str, terminal: str | None = None) -> str:
    """`mt5tray 0.1.0 (frozen app, win32): MetaTrader5 5.0.5120; keyring ...; store ...`."""
    parts = [f"MetaTrader5 {metatrader5_status()}", f"keyring {keyring_backend()}",
             f"store {store_label}"]
    if terminal:
        parts.append(f"terminal {terminal}")
    return f"mt5tray {__version__} ({runtime_kind()}): " + "; ".join(parts)
