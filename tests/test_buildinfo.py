"""The start-up line: what this build carries (version, the MetaTrader5
package or why it is missing, keyring backend, store)."""

from __future__ import annotations

import sys
import types

import pytest

from mt5tray import __version__
from mt5tray.buildinfo import metatrader5_status, startup_line
from tests.test_cli import run


def test_the_line_names_the_version_the_package_the_keyring_and_the_store(monkeypatch):
    fake = types.ModuleType("MetaTrader5")
    fake.__version__ = "5.0.6231"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "MetaTrader5", fake)
    line = startup_line("sqlite:///tmp/journal.sqlite3", "MetaTrader 5")
    assert line.startswith(f"mt5tray {__version__} (Python ")
    assert "MetaTrader5 5.0.6231; keyring " in line
    assert "store sqlite:///tmp/journal.sqlite3; terminal MetaTrader 5" in line


@pytest.mark.parametrize(("platform", "frozen", "expected"), [
    ("linux", False, "missing (the package runs only on Windows"),
    ("win32", False, "missing (install it with `pip install MetaTrader5`"),
    ("win32", True, "missing (this exe was built without it"),
])
def test_a_missing_package_says_why(monkeypatch, platform, frozen, expected):
    monkeypatch.setitem(sys.modules, "MetaTrader5", None)  # import fails
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "frozen", frozen, raising=False)
    assert metatrader5_status().startswith(expected)


def test_a_broken_package_is_reported_not_raised(monkeypatch, tmp_path):
    (tmp_path / "MetaTrader5.py").write_text(
        "raise RuntimeError('numpy.core.multiarray failed to import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "MetaTrader5", raising=False)
    assert metatrader5_status() == (
        "not importable (RuntimeError: numpy.core.multiarray failed to import)")


def test_the_tray_logs_the_line_at_start_up(tmp_path):
    """The same line the frozen app writes (tests/build_check.sh greps the built
    app's log for it); here through doctor, which prints it first."""
    done = run(tmp_path / "home", "doctor", "--simulate")
    first = done.stdout.splitlines()[1]
    assert first.startswith(f"[INFO] build: mt5tray {__version__} (Python ")
    assert "terminal simulated (the live demo account)" in first
