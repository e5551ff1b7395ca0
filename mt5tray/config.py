"""Settings: what the user chose, validated, versioned, saved atomically.

Secrets never live here (the models refuse unknown fields, so a `password`
in the file is an error that points at the keyring). A file that cannot be
read or validated is never overwritten: `SettingsFile.save` refuses until
the user fixed it, so a typo never costs them their configuration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mt5tray.atomic import atomic_write
from mt5tray.core.errors import SettingsError
from mt5tray.core.models import AccountRef
from mt5tray.core.plan import SyncTuning
from mt5tray.core.server_clock import ServerClockError, canonical_spec, fixed_clock
from mt5tray.validation_text import plain_message

SETTINGS_VERSION = 1
_SECRET_WORDS = ("password", "secret", "token", "service_role")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class AccountSettings(_Strict):
    """One MT5 account to sync."""

    login: int = Field(gt=0, description="MT5 account number")
    server: str = Field(min_length=1, max_length=255, description="trade server name")
    terminal_path: str | None = Field(
        default=None, description="terminal64.exe of the install that holds this account"
    )
    mode: Literal["attach", "login"] = Field(
        default="attach",
        description="attach: use the account the terminal is logged into; "
        "login: log in with the password from the keyring",
    )
    label: str = ""
    enabled: bool = True
    owns_terminal: bool = Field(
        default=False,
        description="login mode: the terminal at terminal_path belongs to mt5tray for this "
        "account, so mt5tray may start it and switch it to this account from another one",
    )
    server_timezone: str = Field(
        default="auto",
        description="the trade server's clock: auto (detected), ny-close, GMT+2/US, "
        "GMT+2/EU, GMT+3, +05:30, or an IANA zone (README 'Server clock')",
    )

    @field_validator("server_timezone")
    @classmethod
    def _check_server_timezone(cls, value: str) -> str:
        try:
            return canonical_spec(value)
        except ServerClockError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("server")
    @classmethod
    def _strip_server(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the trade server name is empty")
        return value

    def ref(self) -> AccountRef:
        return AccountRef(self.login, self.server, self.terminal_path, self.mode, self.label,
                          self.owns_terminal, self.server_timezone)


class SupabaseSettings(_Strict):
    """Where the journal lives online. The URL and the publishable (anon)
    key are not secrets; the user's session stays in the keyring."""

    url: str = ""
    publishable_key: str = ""
    allow_service_role_key: bool = False
    batch_size: int = Field(default=1000, ge=1, le=5000)
    timeout_s: float = Field(
        default=30, ge=1, le=600,
        description="seconds to wait for one Supabase request; a batch that times out is "
                    "sent again in halves",
    )
    realtime: bool = Field(
        default=True,
        description="hear the web app's Sync Now at once over Supabase Realtime (the poll "
                    "stays as the fallback)",
    )


class WatchSettings(_Strict):
    """Watch mode: probe the terminal between syncs and sync a change at once."""

    enabled: bool = True
    probe_interval_s: float = Field(
        default=2.0, ge=0.5, le=300,
        description="seconds between two probes of the terminal (positions, orders, deals, "
                    "balance)",
    )


