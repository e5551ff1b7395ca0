"""The settings dialog: edits a copy, validates it whole, then saves.

Nothing is written until every value is valid (settings_form.validate_settings,
the same pydantic model the file loader uses). Passwords go to the keyring,
then the file is saved, then start-at-login is applied through the OS
mechanism, so a keyring failure leaves the file untouched. Only the passwords
of accounts still listed are written; a removed account's password is
dropped, and a saved account's keyring entry is deleted on Save.

The dialog stays inside the screen (screen_fit); its messages wrap in one
label above the buttons, the form above it does not move, and once a
message is shown it is re-checked as the user edits, so it clears when the
field is fixed.
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
from mt5tray.ui.screen_fit import client_bound, fit_to_screen, grow_to_fit, message_label
from mt5tray.ui.supabase_auth import SupabaseAuthRow

EMPTY_ACCOUNTS = ("No accounts listed: mt5tray syncs the account the MetaTrader 5 terminal is "
                  "logged into. Add… an account to sync a chosen one, or several.")


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
        self.auth_row = SupabaseAuthRow(hooks, self, sign_in_typed=self._typed_sign_in)
        for edit in (self.supabase_url, self.supabase_key):
            edit.textChanged.connect(lambda _text: self.auth_row.refresh())
        self.account_list = QListWidget()
        # A fixed height: a list that takes or gives up the spare height moves
        # every control under it when a message appears.
        self.account_list.setFixedHeight(6 * self.account_list.fontMetrics().height() + 8)
        self.no_accounts = QLabel(EMPTY_ACCOUNTS, wordWrap=True)
        accounts_box = QVBoxLayout()
        accounts_box.addWidget(self.account_list)
        accounts_box.addWidget(self.no_accounts)
        account_buttons = QHBoxLayout()
        for text, slot in (("Add…", self.add_account), ("Edit…", self.edit_account),
                           ("Remove", self.remove_account)):
            account_buttons.addWidget(QPushButton(text, clicked=slot))
        # The same bounds as the Settings model, so the boxes cannot hold a
        # value Save would refuse. "All history" is a choice of Full Resync…
        # and `sync --all-history`, not a default number of days.
        self.interval = QSpinBox(minimum=1, maximum=1440, suffix=" min")
        self.interval.setValue(settings.sync_interval_minutes)
        self.full_days = QSpinBox(minimum=1, maximum=100_000, suffix=" days")
        self.full_days.setValue(settings.full_resync_days)
        self.notifications = QCheckBox("Show notifications", checked=settings.notifications)
        self.start_at_login = QCheckBox("Start mt5tray when I log in")
        self._read_autostart()
        self.dashboard = QLineEdit(settings.dashboard_url)
        for label, widget in (("Supabase URL", self.supabase_url),
                              ("Publishable key", self.supabase_key),
                              ("", self.auth_row), ("Accounts", accounts_box),
                              ("", account_buttons), ("Sync interval", self.interval),
                              ("Full resync default", self.full_days),
                              ("", self.notifications), ("", self.start_at_login),
                              ("Dashboard URL", self.dashboard)):
            form.addRow(label, widget)
        self.error = message_label()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._fill_accounts()
        for signal in (self.supabase_url.textChanged, self.supabase_key.textChanged,
                       self.dashboard.textChanged, self.interval.valueChanged,
                       self.full_days.valueChanged):
            signal.connect(self._recheck)
        self.setMinimumWidth(min(560, client_bound(self).width()))
        fit_to_screen(self)

    def _typed_sign_in(self) -> Callable[[str, str], object] | None:
        """Sign in with the URL and key as typed (nothing saved yet), as
        `mt5tray login` does: the session's refresh token goes to the keyring."""
        url, key = self.supabase_url.text().strip(), self.supabase_key.text().strip()
        if not url or not key:
            return None
        sb = self.original.supabase

        def sign_in(email: str, password: str) -> object:
            from mt5tray.store.supabase.session import SupabaseSession

            session = SupabaseSession(url, key, self.secrets, sb.allow_service_role_key,
                                      sb.timeout_s)
            try:
                return session.sign_in(email, password)
            finally:
                session.close()

        return sign_in

    def _recheck(self, *_: object) -> None:
        """Once a message is shown, keep it true: re-validate on every edit."""
        if not self.error.text().startswith("Not saved"):
            return
        try:
            validate_settings(self.form_data())
        except SettingsInvalid as exc:
            self.show_error("Not saved:\n" + "\n".join(exc.problems))
            return
        self.show_error("")

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        grow_to_fit(self)

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
        self.no_accounts.setVisible(not self.accounts)
        self._recheck()

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
        pending = None
        if row is None:
            self.accounts.append(account)
        else:  # a password typed for the account's old login/server moves with it
            old = self.accounts[row]
            pending = self.passwords.pop((old.login, old.server), None)
            self.accounts[row] = account
        password = dialog.password or pending
        if password and account.mode == "login":
            self.passwords[(account.login, account.server)] = password
        self._fill_accounts()

    def remove_account(self) -> None:
        """Drop the selected account and the password typed for it: a removed
        account's password is never written to the keyring."""
        row = self.account_list.currentRow()
        if row >= 0:
            removed = self.accounts.pop(row)
            self.passwords.pop((removed.login, removed.server), None)
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
            self.show_error("Not saved:\n" + "\n".join(exc.problems))
            return
        except Mt5TrayError as exc:
            self.show_error(f"Not saved: {exc.message}")
            return
        self._apply_autostart(settings.start_at_login)
        self.on_saved(settings)
        self.accept()

    def _write_passwords(self, settings: Settings) -> None:
        kept = {(a.login, a.server) for a in settings.accounts if a.mode == "login"}
        for (login, server), password in self.passwords.items():
            if (login, server) in kept:  # only accounts still listed, in login mode
                self.secrets.set(mt5_password_key(login, server), password)
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
