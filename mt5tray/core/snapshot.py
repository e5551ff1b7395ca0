"""Immutable pictures of the agent that the windows, the tooltip and the menu
paint (issue 11, B1: the GUI thread never waits on the store, the terminal or
the network).

The publisher (core.publisher) composes them on its own thread; the UI only
reads the latest one. Everything is frozen and made of plain values, so a
snapshot handed to the GUI thread can never change under it or reach back
into the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from mt5tray.core.formatting import countdown, relative

# The colour names of the sync-history strip, by sync_logs.status.
MARK_COLOURS = {"success": "green", "partial": "amber", "failed": "red",
                "skipped": "gray", "running": "blue"}


@dataclass(frozen=True, slots=True)
class PositionLine:
    """One open position as the card lists it."""

    ticket: int
    symbol: str
    side: str
    volume: float | None
    open_price: float | None
    profit: float | None


@dataclass(frozen=True, slots=True)
class SyncMark:
    """One sync of the last 24 h in the strip; `details` is the hover text."""

    at: datetime
    status: str
    details: str

    @property
    def colour(self) -> str:
        return MARK_COLOURS.get(self.status, "gray")


@dataclass(frozen=True, slots=True)
class CardData:
    """What the journal knows about one account (store.local_cards reads it)."""

    account_id: str
    login: int
    server: str
    name: str | None = None
    currency: str | None = None
    balance: float | None = None
    equity: float | None = None
    margin_free: float | None = None
    floating_profit: float | None = None
    today_realized: float | None = None
    server_utc_offset_minutes: int | None = None
    is_active: bool = True
    last_sync_at: datetime | None = None
    last_successful_sync_at: datetime | None = None
    last_connection_error: str | None = None
    positions: tuple[PositionLine, ...] = ()
    # (epoch seconds, value), oldest first; the last 90 days.
    equity_curve: tuple[tuple[float, float], ...] = ()
    balance_curve: tuple[tuple[float, float], ...] = ()
    marks: tuple[SyncMark, ...] = ()
    server_clock: str | None = None  # core.clock_text.server_clock_line


@dataclass(frozen=True, slots=True)
class Totals:
    syncs: int = 0
    successful: int = 0
    failed: int = 0
    deals_synced: int = 0
    positions_closed: int = 0


@dataclass(frozen=True, slots=True)
class StoreFacts:
    """The slow half of a snapshot: read from the journal and the optional hooks."""

    cards: dict[tuple[int, str], CardData] = field(default_factory=dict)
    totals: Totals = field(default_factory=Totals)
    pending_uploads: int = 0
    quarantined_uploads: int = 0
    signed_in_user: str | None = None
    supabase_warning: str | None = None
    upload_cause: str | None = None
    read_at: datetime | None = None
    problem: str | None = None  # the last read failed (e.g. the journal is locked)


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """One account's card: identity, state, schedule and the journal's numbers."""

    login: int | None
    server: str | None
    label: str | None
    state: str  # ok | syncing | failed | partial | skipped | never | switched_off
    last_attempt_at: datetime | None = None
    last_attempt_status: str | None = None
    last_success_at: datetime | None = None
    error_title: str | None = None
    error: str | None = None
    failure_streak: int = 0
    waits_for_user: bool = False
    syncing: bool = False
    manual_allowed_at: datetime | None = None  # Sync Now's cool-down ends (None: free)
    last_summary: str | None = None
    card: CardData | None = None
    # From the journal's server-clock columns (issue 10); None hides the line.
    server_clock: str | None = None

    @property
    def title(self) -> str:
        who = f"{self.login}@{self.server}" if self.login else "The terminal's account"
        name = self.label or (self.card.name if self.card else None)
        return f"{name} · {who}" if name else who


@dataclass(frozen=True, slots=True)
class AppSnapshot:
    """Everything the tray and its windows show, at `taken_at`."""

    taken_at: datetime
    state: str  # the icon: ok, syncing, warning, terminal_off, error, paused
    headline: str
    detail: str = ""
    paused: bool = False
    busy: bool = False
    next_sync_at: datetime | None = None
    accounts: tuple[AccountSnapshot, ...] = ()
    facts: StoreFacts = field(default_factory=StoreFacts)
    terminal_text: str = ""
    supabase_text: str = ""
    supabase_url: str = ""
    dashboard_url: str = ""
    note: str | None = None  # e.g. the configured accounts a simulated session leaves alone

    @property
    def last_success_at(self) -> datetime | None:
        times = [a.last_success_at for a in self.accounts if a.last_success_at]
        return max(times) if times else None

    @property
    def last_attempt(self) -> AccountSnapshot | None:
        tried = [a for a in self.accounts if a.last_attempt_at]
        return max(tried, key=lambda a: a.last_attempt_at) if tried else None  # type: ignore

    def cooldown_left(self, now: datetime | None = None) -> float:
        """Seconds until Sync Now may run for every account (0: now)."""
        now = now or datetime.now(timezone.utc)
        ends = [a.manual_allowed_at for a in self.accounts if a.manual_allowed_at]
        if not ends or len(ends) < len(self.accounts):
            return 0.0
        return max(min(ends).timestamp() - now.timestamp(), 0.0)


def next_sync_text(snapshot: AppSnapshot, account: AccountSnapshot | None,
                   now: datetime | None = None, precise: bool = True) -> str:
    """'Next sync in 1 min 20 s', or why there is none. One function for the
    tooltip and the cards, so they never contradict each other (C4). The
    tooltip is not precise ('Next sync in 5 min'): it is not repainted every second."""
    now = now or datetime.now(timezone.utc)
    accounts = [account] if account is not None else list(snapshot.accounts)
    if account is not None and account.card is not None and not account.card.is_active:
        return "Not synced: switched off in the web journal"
    if any(a.syncing for a in accounts):
        return "Syncing now…"
    if snapshot.paused:
        return "Automatic sync paused"
    if accounts and all(a.waits_for_user for a in accounts):
        return "Waits for you: fix it, then Sync Now"
    if snapshot.next_sync_at is None:
        return "No sync scheduled"
    left = (snapshot.next_sync_at - now).total_seconds()
    if not precise:
        return f"Next sync {relative(snapshot.next_sync_at, now)}"
    return "Next sync in a moment" if left < 1 else f"Next sync in {countdown(left)}"


def last_sync_text(account: AccountSnapshot | AppSnapshot, now: datetime | None = None) -> str:
    """'Last sync 2 min ago' or 'Last attempt failed just now · last success 2 h ago' (C4)."""
    attempt = account.last_attempt if isinstance(account, AppSnapshot) else account
    success = account.last_success_at
    if attempt is None or attempt.last_attempt_at is None:
        return f"Last sync {relative(success, now)}" if success else "Not synced yet"
    if attempt.last_attempt_status == "failed":
        text = f"Last attempt failed {relative(attempt.last_attempt_at, now)}"
        return text + (f" · last success {relative(success, now)}" if success
                       else " · never synced successfully")
    return f"Last sync {relative(success or attempt.last_attempt_at, now)}"
