"""Sign in / sign out buttons for Supabase, live only when the app provides
the auth hooks (hooks.OptionalJobs.sign_in / sign_out)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton, QWidget

from mt5tray.core.hooks import OptionalJobs

NO_AUTH = "Sign-in needs the Supabase store, which this build does not include yet."


class SupabaseAuthRow(QWidget):
    def __init__(self, hooks: OptionalJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hooks = hooks
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.user = QLabel()
        self.sign_in = QPushButton("Sign in…", clicked=self._sign_in)
        self.sign_out = QPushButton("Sign out", clicked=self._sign_out)
        for widget in (self.user, self.sign_in, self.sign_out):
            row.addWidget(widget)
        self.refresh()

    def refresh(self) -> None:
        user = self.hooks.user()
        self.user.setText(f"Signed in as {user}" if user else "Not signed in")
        self.sign_in.setEnabled(self.hooks.sign_in is not None)
        self.sign_out.setEnabled(self.hooks.sign_out is not None and bool(user))
        if self.hooks.sign_in is None:
            self.sign_in.setToolTip(NO_AUTH)
            self.sign_out.setToolTip(NO_AUTH)

    def _sign_in(self) -> None:
        email, ok = QInputDialog.getText(self, "Sign in to Supabase", "E-mail:")
        if not ok or not email:
            return
        password, ok = QInputDialog.getText(self, "Sign in to Supabase", "Password:",
                                            QLineEdit.EchoMode.Password)
        if ok and password and self.hooks.sign_in is not None:
            try:
                self.hooks.sign_in(email, password)
            except Exception as exc:  # shown, not raised: the dialog stays usable
                self.user.setText(f"Sign-in failed: {exc}")
                return
        self.refresh()

    def _sign_out(self) -> None:
        if self.hooks.sign_out is not None:
            self.hooks.sign_out()
        self.refresh()
