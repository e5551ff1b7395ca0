"""The service: runs syncs for many accounts, one at a time, and tells
listeners what happened. The CLI, the scheduler and the tray all go through
it, so policy (isolation, the Sync Now rate limit, pause, leaving an account
alone while it waits for the user) lives here once.

Qt-free: listeners are plain callables; the UI bridges them to signals.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mt5tray.core.engine import SyncEngine
from mt5tray.core.models import (
    AccountRef,
    SyncRequest,
    SyncResult,
    SyncStatus,
    SyncType,
    Trigger,
)

log = logging.getLogger(__name__)

MANUAL_COOLDOWN_S = 60.0
# How long the schedule leaves an account alone after a failure that needs the
# user (a bad password is then tried once an hour, not every five minutes).
WAIT_FOR_USER_S = 3600.0


@dataclass(frozen=True, slots=True)
class SyncEvent:
    """What listeners hear: a sync started (result None) or finished."""

    kind: str  # "started" | "finished" | "rate_limited"
    account: AccountRef
    result: SyncResult | None = None
    retry_in_s: float | None = None
    # Set on "started": lets the UI show a progress bar for a full import.
    sync_type: SyncType | None = None


Listener = Callable[[SyncEvent], None]


class RateLimited(Exception):
    """Sync Now asked again within the cooldown; says how long to wait."""

    def __init__(self, account: AccountRef, seconds_left: float, name: str | None = None) -> None:
        self.account = account
        self.seconds_left = seconds_left
        super().__init__(
            f"{name or account.describe()} was synced moments ago; Sync Now is available again "
            f"in {int(seconds_left + 0.999)} s."
        )


@dataclass
class SyncService:
    """Owns the engine and the one-sync-at-a-time rule."""

    engine: SyncEngine
    accounts: Callable[[], Sequence[AccountRef]]
    clock: Callable[[], float] = time.monotonic
    cooldown_s: float = MANUAL_COOLDOWN_S
    listeners: list[Listener] = field(default_factory=list)
    paused: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_manual: dict[tuple[int | None, str | None], float] = field(default_factory=dict)
    _running: AccountRef | None = None
    # What the status window shows between syncs: the last result and the
    # failure streak of each account, keyed like the rate limit.
    last_results: dict[tuple[int | None, str | None], SyncResult] = field(default_factory=dict)
    failure_streaks: dict[tuple[int | None, str | None], int] = field(default_factory=dict)
    wait_for_user_s: float = WAIT_FOR_USER_S
    # account -> clock() of its last failure that needs the user
    _needs_user: dict[tuple[int | None, str | None], float] = field(default_factory=dict)
    _manual_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def busy(self) -> bool:
        return self._running is not None

    @property
    def running(self) -> AccountRef | None:
        """The account being synced right now, if any."""
        return self._running

    def last_result(self, account: AccountRef) -> SyncResult | None:
        return self.last_results.get(_key(account))

    def failure_streak(self, account: AccountRef) -> int:
        return self.failure_streaks.get(_key(account), 0)

    def waits_for_user(self, account: AccountRef) -> bool:
        """The schedule leaves this account alone: its last sync failed in a way
        only the user can fix. Sync Now (or a settings change) tries again."""
        since = self._needs_user.get(_key(account))
        return since is not None and self.clock() - since < self.wait_for_user_s

    def user_acted(self, account: AccountRef | None = None) -> None:
        """The user changed an account (or, with None, the settings): schedule
        it again at once."""
        if account is None:
            self._needs_user.clear()
        else:
            self._needs_user.pop(_key(account), None)

    def display_name(self, account: AccountRef) -> str:
        """login@server, also for "the terminal's current account" once a sync
        has read which account that is."""
        last = self.last_results.get(_key(account))
        if account.login is None and last is not None and last.login is not None:
            return f"{last.login}@{last.server}"
        return account.describe()

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def _emit(self, event: SyncEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break syncing
                log.exception("A sync listener failed")

    def seconds_until_manual_allowed(self, account: AccountRef) -> float:
        last = self._last_manual.get(_key(account))
        if last is None:
            return 0.0
        return max(self.cooldown_s - (self.clock() - last), 0.0)

    def reserve_manual(self, account: AccountRef) -> None:
        """Claim this account's Sync Now slot, or raise RateLimited (and tell
        listeners). Cheap and I/O-free, so the GUI can ask before it queues a
        sync on the worker thread and answer a second click at once."""
        with self._manual_lock:
            left = self.seconds_until_manual_allowed(account)
            if left > 0:
                self._emit(SyncEvent("rate_limited", account, retry_in_s=left))
                raise RateLimited(account, left, self.display_name(account))
            self._last_manual[_key(account)] = self.clock()

    def sync_one(
        self,
        account: AccountRef,
        sync_type: SyncType = SyncType.INCREMENTAL,
        trigger: Trigger = Trigger.SCHEDULE,
        history_days: int | None = 30,
        reserved: bool = False,
    ) -> SyncResult:
        """Run one sync now, waiting for any sync already running.
        `reserved`: the caller already claimed the Sync Now slot."""
        if trigger in (Trigger.MANUAL, Trigger.REMOTE) and not reserved:
            self.reserve_manual(account)
        with self._lock:
            self._running = account
            self._emit(SyncEvent("started", account, sync_type=sync_type))
            try:
                result = self.engine.sync(SyncRequest(account, sync_type, trigger, history_days))
            finally:
                self._running = None
        self._remember(account, result)
        _log_sync(account, result)
        self._emit(SyncEvent("finished", account, result))
        return result

    def _remember(self, account: AccountRef, result: SyncResult) -> None:
        key = _key(account)
        self.last_results[key] = result
        self.failure_streaks[key] = 0 if result.ok else self.failure_streaks.get(key, 0) + 1
        if result.needs_action:
            self._needs_user[key] = self.clock()
        else:
            self._needs_user.pop(key, None)

    def sync_all(
        self,
        sync_type: SyncType = SyncType.INCREMENTAL,
        trigger: Trigger = Trigger.SCHEDULE,
        history_days: int | None = 30,
        accounts: Sequence[AccountRef] | None = None,
    ) -> list[SyncResult]:
        """Every account in turn; one account's failure never stops the rest.
        A scheduled or start-up round ends with one summary line in the log."""
        results: list[SyncResult] = []
        started = time.monotonic()
        targets = list(accounts if accounts is not None else self.accounts())
        waiting = 0
        for account in targets:
            if trigger is Trigger.SCHEDULE and self.waits_for_user(account):
                waiting += 1
                log.info("Not syncing %s on schedule: its last sync needs you to act (%s)",
                         account.describe(), self.last_results[_key(account)].error_title)
                continue
            try:
                results.append(self.sync_one(account, sync_type, trigger, history_days))
            except RateLimited as limited:
                log.info("%s", limited)
        if trigger in (Trigger.SCHEDULE, Trigger.STARTUP):
            log.info("%s", round_summary(trigger, len(targets), results, waiting,
                                         time.monotonic() - started))
        return results

    def scheduled_tick(self) -> list[SyncResult]:
        """What the scheduler calls every interval."""
        if self.paused:
            log.info("Automatic sync is paused; skipping this run")
            return []
        return self.sync_all(trigger=Trigger.SCHEDULE)


def _log_sync(account: AccountRef, result: SyncResult) -> None:
    """One line per sync (C3): account, type, trigger, result, counts, duration.
    The counts are SyncResult.summary()'s words; a failure is a warning."""
    who = account.describe() if result.login is None else f"{result.login}@{result.server}"
    line = result.summary()
    if result.status in (SyncStatus.FAILED, SyncStatus.SKIPPED):
        line = (f"{who}: {result.sync_type.value} sync {result.status.value} after "
                f"{result.duration_ms} ms - {result.error or result.error_title or 'no reason'}")
    level = logging.INFO if result.ok else logging.WARNING
    log.log(level, "Sync (%s): %s", result.trigger.value, line)


def round_summary(trigger: Trigger, accounts: int, results: Sequence[SyncResult],
                  waiting: int, seconds: float) -> str:
    """The line a scheduled (or start-up) round ends with."""
    ok = sum(1 for r in results if r.ok)
    failed = len(results) - ok
    name = "Start-up sync" if trigger is Trigger.STARTUP else "Scheduled sync"
    parts = [f"{accounts} account{'s' if accounts != 1 else ''}", f"{ok} succeeded",
             f"{failed} failed"]
    if waiting:
        parts.append(f"{waiting} waiting for you")
    return f"{name} round: " + ", ".join(parts) + f", {seconds:.1f} s in all"


def _key(account: AccountRef) -> tuple[int | None, str | None]:
    return (account.login, account.server)
