"""Errors the user can see: a short title and a message that says what to do.

`TransientError` clears up by itself (terminal closed, network down) and is
retried by the schedule; `ActionRequired` needs the user (bad password, bad
key, missing migration): the schedule then leaves the account alone until
they act (Sync Now, a settings change) or an hour has passed. Vendor errors
are translated into these at the adapter boundary, nowhere else.
"""

from __future__ import annotations


class Mt5TrayError(Exception):
    """Base of every error shown to a user."""

    title: str = "mt5tray error"

    def __init__(self, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"


class TransientError(Mt5TrayError):
    """A condition that is expected to clear by itself; retried later."""


class ActionRequired(Mt5TrayError):
    """The user must change something before syncing can work."""


# --- terminal ---------------------------------------------------------------


class TerminalUnavailable(ActionRequired):
    """The MetaTrader5 package or the terminal itself cannot be used here."""

    title = "MetaTrader 5 unavailable"


class TerminalNotRunning(TransientError):
    """The terminal is closed, still starting, or its pipe broke."""

    title = "MT5 terminal not running"


class TerminalTimeout(TransientError):
    """The terminal did not answer in time (IPC timeout)."""

    title = "MT5 terminal timed out"


class BrokerNotConnected(TransientError):
    """The terminal runs but has no link to the broker's trade server."""

    title = "MT5 not connected to the broker"


class AuthorizationFailed(ActionRequired):
    """The trade server refused the login, password or server name."""

    title = "MT5 login failed"


class AccountMismatch(ActionRequired):
    """The terminal is logged into another account than the one being synced."""

    title = "MT5 is logged into another account"


class TerminalInUse(ActionRequired):
    """Login mode would switch a terminal the trader uses to another account."""

    title = "MT5 terminal in use by another account"


class TerminalCallFailed(TransientError):
    """A terminal call failed for a reason MT5 does not explain further."""

    title = "MT5 call failed"


# --- settings, secrets, stores ------------------------------------------------


class SettingsError(ActionRequired):
    """The settings file cannot be read or holds an invalid value."""

    title = "Settings problem"


class SecretStoreError(ActionRequired):
    """No usable OS keyring, or a secret is missing from it."""

    title = "Keyring problem"


class StoreUnavailable(TransientError):
    """The store cannot be reached right now; rows wait locally."""

    title = "Cannot reach Supabase"


class JournalUnavailable(StoreUnavailable):
    """The local journal file cannot be opened (permissions, disk, a damaged
    file that could not be moved aside); nothing is lost, the next run retries."""

    title = "Cannot open the journal"


class JournalBusy(TransientError):
    """Another program (antivirus, backup, a database browser) holds the
    journal file locked; the next sync tries again."""

    title = "Journal in use"


class StoreRejected(ActionRequired):
    """The store refused the data in a way retrying cannot fix."""

    title = "Upload refused"


class StoreAuthRequired(ActionRequired):
    """The online store needs the user to sign in (again)."""

    title = "Sign in to Supabase"


class StoreMisconfigured(ActionRequired):
    """The online store's URL, key or schema is wrong; settings or setup must change."""

    title = "Supabase setup problem"
