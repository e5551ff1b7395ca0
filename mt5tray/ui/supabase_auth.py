"""Sign in / sign out buttons for Supabase, live only when the app provides
the auth hooks (hooks.OptionalJobs.sign_in / sign_out).

Both talk to Supabase over the network, so they run on a worker thread and
report back through a queued signal: the dialog stays responsive (and can be
closed) while a slow or unreachable server is tried."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QLabel, QLineEdit, QPushButton, QWidget

from mt5tray.core.hooks import OptionalJobs
from mt5tray.ui.qtcompat import emit

NO_AUTH = "Sign-in needs the Supabase store, which this build does not include yet."


class _Outcome(QObject):
    """Carries a worker thread's result (an error text, or "") to the GUI."""

    done = Signal(str)


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
        self._outcome = _Outcome(self)
        self._outcome.done.connect(self._finished)
        self.busy = False
        self.refresh()

    def refresh(self) -> None:
        user = self.hooks.user()
        self.user.setText(f"Signed in as {user}" if user else "Not signed in")
        self._enable_buttons(user)

    def _enable_buttons(self, user: str | None) -> None:
        self.sign_in.setEnabled(self.hooks.sign_in is not None and not self.busy)
        self.sign_out.setEnabled(self.hooks.sign_out is not None and bool(user)
                                 and not self.busy)
        if self.hooks.sign_in is None:
            self.sign_in.setToolTip(NO_AUTH)
            self.sign_out.setToolTip(NO_AUTH)

    def _sign_in(self) -> None:
        email, ok = QInputDialog.getText(self, "Sign in to Supabase", "E-mail:")
        if not ok or not email:
            return
        password, ok = QInputDialog.getText(self, "Sign in to Supabase", "Password:",
                                            QLineEdit.EchoMode.Password)
        sign_in = self.hooks.sign_in
        if ok and password and sign_in is not None:
            self._in_background(lambda: sign_in(email, password), "Signing in…",
                                "Sign-in failed")

    def _sign_out(self) -> None:
        sign_out = self.hooks.sign_out
        if sign_out is not None:
            self._in_background(sign_out, "Signing out…", "Sign-out failed")

    def _in_background(self, job: Callable[[], object], busy_text: str, failed: str) -> None:
        self.busy = True
        self.user.setText(busy_text)
        self._enable_buttons(None)

        def run() -> None:
            try:
                job()
                error = ""
            except Exception as exc:  # shown, not raised: the dialog stays usable
                error = f"{failed}: {exc}"
            with contextlib.suppress(RuntimeError):  # the dialog was closed meanwhile
                emit(self._outcome.done, error)

        threading.Thread(target=run, name="supabase-auth", daemon=True).start()

    def _finished(self, error: str) -> None:
        self.busy = False
        self.refresh()
        if error:
            self.user.setText(error)
