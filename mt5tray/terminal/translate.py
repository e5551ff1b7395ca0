"""MetaTrader5 error codes -> the typed errors of core.errors, with messages
that say what to do. The one place vendor codes are read (design.md: vendor
errors are translated at the adapter boundary, nowhere else).
"""

from __future__ import annotations

from mt5tray.core.errors import (
    AuthorizationFailed,
    Mt5TrayError,
    TerminalCallFailed,
    TerminalNotRunning,
    TerminalTimeout,
    TerminalUnavailable,
)
from mt5tray.core.models import AccountRef

PIPE_BROKEN = {-10004, -10001, -10002}  # no pipe, send failed, receive failed


def _who(account: AccountRef | None) -> str:
    if account is None or account.login is None:
        return "your account"
    return f"account {account.describe()}"


def _start_hint(account: AccountRef | None) -> str:
    return (f"Start MetaTrader 5 and log into {_who(account)} "
            "(or set the terminal path in settings).")


def translate_error(code: int, message: str, call: str,
                    account: AccountRef | None = None, timeout_ms: int = 60000) -> Mt5TrayError:
    """The error to raise for `last_error() == (code, message)` after `call` failed."""
    detail = f"({call}: {code} {message})"
    if code == -6:
        return AuthorizationFailed(
            f"The trade server refused the login for {_who(account)}. Check the password and "
            f"the server name in settings, then sync again. {detail}")
    if code == -7 and call in ("initialize", "login"):
        return AuthorizationFailed(
            f"{_who(account).capitalize()} uses an authorization mode (one-time password or "
            "certificate) the MetaTrader5 package cannot log in with. Log in by hand in the "
            f"terminal and set the account to attach mode. {detail}")
    if code == -10005:
        return TerminalTimeout(
            f"MetaTrader 5 did not become ready within {timeout_ms / 1000:g} s. Make sure the "
            "terminal is running, logged in and not showing a dialog; the sync will be "
            f"retried. {detail}")
    if code == -10003 and "not found" in message.lower():
        where = account.terminal_path if account and account.terminal_path else "this computer"
        return TerminalUnavailable(
            f"MetaTrader 5 (64-bit, terminal64.exe) was not found at {where}. Install it, or "
            f"set the correct terminal path in settings. {detail}")
    if code in PIPE_BROKEN or code == -10003:
        return TerminalNotRunning(f"{_start_hint(account)} {detail}")
    return TerminalCallFailed(
        f"MetaTrader 5 could not answer {call}; the sync will be retried. If this keeps "
        f"happening, restart the terminal. {detail}")
