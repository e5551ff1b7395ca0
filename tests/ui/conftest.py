"""Shared Qt fixtures: an offscreen platform, a simulated app in a temp home,
and a running TrayShell around it.

QT_QPA_PLATFORM is set before anything imports Qt (pytest-qt creates the
QApplication lazily from this environment).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from mt5tray.autostart import XdgAutostart  # noqa: E402
from mt5tray.bootstrap import App, Simulation, build_app  # noqa: E402
from tests.support.slow import slow_down  # noqa: E402, F401 - re-exported for tests

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "tests" / "scenarios" / "hedging_basic.json"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def sim_app(home: Path) -> Iterator[App]:
    app = build_app(Simulation(SCENARIO))
    yield app
    app.close()


@pytest.fixture
def autostart(tmp_path: Path) -> XdgAutostart:
    return XdgAutostart(config_home=tmp_path / "xdg", argv=["mt5tray", "tray"])


@pytest.fixture
def shell(sim_app: App, autostart: XdgAutostart, qtbot: Any) -> Iterator[Any]:
    """A started TrayShell whose start-up sync is far away (tests sync on demand)."""
    from mt5tray.ui.app import TrayShell

    shell = TrayShell(sim_app, autostart=autostart, startup_delay_s=3600)
    shell.start()
    yield shell
    shell.stop()
    for window in (shell._status, shell._logs):
        if window is not None:
            window.close()
