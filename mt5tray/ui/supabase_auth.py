"""Sign in / sign out buttons for Supabase.

When the app runs on the Supabase store it provides the auth hooks
(hooks.OptionalJobs.sign_in / sign_out). Otherwise the settings dialog gives
a `sign_in_typed` job that signs in with the URL and key typed in the form
(as `mt5tray login` does), so Sign in… works as soon as both are entered.

Both talk to Supabase over the network, so they run on a worker thread and
report back through a queued signal: the dialog stays responsive (and can be
closed) while a slow or unreachable server is tried. A failure is one short
sentence in a word-wrapped label under the buttons, never the raw exception.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.hooks import OptionalJobs
from mt5tray.ui.qtcompat import emit
from mt5tray.ui.screen_fit import fit_to_screen, grow_to_fit, message_label

log = logging.getLogger(__name__)

NEEDS_URL_AND_KEY = "Enter the Supabase URL and publishable key above to sign in."
SIGN_IN_TIP = "Sign this PC in to your Supabase project with your e-mail and password."

SignIn = Callable[[str, str], object]


def failure_sentence(failed: str, exc: BaseException) -> str:
    """What the user reads when signing in or out failed: the app's own
    message (it says what to do), or a plain sentence for anything else."""
    if isinstance(exc, Mt5TrayError):
        return f"{failed}: {exc.message}"
    log.warning("%s unexpectedly", failed, exc_info=exc)
    return f"{failed} unexpectedly; the log file has the details."


class CredentialsDialog(QDialog):
    """E-mail and password in one small dialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to Supabase")
        form = QFormLayout(self)
        self.email = QLineEdit()
        self.password = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        form.addRow("E-mail", self.email)
        form.addRow("Password", self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setMinimumWidth(340)
        fit_to_screen(self)


class _Outcome(QObject):
    """Carries a worker thread's result (an error text, or "") to the GUI."""

    done = Signal(str)


class SupabaseAuthRow(QWidget):
    def __init__(self, hooks: OptionalJobs, parent: QWidget | None = None,
                 sign_in_typed: Callable[[], SignIn | None] | None = None) -> None:
        super().__init__(parent)
        self.hooks = hooks
        self.sign_in_typed = sign_in_typed
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.user = QLabel()
        self.sign_in = QPushButton("Sign in…", clicked=self._sign_in)
        self.sign_out = QPushButton("Sign out", clicked=self._sign_out)
        for widget in (self.user, self.sign_in, self.sign_out):
            row.addWidget(widget)
        row.addStretch(1)
        self.problem = message_label()
        self.problem.hide()
        column.addLayout(row)
        column.addWidget(self.problem)
        self._outcome = _Outcome(self)
        self._outcome.done.connect(self._finished)
        self.busy = False
        self.refresh()

    def _sign_in_job(self) -> SignIn | None:
        if self.hooks.sign_in is not None:
            return self.hooks.sign_in
        return self.sign_in_typed() if self.sign_in_typed is not None else None

    def refresh(self) -> None:
        user = self.hooks.user()
        self.user.setText(f"Signed in as {user}" if user else "Not signed in")
        self._enable_buttons(user)

    def _enable_buttons(self, user: str | None) -> None:
        can_sign_in = self._sign_in_job() is not None
        self.sign_in.setEnabled(can_sign_in and not self.busy)
        self.sign_in.setToolTip(SIGN_IN_TIP if can_sign_in else NEEDS_URL_AND_KEY)
        self.sign_out.setEnabled(self.hooks.sign_out is not None and bool(user)
                                 and not self.busy)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        if self.window() is not self:
            grow_to_fit(self.window())

    def ask_credentials(self) -> tuple[str, str] | None:
        dialog = CredentialsDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.email.text().strip(), dialog.password.text()

    def _sign_in(self) -> None:
        sign_in = self._sign_in_job()
        answer = self.ask_credentials() if sign_in is not None else None
        if answer is None or sign_in is None:
            return
        email, password = answer
        if not email or not password:
            self.show_problem("Sign-in needs both the e-mail and the password.")
            return
        self._in_background(lambda: sign_in(email, password), "Signing in…", "Sign-in failed")

    def _sign_out(self) -> None:
        sign_out = self.hooks.sign_out
        if sign_out is not None:
            self._in_background(sign_out, "Signing out…", "Sign-out failed")

    def _in_background(self, job: Callable[[], object], busy_text: str, failed: str) -> None:
        self.busy = True
        self.user.setText(busy_text)
        self.show_problem("")
        self._enable_buttons(None)

        def run() -> None:
            try:
                job()
                error = ""
            except Exception as exc:  # shown, not raised: the dialog stays usable
                error = failure_sentence(failed, exc)
            with contextlib.suppress(RuntimeError):  # the dialog was closed meanwhile
                emit(self._outcome.done, error)

        threading.Thread(target=run, name="supabase-auth", daemon=True).start()

    def _finished(self, error: str) -> None:
        self.busy = False
        self.refresh()
        self.show_problem(error)
