"""Full Resync…: "Last N days" or "All history", for named accounts.

Replaces a bare number prompt ("0 = all history") with two choices a trader
reads at once, the accounts it applies to, and the reassurance that a resync
never duplicates anything (deals are keyed by their ticket, core/ledger.py).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from mt5tray.ui.screen_fit import fit_to_screen


class FullResyncDialog(QDialog):
    def __init__(self, accounts: str, default_days: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Full Resync")
        layout = QVBoxLayout(self)
        intro = QLabel(f"Read the history of {accounts} again from the terminal.")
        intro.setWordWrap(True)
        self.recent = QRadioButton(f"Last {default_days} days")
        self.everything = QRadioButton("All history")
        self.recent.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.recent)
        group.addButton(self.everything)
        note = QLabel("Nothing is duplicated: deals already in the journal are recognised "
                      "and kept once. All history can take a minute on a long account.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Resync")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for widget in (intro, self.recent, self.everything, note, buttons):
            layout.addWidget(widget)
        self.default_days = default_days
        self.setMinimumWidth(360)
        fit_to_screen(self)

    def days(self) -> int | None:
        """The choice: a number of days, or None for all history."""
        return None if self.everything.isChecked() else self.default_days


def ask_full_resync(accounts: str, default_days: int,
                    parent: QWidget | None = None) -> tuple[bool, int | None]:
    """(accepted, days or None for all history)."""
    dialog = FullResyncDialog(accounts, default_days, parent)
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    return accepted, dialog.days()
