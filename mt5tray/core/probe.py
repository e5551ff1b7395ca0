"""One change probe of one account: watch mode's cheap look at the terminal.

`ProbeConnection` keeps the probe's one open connection (attach mode, never a
login: a broker sees every login; one at a time: the MetaTrader5 package holds
one pipe per process). `read_counts` checks the terminal holds the expected
account and reads `positions_total()`, `orders_total()`,
`history_deals_total()` from the incremental window's start, and
`account_info()`; `changed` says whether a sync would write something new.
core/watch.py decides when to probe and when to sync.

Imports only the standard library and core.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass

from mt5tray.core.clock_choice import clock_for_probe
from mt5tray.core.errors import AccountMismatch
from mt5tray.core.models import AccountRef, SyncRequest, TerminalAccount
from mt5tray.core.plan import MT5_MAX_TIME, SyncTuning, plan_window
from mt5tray.core.ports import JournalStore, Terminal, TerminalFactory

log = logging.getLogger(__name__)
Key = tuple[int | None, str | None]


@dataclass(frozen=True, slots=True)
class Reading:
    """What one probe saw of one account."""

    account_id: str
    date_from: int  # server-clock start of the deal window counted
    positions: int
    orders: int
    deals: int  # deals from date_from on
    account: TerminalAccount

    def trading_state(self) -> tuple[object, ...]:
        """What a sync would write if it changed (equity and margin excluded)."""
        a = self.account
        return (self.account_id, self.positions, self.orders, self.deals, a.balance, a.credit)


def changed(before: Reading, now: Reading, deals_then: int) -> bool:
    """Did anything a sync writes change between two readings? deals_then is
    now's deal count in before's window (the window moves after a sync)."""
    moved = dataclasses.replace(now, deals=deals_then)
    return before.trading_state() != moved.trading_state()


def read_counts(terminal: Terminal, ref: AccountRef, store: JournalStore, tuning: SyncTuning,
                utc_now: float, baseline: Reading | None) -> tuple[Reading, int] | None:
    """A reading and the deal count in the baseline's window, or None while the
    account has never been synced (the start-up sync comes first)."""
    account = terminal.account()
    if ref.login is not None and account.login != ref.login:
        raise AccountMismatch(f"MT5 is logged into {account.login}, not {ref.describe()}.")
    state = store.find_account(account.login, account.server)
    if state is None or state.newest_deal_time_msc is None:
        return None
    clock = clock_for_probe(state, ref.server_timezone if ref.server_timezone != "auto"
                            else tuning.server_timezone)
    window = plan_window(SyncRequest(ref), state, tuning, utc_now, clock)
    # The window ends at the last date the package takes, so it does not move
    # with the clock; it moves only when a sync found newer deals.
    deals = terminal.deals_total(window.date_from, MT5_MAX_TIME)
    deals_then = deals
    if baseline is not None and baseline.date_from != window.date_from:
        deals_then = terminal.deals_total(baseline.date_from, MT5_MAX_TIME)
    reading = Reading(state.account_id, window.date_from, terminal.positions_total(),
                      terminal.orders_total(), deals, account)
    return reading, deals_then


class ProbeConnection:
    """The probe's open connection to one account's terminal, reused between probes."""

    def __init__(self, factory: TerminalFactory) -> None:
        self.factory = factory
        self._conn: tuple[Key, Terminal] | None = None
        self._lock = threading.Lock()

    def terminal(self, ref: AccountRef) -> Terminal:
        key = key_of(ref)
        with self._lock:
            if self._conn is not None and self._conn[0] == key:
                return self._conn[1]
        self.drop()
        terminal = self.factory()
        try:
            terminal.open(dataclasses.replace(ref, mode="attach"))
        except BaseException:
            _close_quietly(terminal)
            raise
        with self._lock:
            self._conn = (key, terminal)
        return terminal

    def drop(self) -> None:
        """Close it (a sync is about to use the package's one pipe)."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            _close_quietly(conn[1])


def key_of(ref: AccountRef) -> Key:
    return (ref.login, ref.server)


def _close_quietly(terminal: Terminal) -> None:
    try:
        terminal.close()
    except Exception:
        log.debug("Closing the probe connection failed", exc_info=True)


