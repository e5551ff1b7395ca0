"""The settings dialog: edits a copy, validates it whole, then saves.

Nothing is written until every value is valid (settings_form.validate_settings,
the same pydantic model the file loader uses). Passwords go to the keyring,
then the file is saved, then start-at-login is applied through the OS
mechanism, so a keyring failure leaves the file untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mt5tray.autostart import Autostart
from mt5tray.config import AccountSettings, Settings, SettingsFile
from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.hooks import OptionalJobs
from mt5tray.core.ports import SecretStore
from mt5tray.secrets import mt5_password_key
from mt5tray.settings_form import SettingsInvalid, validate_settings
from mt5tray.ui.account_dialog import AccountDialog
from mt5tray.ui.supabase_auth import SupabaseAuthRow


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, settings_file: SettingsFile, secrets: SecretStore,
                 autostart: Autostart, hooks: OptionalJobs,
                 on_saved: Callable[[Settings], None] = lambda s: None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("mt5tray settings")
        self.original, self.file, self.secrets = settings, settings_file, secrets
        self.autostart, self.on_saved = autostart, on_saved
        self.accounts = [a.model_copy() for a in settings.accounts]
        self.passwords: dict[tuple[int, str], str] = {}
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.supabase_url = QLineEdit(settings.supabase.url)
        self.supabase_key = QLineEdit(settings.supabase.publishable_key)
        self.auth_row = SupabaseAuthRow(hooks, self)
        self.account_list = QListWidget()
        account_buttons = QHBoxLayout()
        for text, slot in (("Add…", self.add_account), ("Edit…", self.edit_account),
                           ("Remove", self.remove_account)):
            account_buttons.addWidget(QPushButton(text, clicked=slot))
        self.interval = QSpinBox(minimum=0, maximum=100_000, suffix=" min")
        self.interval.setValue(settings.sync_interval_minutes)
        self.full_days = QSpinBox(minimum=0, maximum=100_000, suffix=" days")
        self.full_days.setValue(settings.full_resync_days)
        self.notifications = QCheckBox("Show notifications", checked=settings.notifications)
        self.start_at_login = QCheckBox("Start mt5tray when I log in")
        self._read_autostart()
        self.dashboard = QLineEdit(settings.dashboard_url)
        for label, widget in (("Supabase URL", self.supabase_url),
                              ("Publishable key", self.supabase_key),
                              ("", self.auth_row), ("Accounts", self.account_list),
                              ("", account_buttons), ("Sync interval", self.interval),
                              ("Full resync default", self.full_days),
                              ("", self.notifications), ("", self.start_at_login),
                              ("Dashboard URL", self.dashboard)):
            form.addRow(label, widget)
        self.error = QLabel(wordWrap=True, styleSheet="color: #b00020")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._fill_accounts()

    def _read_autostart(self) -> None:
        try:
            state = self.autostart.is_enabled()
        except Mt5TrayError as exc:
            self.start_at_login.setEnabled(False)
            self.start_at_login.setToolTip(str(exc))
            return
        self.start_at_login.setChecked(state.enabled)
        self.start_at_login.setToolTip(state.explanation)
        self._autostart_was = state.enabled

    # --- accounts -------------------------------------------------------------------

    def _fill_accounts(self) -> None:
        self.account_list.clear()
        for a in self.accounts:
            state = "" if a.enabled else " (disabled)"
            self.account_list.addItem(f"{a.login}@{a.server}  [{a.mode}]{state}  {a.label}")

    def _run_account_dialog(self, account: AccountSettings | None) -> AccountDialog | None:
        dialog = AccountDialog(self, account)
        return dialog if dialog.exec() == QDialog.DialogCode.Accepted else None

    def add_account(self) -> None:
        dialog = self._run_account_dialog(None)
        if dialog and dialog.result_account:
            self._store_account(dialog, None)

    def edit_account(self) -> None:
        row = self.account_list.currentRow()
        if row < 0:
            return
        dialog = self._run_account_dialog(self.accounts[row])
        if dialog and dialog.result_account:
            self._store_account(dialog, row)

    def _store_account(self, dialog: AccountDialog, row: int | None) -> None:
        account = dialog.result_account
        assert account is not None
        if row is None:
            self.accounts.append(account)
        else:
            self.accounts[row] = account
        if dialog.password:
            self.passwords[(account.login, account.server)] = dialog.password
        self._fill_accounts()

    def remove_account(self) -> None:
        row = self.account_list.currentRow()
        if row >= 0:
            del self.accounts[row]
            self._fill_accounts()

    # --- saving -----------------------------------------------------------------------

    def form_data(self) -> dict[str, Any]:
        data = self.original.model_dump()
        data.update(
            accounts=[a.model_dump() for a in self.accounts],
            sync_interval_minutes=self.interval.value(),
            full_resync_days=self.full_days.value(),
            notifications=self.notifications.isChecked(),
            start_at_login=self.start_at_login.isChecked(),
            dashboard_url=self.dashboard.text().strip(),
        )
        data["supabase"].update(url=self.supabase_url.text().strip(),
                                publishable_key=self.supabase_key.text().strip())
        return data

    def save(self) -> None:
        try:
            settings = validate_settings(self.form_data())
            self._write_passwords(settings)
            self.file.save(settings)
        except SettingsInvalid as exc:
            self.error.setText("Not saved:\n" + "\n".join(exc.problems))
            return
        except Mt5TrayError as exc:
            self.error.setText(f"Not saved: {exc}")
            return
        self._apply_autostart(settings.start_at_login)
        self.on_saved(settings)
        self.accept()

    def _write_passwords(self, settings: Settings) -> None:
        for (login, server), password in self.passwords.items():
            self.secrets.set(mt5_password_key(login, server), password)
        kept = {(a.login, a.server) for a in settings.accounts if a.mode == "login"}
        for old in self.original.accounts:
            if old.mode == "login" and (old.login, old.server) not in kept:
                self.secrets.delete(mt5_password_key(old.login, old.server))

    def _apply_autostart(self, on: bool) -> None:
        if on == getattr(self, "_autostart_was", on):
            return
        try:
            self.autostart.enable() if on else self.autostart.disable()
        except Mt5TrayError as exc:
            self.error.setText(f"Saved, but start at login: {exc}")
