"""B3: a removed account's password is never stored, in the real keyring
backend the tests run with (gnome-keyring in a private D-Bus session)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from mt5tray.config import AccountSettings
from mt5tray.core.hooks import OptionalJobs
from mt5tray.secrets import KeyringSecrets, mt5_password_key, usable_backend_problem
from mt5tray.ui.account_dialog import AccountDialog
from mt5tray.ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.skipif(usable_backend_problem() is not None,
                                reason="needs a real keyring (tests/run.sh starts one)")


@pytest.fixture
def secrets() -> Any:
    store = KeyringSecrets(service=f"mt5tray-test-{uuid.uuid4().hex[:8]}")
    yield store
    for key in ("mt5:Broker-Live:12345678", "mt5:Broker-Live:777"):
        store.delete(key)


def add_through_the_dialog(dlg: SettingsDialog, monkeypatch: Any, login: str, server: str,
                           password: str) -> None:
    """Settings…, Add…: fill the Add-account dialog as a user would and press OK."""
    def run(parent: Any, account: Any) -> AccountDialog:
        form = AccountDialog(dlg, account)
        form.login.setText(login)
        form.server.setText(server)
        form.mode.setCurrentText("login")
        form.password_edit.setText(password)
        form.accept()
        assert form.result_account is not None, form.error.text()
        return form

    monkeypatch.setattr(dlg, "_run_account_dialog", lambda account: run(dlg, account))
    dlg.add_account()


def test_an_account_removed_before_saving_leaves_no_password(
        sim_app: Any, autostart: Any, qtbot: Any, monkeypatch: Any, secrets: Any) -> None:
    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, secrets, autostart,
                         OptionalJobs())
    qtbot.addWidget(dlg)
    add_through_the_dialog(dlg, monkeypatch, "12345678", "Broker-Live", "secret")
    assert dlg.account_list.count() == 1
    dlg.account_list.setCurrentRow(0)
    dlg.remove_account()
    dlg.save()
    assert dlg.error.text() == ""
    assert dlg.result() == 1  # saved and closed
    assert secrets.get(mt5_password_key(12345678, "Broker-Live")) is None
    assert "secret" not in sim_app.settings_file.path.read_text()


def test_removing_a_saved_account_deletes_its_keyring_entry_on_save(
        sim_app: Any, autostart: Any, qtbot: Any, secrets: Any) -> None:
    saved = AccountSettings(login=777, server="Broker-Live", mode="login",
                            terminal_path=r"C:\MT5\terminal64.exe")
    keep = AccountSettings(login=12345678, server="Broker-Live", mode="login",
                           terminal_path=r"D:\MT5\terminal64.exe")
    sim_app.settings.accounts = [saved, keep]
    secrets.set(mt5_password_key(777, "Broker-Live"), "old-pass")
    secrets.set(mt5_password_key(12345678, "Broker-Live"), "kept-pass")
    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, secrets, autostart,
                         OptionalJobs())
    qtbot.addWidget(dlg)
    dlg.account_list.setCurrentRow(0)
    dlg.remove_account()
    assert secrets.get(mt5_password_key(777, "Broker-Live")) == "old-pass"  # not before Save
    dlg.save()
    assert dlg.error.text() == ""
    assert secrets.get(mt5_password_key(777, "Broker-Live")) is None
    assert secrets.get(mt5_password_key(12345678, "Broker-Live")) == "kept-pass"


def test_an_added_account_that_stays_has_its_password_stored(
        sim_app: Any, autostart: Any, qtbot: Any, monkeypatch: Any, secrets: Any) -> None:
    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, secrets, autostart,
                         OptionalJobs())
    qtbot.addWidget(dlg)
    add_through_the_dialog(dlg, monkeypatch, "12345678", "Broker-Live", "secret")
    dlg.save()
    assert secrets.get(mt5_password_key(12345678, "Broker-Live")) == "secret"
