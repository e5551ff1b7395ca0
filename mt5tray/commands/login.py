"""`mt5tray login` / `mt5tray logout`: the Supabase session of this PC.

The project URL and publishable key are settings, not secrets; `--url` and
`--key` save them. The password is read with getpass (or one line of stdin
when it is not a terminal, for scripts) and never stored: only the session's
refresh token goes to the OS keyring.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from mt5tray.bootstrap import SUPABASE, load_settings
from mt5tray.commands.beside_tray import command_lock
from mt5tray.core.errors import Mt5TrayError, SettingsError
from mt5tray.paths import app_paths
from mt5tray.secrets import KeyringSecrets


def add_parser(commands: argparse._SubParsersAction) -> None:
    login = commands.add_parser("login", help="sign in to the Supabase journal")
    login.add_argument("--url", help="the Supabase project URL (saved in settings)")
    login.add_argument("--key", help="the project's publishable (anon) key (saved in settings)")
    login.add_argument("--email", help="account e-mail (asked for when omitted)")
    login.set_defaults(handler=run_login)
    logout = commands.add_parser("logout", help="sign out of Supabase and forget the session")
    logout.set_defaults(handler=run_logout)


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Supabase password: ")
    return sys.stdin.readline().rstrip("\r\n")


def run_login(args: argparse.Namespace) -> int:
    # supabase-py is imported here, not at module level: every CLI command and
    # the tray import this module, and supabase costs ~18 MB of RSS.
    from mt5tray.store.supabase.agent import SERVICE_ROLE_WARNING
    from mt5tray.store.supabase.session import SupabaseSession

    settings_file, settings = load_settings(app_paths())
    sb = settings.supabase.model_copy()
    if args.url:
        sb.url = args.url.strip().rstrip("/")
    if args.key:
        sb.publishable_key = args.key.strip()
    # Under the home lock: a tray running beside refreshes from the keyring
    # entry this replaces (issue 8).
    session = SupabaseSession(sb.url, sb.publishable_key, KeyringSecrets(),
                              sb.allow_service_role_key, sb.timeout_s,
                              exclusive=command_lock().held)
    try:
        try:
            email = args.email or input("Supabase e-mail: ").strip()
        except EOFError:  # no terminal and nothing piped in
            raise SettingsError("No e-mail to sign in with: pass --email you@example.com (and "
                                "the password on standard input when there is no "
                                "terminal).") from None
        password = _read_password()
        if not email or not password:
            raise SettingsError("Both an e-mail and a password are needed to sign in.")
        signed_in = session.sign_in(email, password)
    finally:
        session.close()
    settings.supabase = sb
    if settings.store is None:
        settings.store = SUPABASE
    settings_file.save(settings)
    print(f"Signed in to {sb.url} as {signed_in}.")
    if settings.store != SUPABASE:
        print(f"Note: the configured store is {settings.store}; pass --store supabase to sync "
              "into Supabase.")
    if session.uses_service_role_key:
        print(f"WARNING: {SERVICE_ROLE_WARNING}")
    return 0


def run_logout(args: argparse.Namespace) -> int:
    from mt5tray.store.supabase.session import REFRESH_TOKEN_KEY, SupabaseSession

    _, settings = load_settings(app_paths())
    sb = settings.supabase
    secrets = KeyringSecrets()
    try:
        session = SupabaseSession(sb.url, sb.publishable_key, secrets,
                                  sb.allow_service_role_key, sb.timeout_s,
                                  exclusive=command_lock().held)
    except Mt5TrayError as exc:
        # No usable URL or key any more: still forget the session on this PC.
        secrets.delete(REFRESH_TOKEN_KEY)
        print(f"Signed out on this PC; the session could not be revoked ({exc.message}).")
        return 0
    try:
        revoked = session.sign_out()
    finally:
        session.close()
    print("Signed out." if revoked else
          "Signed out on this PC; Supabase could not be reached to revoke the session.")
    return 0