class Settings(_Strict):
    version: int = SETTINGS_VERSION
    accounts: list[AccountSettings] = Field(default_factory=list)
    sync_interval_minutes: int = Field(default=5, ge=1, le=1440)
    initial_history_days: int | None = Field(
        default=None, ge=1, description="history read by an account's first sync; null: all"
    )
    full_resync_days: int = Field(default=30, ge=1)
    lookback_days: float = Field(default=1.0, ge=1.0, le=365)
    server_utc_offset_minutes: int | None = Field(
        default=None, ge=-720, le=840,
        description="deprecated: a fixed trade-server clock offset; same as an account's "
        "server_timezone set to a fixed GMT offset (an account's own server_timezone wins)",
    )
    store: str | None = Field(
        default=None, description="sqlite:///PATH, or 'supabase'; default: the local journal"
    )
    supabase: SupabaseSettings = Field(default_factory=SupabaseSettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    notifications: bool = True
    terminal_timeout_s: float = Field(
        default=60, ge=1, le=600,
        description="seconds to wait for one MT5 terminal to answer initialize/login; a hung "
        "terminal delays the next account's sync by at most this",
    )
    start_terminal_if_closed: bool = Field(
        default=False,
        description="start a closed MT5 terminal to sync it (unattended VPS); by default "
        "mt5tray never launches the trader's terminal and reports it not running",
    )
    start_at_login: bool = False
    dashboard_url: str = ""

    @model_validator(mode="after")
    def _unique_accounts(self) -> Settings:
        seen: set[tuple[int, str]] = set()
        for account in self.accounts:
            key = (account.login, account.server)
            if key in seen:
                raise ValueError(f"account {account.login}@{account.server} is listed twice")
            seen.add(key)
        return self

    def tuning(self) -> SyncTuning:
        return SyncTuning(
            lookback_days=self.lookback_days,
            initial_history_days=self.initial_history_days,
            fallback_offset_minutes=self.server_utc_offset_minutes,
            server_timezone=self.default_server_timezone(),
        )

    def default_server_timezone(self) -> str:
        """The clock of accounts left at auto: the legacy fixed offset if set."""
        if self.server_utc_offset_minutes is None:
            return "auto"
        return fixed_clock(self.server_utc_offset_minutes).spec

    def enabled_accounts(self) -> list[AccountSettings]:
        return [a for a in self.accounts if a.enabled]


def describe_validation_error(path: Path, error: ValidationError, data: object = None) -> str:
    """One line per problem, naming the file, the field and (for an
    account's field) the account."""
    lines = []
    for problem in error.errors():
        field = ".".join(str(p) for p in problem["loc"]) or "(top level)"
        message = plain_message(problem)
        if problem["type"] == "extra_forbidden":
            message = "unknown setting"
            if any(word in field.lower() for word in _SECRET_WORDS):
                message += (
                    "; secrets never belong in the settings file: remove it and store it "
                    "with `mt5tray accounts add` (it goes to the OS keyring)"
                )
        lines.append(f"{path}: {field}: {message}{_which_account(problem['loc'], data)}")
    return "\n".join(lines)


def _which_account(loc: tuple[object, ...], data: object) -> str:
    """' (account 123@Broker-Live)' for a problem inside accounts[i]."""
    if len(loc) < 2 or loc[0] != "accounts" or not isinstance(loc[1], int):
        return ""
    try:
        entry = data["accounts"][loc[1]]  # type: ignore[index]
        return f" (account {entry['login']}@{entry['server']})"
    except (KeyError, IndexError, TypeError):
        return ""


class SettingsFile:
    """Loads and saves one settings file; refuses to overwrite a bad one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._unreadable = False

    def load(self) -> Settings:
        if not self.path.exists():
            return Settings()
        try:
            # utf-8-sig: PowerShell and older Notepad save UTF-8 with a byte-order mark.
            data = json.loads(self.path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as exc:
            self._unreadable = True
            raise SettingsError(f"Cannot read {self.path}: {exc}") from exc
        except RecursionError:
            self._unreadable = True
            raise SettingsError(
                f"{self.path} is nested too deeply to be a settings file (arrays or objects "
                "inside each other thousands of levels deep). Fix or delete the file; mt5tray "
                "will not overwrite it.") from None
        except json.JSONDecodeError as exc:
            self._unreadable = True
            raise SettingsError(
                f"{self.path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}). Fix or delete the file; mt5tray will not overwrite it."
            ) from exc
        try:
            settings = Settings.model_validate(data)
        except ValidationError as exc:
            self._unreadable = True
            raise SettingsError(
                describe_validation_error(self.path, exc, data)
                + "\nFix the file (mt5tray will not overwrite it) and try again."
            ) from exc
        self._unreadable = False
        return settings

    def save(self, settings: Settings) -> None:
        if self._unreadable:
            raise SettingsError(
                f"{self.path} could not be read, so it was not overwritten. Fix or delete it first."
            )
        atomic_write(self.path, (settings.model_dump_json(indent=2) + "\n").encode("utf-8"))
