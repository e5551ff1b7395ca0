"""The ports the core talks through. Adapters implement them; the core never
imports an adapter. Tests use small hand-written fakes or the simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from mt5tray.core.models import (
    AccountRef,
    AccountState,
    Row,
    SyncBatch,
    SyncCounts,
    TerminalAccount,
    TerminalDeal,
    TerminalPosition,
    TerminalStatus,
)


class Terminal(Protocol):
    """One connection to one MT5 terminal, for one sync.

    Every time in and out is on the trade server's clock (epoch seconds as
    MT5 reports them). Methods raise the typed errors of core.errors.
    """

    def open(self, account: AccountRef) -> TerminalAccount:
        """Connect (and log in for login-mode accounts), then check that the
        terminal holds `account.login`; raise AccountMismatch otherwise."""
        ...

    def account(self) -> TerminalAccount: ...

    def status(self) -> TerminalStatus: ...

    def positions(self) -> list[TerminalPosition]: ...

    def deals(self, date_from: int, date_to: int) -> list[TerminalDeal]:
        """All deals with date_from <= time <= date_to (server-clock seconds)."""
        ...

    def position_deals(self, position_id: int) -> list[TerminalDeal]:
        """Every deal of one position, whatever its age."""
        ...

    def tick_time(self, symbol: str) -> int | None:
        """Server-clock time of the symbol's last tick, None if unknown."""
        ...

    def symbol_names(self, group: str) -> list[str]:
        """Symbols matching a `symbols_get` group mask such as "*EURUSD*"."""
        ...

    def bar_times(self, symbol: str, date_from: int, date_to: int) -> list[int]:
        """Open times of the symbol's H1 bars in [date_from, date_to] (server
        clock); empty when the terminal has no such history."""
        ...

    # Cheap counts for watch mode's change probe (core/watch.py): no records
    # cross the pipe, so they can run every few seconds.

    def positions_total(self) -> int:
        """How many positions are open."""
        ...

    def orders_total(self) -> int:
        """How many pending orders are active."""
        ...

    def deals_total(self, date_from: int, date_to: int) -> int:
        """How many deals have date_from <= time <= date_to (server-clock seconds)."""
        ...

    def close(self) -> None: ...


TerminalFactory = Callable[[], Terminal]


class JournalStore(Protocol):
    """The local journal: data-contract tables plus the engine's memory."""

    def recover_interrupted_syncs(self) -> int:
        """Mark `processing` sync_logs rows left by a killed run as failed."""
        ...

    def find_account(self, login: int, server: str) -> AccountState | None: ...

    def ensure_account(self, account_row: Row) -> AccountState:
        """Create the trading_accounts row if missing; return its state."""
        ...

    def start_sync(self, sync_log: Row) -> None:
        """Record a `processing` sync_logs row (committed at once)."""
        ...

    def known_deal_tickets(self, account_id: str, tickets: Iterable[int]) -> set[int]: ...

    def deals_of_positions(self, account_id: str, position_ids: Iterable[int]) -> list[Row]:
        """Stored deal rows (trade deals) of these positions."""
        ...

    def open_trade_tickets(self, account_id: str) -> set[int]: ...

    def deal_tickets_between(self, account_id: str, from_msc: int, to_msc: int) -> set[int]:
        """Tickets of stored deals with from_msc <= time_msc <= to_msc (server clock)."""
        ...

    def deal_money_total(self, account_id: str) -> float:
        """Sum of profit + commission + swap + fee over stored non-credit deals."""
        ...

    def trades_by_ticket(self, account_id: str, tickets: Iterable[int]) -> dict[int, Row]: ...

    def commit_sync(self, batch: SyncBatch) -> SyncCounts | None:
        """Write rows, cursor, account snapshot and the final sync log in one
        transaction: all of it lands, or none of it. Returns the counts as
        measured inside that transaction (None: the batch's own stand)."""
        ...

    def record_failure(self, account_id: str, sync_log: Row, error: str) -> None:
        """Finish a failed sync: its log row and the account's health columns."""
        ...

    def record_equity(self, snapshot: Row) -> None:
        """Watch mode: an equity_snapshots row taken between syncs, and the
        account's balance/equity columns."""
        ...

    def close(self) -> None: ...


class SecretStore(Protocol):
    """Secrets in the OS keyring, never anywhere else."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...
