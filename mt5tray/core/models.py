"""Plain data the core passes around: what the terminal reports, what a sync
is asked to do, and what it achieved.

Terminal records mirror the MetaTrader5 named tuples field for field (same
names, same order) so an adapter builds them with `TerminalDeal(*mt5_deal)`;
their times are still on the trade server's clock. Rows for the stores are
plain dicts keyed by the data-contract column names (see ledger.py).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

Row = dict[str, Any]


class TerminalDeal(NamedTuple):
    """One deal as `history_deals_get` reports it (TradeDeal field order).

    A NamedTuple rather than a frozen dataclass: a full import builds one per
    deal, and a frozen dataclass's __init__ costs about six times as much
    (1.3 s against 0.2 s for 100,000 deals)."""

    ticket: int
    order: int
    time: int
    time_msc: int
    type: int
    entry: int
    magic: int
    position_id: int
    reason: int
    volume: float
    price: float
    commission: float
    swap: float
    profit: float
    fee: float
    symbol: str
    comment: str
    external_id: str


class TerminalPosition(NamedTuple):
    """One open position as `positions_get` reports it (TradePosition order)."""

    ticket: int
    time: int
    time_msc: int
    time_update: int
    time_update_msc: int
    type: int
    magic: int
    identifier: int
    reason: int
    volume: float
    price_open: float
    sl: float
    tp: float
    price_current: float
    swap: float
    profit: float
    symbol: str
    comment: str
    external_id: str


@dataclass(frozen=True, slots=True)
class TerminalAccount:
    """The parts of `account_info()` the journal keeps."""

    login: int
    server: str
    name: str
    company: str
    currency: str
    leverage: int
    trade_mode: int
    margin_mode: int
    balance: float
    credit: float
    profit: float
    equity: float
    margin: float
    margin_free: float
    margin_level: float


@dataclass(frozen=True, slots=True)
class TerminalStatus:
    """What `terminal_info()` says about the terminal's health."""

    connected: bool
    build: int
    name: str
    company: str
    path: str


class SyncType(str, enum.Enum):
    FULL = "full"
    INCREMENTAL = "incremental"


class Trigger(str, enum.Enum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    STARTUP = "startup"
    REMOTE = "remote"
    CLI = "cli"
    WATCH = "watch"  # watch mode saw the terminal change (core/watch.py)


class SyncStatus(str, enum.Enum):
    PROCESSING = "processing"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


AccountMode = Literal["attach", "login"]


@dataclass(frozen=True, slots=True)
class AccountRef:
    """Which MT5 account to sync and how to reach its terminal.

    `login` None means "whatever account the terminal is logged into"
    (used when no account is configured yet).
    """

    login: int | None
    server: str | None = None
    terminal_path: str | None = None
    mode: AccountMode = "attach"
    label: str = ""
    # Login mode: this terminal belongs to mt5tray for this account, so it may
    # be launched and switched to it from another account (issue 9).
    owns_terminal: bool = False
    # The account's server_timezone setting (core/server_clock.py): "auto"
    # or a spec the user chose, which then wins over detection (issue 10).
    server_timezone: str = "auto"

    def describe(self) -> str:
        if self.login is None:
            return "the terminal's current account"
        return f"{self.login}@{self.server}" if self.server else str(self.login)


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """What one sync of one account is asked to do."""

    account: AccountRef
    sync_type: SyncType = SyncType.INCREMENTAL
    trigger: Trigger = Trigger.CLI
    # Full syncs only: days of history to read; None reads all of it.
    history_days: int | None = 30


@dataclass(slots=True)
class SyncCounts:
    """The counters data-contract.md defines for `sync_logs`."""

    positions_created: int = 0
    positions_updated: int = 0
    positions_closed: int = 0
    deals_inserted: int = 0
    trades_upserted: int = 0
    # Full syncs: stored deals the terminal's history no longer has (archived
    # by the broker); they stay in the journal (issue 9).
    deals_archived: int = 0


@dataclass(slots=True)
class SyncResult:
    """The outcome of one sync: what lands in `sync_logs` and the CLI output."""

    sync_id: str
    login: int | None
    server: str | None
    sync_type: SyncType
    trigger: Trigger
    status: SyncStatus
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: int = 0
    counts: SyncCounts = field(default_factory=SyncCounts)
    error: str | None = None
    error_title: str | None = None
    account_id: str | None = None
    # The failure needs the user (bad password, wrong account, ...): retrying
    # on the schedule cannot fix it, and a bad password retried every few
    # minutes can get the account locked by the broker.
    needs_action: bool = False
    # What was cleaned on the way in (core/clean.py): NULs removed, NaN/inf as NULL.
    cleaned: dict[str, int] = field(default_factory=dict)
    # Full syncs: the sum of the journal's deals minus the account balance
    # (None: not checked); a difference is also a warning (issue 9).
    balance_difference: float | None = None
    # Full syncs: how many deals the terminal returned for the window (what
    # "re-read" means in the result line); None for incremental syncs.
    deals_read: int | None = None

    @property
    def ok(self) -> bool:
        """Succeeded: data written (fully, or partly with a warning) or skipped."""
        return self.status in (SyncStatus.SUCCESS, SyncStatus.PARTIAL, SyncStatus.SKIPPED)

    def to_json(self) -> dict[str, Any]:
        """The sync_logs fields, JSON-ready (used by `--json`)."""
        return {
            "sync_id": self.sync_id,
            "account_id": self.account_id,
            "login": self.login,
            "server": self.server,
            "sync_type": self.sync_type.value,
            "trigger": self.trigger.value,
            "status": self.status.value,
            **asdict(self.counts),
            # milliseconds, like the journal's other stamps (issue 11, P9)
            "started_at": self.started_at.isoformat(timespec="milliseconds"),
            "finished_at": (self.finished_at.isoformat(timespec="milliseconds")
                            if self.finished_at else None),
            "duration_ms": self.duration_ms,
            "error": self.error,
            "cleaned": dict(self.cleaned),
            "balance_difference": self.balance_difference,
        }

    def summary(self) -> str:
        """One human line: what happened to this account (core.sync_text)."""
        from mt5tray.core.sync_text import result_line  # it formats this class

        return result_line(self)


@dataclass(frozen=True, slots=True)
class AccountState:
    """What the store remembers about an account between syncs."""

    account_id: str
    login: int
    server: str
    newest_deal_time_msc: int | None
    server_utc_offset_minutes: int | None
    sync_failure_count: int
    is_active: bool = True
    # The resolved server clock (issue 10): canonical spec, how it was found
    # (auto, user, provisional, fallback), when, and the evidence (JSON text).
    server_timezone: str | None = None
    server_timezone_source: str | None = None
    server_timezone_checked_at: str | None = None
    server_timezone_evidence: str | None = None


@dataclass(slots=True)
class SyncBatch:
    """Everything one successful sync writes, committed in one transaction."""

    account_id: str
    account_row: Row
    new_deals: list[Row]
    trades: list[Row]
    equity_snapshot: Row
    sync_log: Row
    newest_deal_time_msc: int | None
    # The terminal's open positions as read: the store counts created, updated
    # and closed positions against what it holds when it commits (issue 8).
    open_positions: frozenset[int] | None = None
    # Issue 10: the account's server clock changed: before writing, the store
    # recomputes every stored deal and trade time of the account on this clock
    # (from the raw time_msc) and lists the rows it changed, to upload them.
    restamp_clock: Any = None  # core.server_clock.ServerClock
    restamped_deals: list[Row] = field(default_factory=list)
    restamped_trades: list[Row] = field(default_factory=list)
