"""Shared core fixtures: the hedging scenario's app in a temp home."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mt5tray.bootstrap import App, Simulation, build_app

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hedging_basic.json"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """A simulated app on the hedging scenario, its journal under tmp_path."""
    monkeypatch.setenv("MT5TRAY_HOME", str(tmp_path))
    built = build_app(Simulation(SCENARIO))
    yield built
    built.close()
