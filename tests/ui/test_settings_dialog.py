"""Settings: invalid values are refused with clear messages and nothing is
saved; valid ones are saved, passwords go to the keyring, never the file."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mt5tray.config import AccountSettings, Settings
from mt5tray.core.errors import StoreAuthRequired
from mt5tray.core.hooks import OptionalJobs
from mt5tray.settings_form import SettingsInvalid, validate_settings
from mt5tray.ui.settings_dialog import SettingsDialog


class MemorySecrets:
    """The SecretStore port in memory (the real keyring is tested elsewhere)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


@pytest.fixture
def dialog(sim_app: Any, autostart: Any, qtbot: Any) -> SettingsDialog:
    saved: list[Settings] = []
    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, MemorySecrets(), autostart,
                         OptionalJobs(), saved.append)
    dlg.saved = saved  # type: ignore[attr-defined]
    qtbot.addWidget(dlg)
    return dlg


def test_bad_values_are_refused_and_nothing_is_saved(dialog: SettingsDialog,
                                                     sim_app: Any) -> None:
    dialog.interval.setMinimum(0)  # the box refuses 0 itself; the model must too
    dialog.interval.setValue(0)
    dialog.supabase_url.setText("not a url")
    dialog.dashboard.setText("ftp://x")
    dialog.save()
    text = dialog.error.text()
    assert text.startswith("Not saved:")
    assert "Sync interval (minutes): must be 1 or more." in text
    assert "Supabase URL: 'not a url' is not a web address" in text
    assert "Dashboard URL: 'ftp://x' is not a web address" in text
    assert "Publishable key: needed with a Supabase URL" in text
    assert not sim_app.settings_file.path.exists()
    assert dialog.saved == [] and dialog.result() == 0


def test_valid_settings_are_saved_and_applied(dialog: SettingsDialog, sim_app: Any) -> None:
    dialog.interval.setValue(15)
    dialog.full_days.setValue(90)
    dialog.dashboard.setText("https://journal.example.com")
    dialog.notifications.setChecked(False)
    dialog.start_at_login.setChecked(True)
    dialog.save()
    assert dialog.error.text() == ""
    data = json.loads(sim_app.settings_file.path.read_text())
    assert data["sync_interval_minutes"] == 15 and data["full_resync_days"] == 90
    assert data["notifications"] is False
    assert dialog.saved[0].dashboard_url == "https://journal.example.com"
    assert dialog.autostart.is_enabled().enabled


def test_password_goes_to_the_keyring_not_the_file(dialog: SettingsDialog, sim_app: Any) -> None:
    dialog.accounts.append(AccountSettings(login=123, server="Broker-Live", mode="login"))
    dialog.passwords[(123, "Broker-Live")] = "hunter22"
    dialog.save()
    assert dialog.secrets.values == {"mt5:Broker-Live:123": "hunter22"}
    assert "hunter22" not in sim_app.settings_file.path.read_text()


def test_duplicate_accounts_are_refused(dialog: SettingsDialog, sim_app: Any) -> None:
    account = AccountSettings(login=5, server="S")
    dialog.accounts += [account, account.model_copy()]
    dialog.save()
    assert "listed twice" in dialog.error.text()
    assert not sim_app.settings_file.path.exists()


def test_secret_key_in_the_publishable_field_is_refused() -> None:
    data = Settings().model_dump()
    data["supabase"].update(url="https://x.supabase.co", publishable_key="sb_secret_abc")
    with pytest.raises(SettingsInvalid, match="this is a secret key"):
        validate_settings(data)


def test_account_dialog_validates(qtbot: Any) -> None:
    from mt5tray.ui.account_dialog import AccountDialog

    dlg = AccountDialog()
    qtbot.addWidget(dlg)
    dlg.login.setText("abc")
    dlg.server.setText(" ")
    dlg.accept()
    assert dlg.result_account is None
    assert dlg.error.text() == ("Login: 'abc' is not a whole number; type digits only.\n"
                                "Server: is empty; type the trade server name.")
    dlg.login.setText("42")
    dlg.server.setText("Broker")
    dlg.mode.setCurrentText("login")
    dlg.accept()
    assert "needs the account's password" in dlg.error.text()
    dlg.password_edit.setText("pw")
    dlg.accept()
    assert dlg.result_account is not None and dlg.password == "pw"


def test_sign_in_disabled_until_a_url_and_key_are_typed(dialog: SettingsDialog) -> None:
    assert not dialog.auth_row.sign_in.isEnabled()
    assert dialog.auth_row.sign_in.toolTip() == (
        "Enter the Supabase URL and publishable key above to sign in.")
    dialog.supabase_url.setText("https://x.supabase.co")
    dialog.supabase_key.setText("sb_publishable_x")
    assert dialog.auth_row.sign_in.isEnabled()


def test_sign_in_runs_off_the_gui_thread_and_reports_back(qtbot: Any, monkeypatch: Any) -> None:
    """A slow Supabase must not freeze the dialog: the sign-in runs on a worker
    thread, the row says so meanwhile, and shows the outcome when it is done."""
    import threading

    from mt5tray.ui.supabase_auth import SupabaseAuthRow

    release = threading.Event()
    signed_in: list[str] = []
    calls: list[str] = []

    def sign_in(email: str, password: str) -> str:
        calls.append(threading.current_thread().name)
        if not release.wait(10):
            raise TimeoutError("never released")
        if password != "right":
            raise StoreAuthRequired("Supabase refused the email or password.")
        signed_in.append(email)
        return email

    hooks = OptionalJobs(sign_in=sign_in, sign_out=signed_in.clear,
                         signed_in_user=lambda: signed_in[0] if signed_in else None)
    answers = iter([("trader@example.test", "wrong"), ("trader@example.test", "right")])
    row = SupabaseAuthRow(hooks)
    qtbot.addWidget(row)
    monkeypatch.setattr(row, "ask_credentials", lambda: next(answers))

    row.sign_in.click()
    assert row.user.text() == "Signing in…" and not row.sign_in.isEnabled()
    qtbot.wait(50)  # the event loop keeps running while the worker waits
    release.set()
    qtbot.waitUntil(lambda: not row.busy, timeout=5000)
    assert row.problem.text() == "Sign-in failed: Supabase refused the email or password."
    assert row.user.text() == "Not signed in"
    assert calls == ["supabase-auth"]

    row.sign_in.click()
    qtbot.waitUntil(lambda: not row.busy, timeout=5000)
    assert row.user.text() == "Signed in as trader@example.test"
    assert row.sign_out.isEnabled()
    row.sign_out.click()
    qtbot.waitUntil(lambda: not row.busy, timeout=5000)
    assert row.user.text() == "Not signed in"


def test_editing_an_account_keeps_the_settings_the_dialog_does_not_show(qtbot: Any) -> None:
    from mt5tray.ui.account_dialog import AccountDialog

    owned = AccountSettings(login=42, server="Broker", mode="login", owns_terminal=True,
                            terminal_path=r"D:\Portable\MT5\terminal64.exe")
    dlg = AccountDialog(account=owned)
    qtbot.addWidget(dlg)
    dlg.label.setText("prop firm A")
    dlg.accept()
    assert dlg.result_account is not None
    assert dlg.result_account.owns_terminal is True and dlg.result_account.label == "prop firm A"
