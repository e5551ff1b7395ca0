"""The settings of watch mode and of the Realtime subscription, as users write
them, and what the agent built from them does."""

from __future__ import annotations

import json

import pytest

from mt5tray.bootstrap import Simulation, build_app, build_watcher
from mt5tray.config import SettingsFile
from mt5tray.core.errors import SettingsError
from mt5tray.paths import AppPaths


def test_watch_mode_and_realtime_are_on_by_default(tmp_path) -> None:
    settings = SettingsFile(tmp_path / "settings.json").load()
    assert (settings.watch.enabled, settings.watch.probe_interval_s) == (True, 2.0)
    assert settings.supabase.realtime is True


def test_a_probe_interval_out_of_range_names_the_field(tmp_path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"watch": {"probe_interval_s": 0.1}}))
    with pytest.raises(SettingsError) as caught:
        SettingsFile(path).load()
    assert "watch.probe_interval_s" in caught.value.message
    assert "must be 0.5 or more" in caught.value.message


def test_the_watcher_follows_the_settings(tmp_path) -> None:
    paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "logs")
    paths.config_dir.mkdir(parents=True)
    paths.settings_file.write_text(json.dumps(
        {"watch": {"enabled": False, "probe_interval_s": 5}}))
    app = build_app(Simulation(None), paths=paths)
    try:
        watcher = build_watcher(app)
        assert (watcher.enabled, watcher.interval_s) == (False, 5.0)
        assert watcher.probe_round() == []  # off: no probe, no sync
        watcher.configure(True, 1.0)
        assert (watcher.enabled, watcher.interval_s) == (True, 1.0)
    finally:
        app.close()
