"""Add or edit one MT5 account. The password is only held until the
settings dialog saves, and then goes to the keyring, never to the file."""

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
        self.password_edit.setPlaceholderText("kept in the OS keyring; empty: unchanged")
        self.enabled = QCheckBox("Sync this account", checked=account.enabled if account else True)
        self.error = QLabel(wordWrap=True, styleSheet="color: #b00020")
        form.addRow("Login", self.login)
        form.addRow("Server", self.server)
        form.addRow("Label", self.label)
        form.addRow("Terminal", path_row)
        form.addRow("Mode", self.mode)
        form.addRow("Password", self.password_edit)
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

    def _mode_changed(self, mode: str) -> None:
        self.password_edit.setEnabled(mode == "login")

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
                "mode": self.mode.currentText(), "enabled": self.enabled.isChecked()}

    def accept(self) -> None:
        try:
            account = AccountSettings.model_validate({**self._kept, **self.values()})
        except ValidationError as exc:
            self.error.setText("\n".join(
                f"{'.'.join(map(str, p['loc'])) or 'account'}: {p['msg']}" for p in exc.errors()))
            return
        password = self.password_edit.text()
        if account.mode == "login" and not password and not self._had_account:
            self.error.setText("Password: login mode needs the account's password.")
            return
        self.result_account = account
        self.password = password or None
        super().accept()
