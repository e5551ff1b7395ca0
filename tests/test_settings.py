"""Settings files as users write them: clear errors, never overwritten."""

from __future__ import annotations

import json

import pytest

from mt5tray.config import AccountSettings, Settings, SettingsFile
from mt5tray.core.errors import SettingsError


def test_missing_file_gives_defaults(tmp_path):
    settings = SettingsFile(tmp_path / "settings.json").load()
    assert settings.sync_interval_minutes == 5
    assert settings.full_resync_days == 30
    assert settings.initial_history_days is None
    assert settings.accounts == []


def test_round_trip_is_atomic_and_readable(tmp_path):
    path = tmp_path / "cfg" / "settings.json"
    file = SettingsFile(path)
    settings = Settings(accounts=[AccountSettings(login=123, server=" Broker-Live ")])
    file.save(settings)
    loaded = SettingsFile(path).load()
    assert loaded.accounts[0].server == "Broker-Live"
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp files left


def test_invalid_json_names_file_and_position_and_is_not_overwritten(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text('{"sync_interval_minutes": 5,,}')
    file = SettingsFile(path)
    with pytest.raises(SettingsError) as caught:
        file.load()
    assert str(path) in caught.value.message and "line 1" in caught.value.message
    with pytest.raises(SettingsError, match="not overwritten"):
        file.save(Settings())
    assert path.read_text() == '{"sync_interval_minutes": 5,,}'


def test_invalid_value_names_the_field(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"accounts": [{"login": "abc", "server": "X"}],
                                "sync_interval_minutes": 0}))
    with pytest.raises(SettingsError) as caught:
        SettingsFile(path).load()
    message = caught.value.message
    assert f"{path}: accounts.0.login:" in message
    assert f"{path}: sync_interval_minutes:" in message


def test_a_password_in_the_file_points_to_the_keyring(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"accounts": [{"login": 1, "server": "X", "password": "hunter2"}]}))
    with pytest.raises(SettingsError) as caught:
        SettingsFile(path).load()
    assert "accounts.0.password" in caught.value.message
    assert "keyring" in caught.value.message
    assert "hunter2" not in str(caught.value)


def test_duplicate_accounts_are_refused(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"accounts": [{"login": 1, "server": "X"},
                                             {"login": 1, "server": "X"}]}))
    with pytest.raises(SettingsError, match="listed twice"):
        SettingsFile(path).load()


def test_saved_file_never_holds_a_secret(tmp_path):
    path = tmp_path / "settings.json"
    SettingsFile(path).save(Settings(accounts=[AccountSettings(login=5, server="S",
                                                               mode="login")]))
    text = path.read_text().lower()
    assert "password" not in text and "token" not in text


def test_bad_server_timezone_names_the_account_and_the_accepted_forms(tmp_path) -> None:
    """Issue 10: a bad server_timezone is a settings error that says which
    account and what would be accepted; a good one is stored canonically."""
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"accounts": [
        {"login": 5001, "server": "Broker-Live", "server_timezone": "Europe/Atlantis"}]}))
    with pytest.raises(SettingsError) as caught:
        SettingsFile(path).load()
    message = caught.value.message
    assert "accounts.0.server_timezone" in message and "5001@Broker-Live" in message
    assert "ny-close" in message and "GMT+2/EU" in message and "Traceback" not in message
    path.write_text(json.dumps({"accounts": [
        {"login": 5001, "server": "Broker-Live", "server_timezone": "ny-close"}],
        "server_utc_offset_minutes": 180}))
    settings = SettingsFile(path).load()
    assert settings.accounts[0].server_timezone == "GMT+2/US"
    assert settings.accounts[0].ref().server_timezone == "GMT+2/US"
    assert settings.tuning().server_timezone == "GMT+3"  # the legacy offset: fixed +3
