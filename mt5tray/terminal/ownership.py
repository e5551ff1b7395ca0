"""Whose terminal is it: when mt5tray may launch a terminal or log it into an
account, and the errors that say why not (issue 9).

Pure policy for Mt5ApiTerminal; the API calls stay in the adapter.
- `initialize` launches a closed terminal (MetaTrader5 docs, mt5initialize_py;
  mt5-api.md G7): only with `start_terminal_if_closed`, or for a login-mode
  account that owns its terminal.
- `login` switches the whole terminal's account, reloading the trader's EAs
  and charts (mt5-api.md G6): never on a terminal holding another account,
  unless the account owns that terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mt5tray.core.errors import (
    SettingsError,
    TerminalInUse,
    TerminalNotRunning,
    TerminalUnavailable,
)
from mt5tray.core.models import AccountRef


def may_launch(account: AccountRef, start_if_closed: bool) -> bool:
    """Allowed by the user, or the terminal is the login-mode account's own."""
    return start_if_closed or (account.mode == "login" and account.owns_terminal)


def not_installed(path: str) -> TerminalUnavailable:
    return TerminalUnavailable(
        f"MetaTrader 5 (64-bit, terminal64.exe) was not found at {path}. Install it, or set "
        "the correct terminal path in settings.")


def not_running(account: AccountRef) -> TerminalNotRunning:
    where = f" ({account.terminal_path})" if account.terminal_path else ""
    who = "your account" if account.login is None else f"account {account.describe()}"
    return TerminalNotRunning(
        f"MetaTrader 5{where} is not running. Start it and log into {who}; the sync will be "
        "retried. mt5tray never starts the terminal by itself unless "
        "start_terminal_if_closed is set in settings (for an unattended VPS).")


def login_credentials(account: AccountRef,
                      password_for: Callable[[int, str | None], str | None] | None
                      ) -> dict[str, Any]:
    """initialize/login keyword arguments of a login-mode account."""
    if account.login is None:
        raise SettingsError("An account in login mode needs its login number; "
                            "set it in settings.")
    if not account.terminal_path:
        raise SettingsError(
            f"Account {account.describe()} is in login mode but names no terminal: login mode "
            "logs its own terminal in, so set terminal_path to that install's terminal64.exe "
            "(a portable install is best), or use attach mode.")
    kwargs: dict[str, Any] = {"login": int(account.login)}
    if account.server:
        kwargs["server"] = account.server
    password = password_for(account.login, account.server) if password_for else None
    if password:
        kwargs["password"] = password
    return kwargs


def check_may_switch(account: AccountRef, current_login: int | None,
                     current_server: str | None) -> None:
    """Raise TerminalInUse when logging in would switch the trader's terminal."""
    if current_login is None or current_login == account.login or account.owns_terminal:
        return
    raise TerminalInUse(
        f"The terminal {account.terminal_path} is logged into {current_login}@{current_server}; "
        f"mt5tray will not switch it to {account.describe()} in front of the trader. Give "
        f"{account.login} its own terminal (a portable install) and set its terminal path, or, "
        "if this terminal belongs to mt5tray, set owns_terminal for the account.")
