"""`mt5tray accounts list|add|remove`: the accounts in the settings file.

Passwords are asked for with getpass and go straight to the OS keyring;
they are never accepted on the command line nor written to a file.
"""

from __future__ import annotations

import argparse
import getpass

from pydantic import ValidationError

from mt5tray.bootstrap import load_settings
from mt5tray.config import AccountSettings
from mt5tray.core.errors import SettingsError
from mt5tray.paths import app_paths
from mt5tray.secrets import KeyringSecrets, mt5_password_key
from mt5tray.validation_text import account_problems


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("accounts", help="list, add or remove MT5 accounts")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="list configured accounts").set_defaults(handler=list_accounts)
    add = actions.add_parser("add", help="add an account (asks for its password in login mode)")
    add.add_argument("--login", type=int, required=True)
    add.add_argument("--server", required=True)
    add.add_argument("--terminal-path", help="the terminal64.exe that holds this account")
    add.add_argument("--mode", choices=("attach", "login"), default="attach",
                     help="attach: sync the account the terminal is logged into (default); "
                          "login: log in with the password kept in the keyring")
    add.add_argument("--owns-terminal", action="store_true",
                     help="login mode: the terminal at --terminal-path belongs to mt5tray; it "
                          "may be started and switched to this account")
    add.add_argument("--label", default="")
    add.set_defaults(handler=add_account)
    remove = actions.add_parser("remove", help="remove an account and its saved password")
    remove.add_argument("login", type=int)
    remove.add_argument("--server", help="needed when two accounts share the login")
    remove.set_defaults(handler=remove_account)


def list_accounts(args: argparse.Namespace) -> int:
    _, settings = load_settings(app_paths())
    if not settings.accounts:
        print("No accounts configured; `mt5tray sync` uses the terminal's current account.")
    for a in settings.accounts:
        state = "enabled" if a.enabled else "disabled"
        path = a.terminal_path or "(default terminal)"
        print(f"{a.login}@{a.server}  {a.mode}  {state}  {path}  {a.label}".rstrip())
    return 0


def add_account(args: argparse.Namespace) -> int:
    settings_file, settings = load_settings(app_paths())
    try:
        account = AccountSettings(login=args.login, server=args.server,
                                  terminal_path=args.terminal_path, mode=args.mode,
                                  label=args.label, owns_terminal=args.owns_terminal)
    except ValidationError as exc:
        raise SettingsError("The account was not added. " + " ".join(account_problems(exc))
                            ) from None
    if account.mode == "login" and not account.terminal_path:
        raise SettingsError(
            "Login mode logs its own terminal in: add --terminal-path with that install's "
            "terminal64.exe (a portable install is best), or use --mode attach.")
    if any((a.login, a.server) == (account.login, account.server) for a in settings.accounts):
        raise SettingsError(f"Account {account.login}@{account.server} is already configured.")
    if account.mode == "login":
        password = getpass.getpass(f"MT5 password for {account.login}@{account.server}: ")
        if not password:
            raise SettingsError("No password given; the account was not added.")
        KeyringSecrets().set(mt5_password_key(account.login, account.server), password)
    settings.accounts.append(account)
    settings_file.save(settings)
    print(f"Added {account.login}@{account.server} ({account.mode} mode).")
    return 0


def remove_account(args: argparse.Namespace) -> int:
    settings_file, settings = load_settings(app_paths())
    matches = [a for a in settings.accounts
               if a.login == args.login and (args.server is None or a.server == args.server)]
    if not matches:
        raise SettingsError(f"Account {args.login} is not configured.")
    if len(matches) > 1:
        raise SettingsError(f"Several accounts have login {args.login}; add --server.")
    account = matches[0]
    settings.accounts.remove(account)
    settings_file.save(settings)
    if account.mode == "login":
        KeyringSecrets().delete(mt5_password_key(account.login, account.server))
    print(f"Removed {account.login}@{account.server}. Its synced history stays in the journal.")
    return 0
