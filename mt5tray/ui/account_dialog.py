"""Add or edit one MT5 account. The password is only held until the
settings dialog saves, and then goes to the keyring, never to the file.

Problems are plain sentences (validation_text) in a wrapped label under the
fields; the dialog stays inside the screen and grows downward to fit them,
so nothing is clipped and the fields above do not move. Once shown, they are
re-checked on every edit and clear when the field is fixed.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from mt5tray.config import AccountSettings
from mt5tray.ui.screen_fit import fit_to_screen, grow_to_fit, message_label
from mt5tray.validation_text import account_problems

MODE_HELP = {
    "attach": "attach: sync whatever account this terminal is logged into; no password needed.",
    "login": "login: mt5tray logs the terminal into this account with the password below.",
}
# The common clocks first (server-time.md §2.1); the field is editable for any other spec.
CLOCK_CHOICES = ("auto", "ny-close", "GMT+2/EU", "GMT+0", "GMT+3")
CLOCK_HELP = ("auto: detected from the server's price history (most brokers run GMT+2/+3 on "
              "US dates, \"ny-close\"). Set it only if your broker publishes another clock.")
PASSWORD_HINT = "kept in the OS keyring"
PASSWORD_HINT_EDIT = "empty: keep the saved password"


class AccountDialog(QDialog):
    def __init__(self, parent: QWidget | None = None,
                 account: AccountSettings | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit account" if account else "Add account")
        self.result_account: AccountSettings | None = None
        self.password: str | None = None
        # Settings this dialog has no field for (owns_terminal, ...) survive an edit.
        self._kept = account.model_dump() if account else {}
        form = QFormLayout(self)
        self.login = QLineEdit(str(account.login) if account else "")
        self.server = QLineEdit(account.server if account else "")
        self.label = QLineEdit(account.label if account else "")
        self.path = QLineEdit((account.terminal_path or "") if account else "")
        browse = QPushButton("Browse…", clicked=self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path)
        path_row.addWidget(browse)
        self.mode = QComboBox()
        self.mode.addItems(["attach", "login"])
        self.mode.setCurrentText(account.mode if account else "attach")
        self.password_edit = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText(PASSWORD_HINT_EDIT if account else PASSWORD_HINT)
        self.password_edit.setToolTip("The password is kept in the OS keyring, never in the "
                                      "settings file.")
        self.mode_help = QLabel(wordWrap=True, styleSheet="color: palette(mid)")
        self.clock = QComboBox(editable=True)
        self.clock.addItems(list(CLOCK_CHOICES))
        self.clock.setCurrentText(account.server_timezone if account else "auto")
        self.clock.setToolTip(CLOCK_HELP)
        self.enabled = QCheckBox("Sync this account", checked=account.enabled if account else True)
        self.error = message_label()
        form.addRow("Login", self.login)
        form.addRow("Server", self.server)
        form.addRow("Label", self.label)
        form.addRow("Terminal", path_row)
        form.addRow("Mode", self.mode)
        form.addRow("", self.mode_help)
        form.addRow("Password", self.password_edit)
        form.addRow("Server clock", self.clock)
        form.addRow("", self.enabled)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.mode.currentTextChanged.connect(self._mode_changed)
        self._mode_changed(self.mode.currentText())
        self._had_account = account is not None
        for edit in (self.login, self.server, self.label, self.path, self.password_edit):
            edit.textChanged.connect(self._recheck)
        self.mode.currentTextChanged.connect(self._recheck)
        self.clock.currentTextChanged.connect(self._recheck)
        self.setMinimumWidth(420)
        fit_to_screen(self)

    def _mode_changed(self, mode: str) -> None:
        self.password_edit.setEnabled(mode == "login")
        self.mode_help.setText(MODE_HELP.get(mode, ""))

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "MetaTrader 5 terminal", self.path.text(),
                                              "terminal64.exe (terminal64.exe);;All files (*)")
        if path:
            self.path.setText(path)

    def values(self) -> dict[str, Any]:
        login = self.login.text().strip()
        return {"login": int(login) if login.isdigit() else login,
                "server": self.server.text(), "label": self.label.text().strip(),
                "terminal_path": self.path.text().strip() or None,
                "mode": self.mode.currentText(), "enabled": self.enabled.isChecked(),
                "server_timezone": self.clock.currentText().strip() or "auto"}

    def problems(self) -> tuple[AccountSettings | None, list[str]]:
        """The account the fields describe, or the sentences that say what to fix."""
        try:
            account = AccountSettings.model_validate({**self._kept, **self.values()})
        except ValidationError as exc:
            return None, account_problems(exc)
        if account.mode == "login" and not self.password_edit.text() and not self._had_account:
            return None, ["Password: login mode needs the account's password."]
        return account, []

    def _show(self, problems: list[str]) -> None:
        self.error.setText("\n".join(problems))
        grow_to_fit(self)  # downward, inside the screen: the fields above stay put

    def _recheck(self, *_: object) -> None:
        if self.error.text():
            self._show(self.problems()[1])

    def accept(self) -> None:
        account, problems = self.problems()
        if account is None:
            self._show(problems)
            return
        self.result_account = account
        self.password = self.password_edit.text() or None
        super().accept()
