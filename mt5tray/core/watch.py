"""Watch mode: a cheap change probe between syncs, so a trade reaches the
journal within seconds instead of at the next 5-minute sync.

Every `interval_s` (2 s) the watcher asks the terminal for a few counts that
move whenever the journal would: `positions_total()`, `orders_total()`,
`history_deals_total()` from the incremental window's start, and the
balance/equity of `account_info()`. No records cross the pipe, so a probe
costs well under a millisecond of the terminal's time.

- A change (a new deal, a position opened or closed, an order placed, a
  balance operation) starts an incremental sync of that account at once,
  debounced: the watcher re-probes after `quiet_s` and syncs when the counts
  have stopped moving (or `max_wait_s` after the first change), so a burst
  of fills is one sync.
- Equity moving alone never syncs; it writes an equity snapshot at most once
  every `equity_every_s`.
- Probes follow the rules of syncs: they run on the sync thread, queued with
  the syncs (the MetaTrader5 package is not thread-safe, design.md
  Threading), so they never overlap one; they check the terminal holds the
  expected account; they never log in (a broker sees every login) and never
  probe a terminal the last sync found closed (MT5's initialize() would start
  it every 2 s); none at all while paused. Their failures are quiet: one log
  line per failure streak, never a failed sync.

Qt-free; imports only the standard library and core.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from mt5tray.core.errors import (
    Mt5TrayError,
    TerminalNotRunning,
    TerminalTimeout,
    TerminalUnavailable,
)
from mt5tray.core.ledger import equity_snapshot_row
from mt5tray.core.models import AccountRef, SyncResult, SyncStatus, SyncType, Trigger
from mt5tray.core.plan import SyncTuning
from mt5tray.core.ports import JournalStore, TerminalFactory
from mt5tray.core.probe import Key, ProbeConnection, Reading, changed, key_of, read_counts
from mt5tray.core.service import SyncEvent, SyncService

log = logging.getLogger(__name__)

# Errors that mean the terminal is gone: probing again would make MT5's
# initialize() try to start it every few seconds. The next sync decides.
_TERMINAL_GONE = (TerminalNotRunning, TerminalTimeout, TerminalUnavailable)
_TERMINAL_GONE_TITLES = tuple(e.title for e in _TERMINAL_GONE)

Submit = Callable[[Callable[[], object], str], None]


@dataclass
class _AccountWatch:
    """The watcher's memory of one account."""

    baseline: Reading | None = None
    changed_at: float | None = None  # clock() of the first change not yet synced
    equity_written_at: float | None = None
    equity_written: float | None = None
    failing: bool = False  # in a probe failure streak (logged once)
    resting: bool = False  # the terminal is gone: wait for the next good sync


@dataclass
class Watcher:
    """Probes the enabled accounts between syncs and syncs them on a change."""

    service: SyncService
    terminal_factory: TerminalFactory
    store: JournalStore
    tuning: Callable[[], SyncTuning] = SyncTuning
    interval_s: float = 2.0
    quiet_s: float = 0.5
    max_wait_s: float = 2.0
    equity_every_s: float = 60.0
    enabled: bool = True
    clock: Callable[[], float] = time.monotonic
    utc: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self._accounts: dict[Key, _AccountWatch] = {}
        self._connection = ProbeConnection(self.terminal_factory)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._submit: Submit | None = None
        self.probes = 0  # rounds run (the benchmark and tests read it)
        self.service.subscribe(self._on_sync_event)

    # --- life cycle -------------------------------------------------------------

    def start(self, submit: Submit) -> None:
        """Probe from now on; `submit(func, name)` runs func on the sync thread."""
        if self._thread is not None:
            return
        self._submit = submit
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="mt5tray-watch", daemon=True)
        self._thread.start()
        log.info("Watch mode %s: probing every %.1f s", "on" if self.enabled else "off",
                 self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=10)
        self._connection.drop()

    def configure(self, enabled: bool, interval_s: float) -> None:
        """Apply the settings at once (the next probe follows them)."""
        if (enabled, interval_s) != (self.enabled, self.interval_s):
            log.info("Watch mode %s (probe every %.1f s)", "on" if enabled else "off",
                     interval_s)
        self.enabled, self.interval_s = enabled, interval_s
        if not enabled:
            self._connection.drop()

    def _loop(self) -> None:
        while not self._stop.wait(self._next_delay()):
            if not self.enabled or self.service.paused or self._submit is None:
                continue
            done = threading.Event()
            self._submit(functools.partial(self._round_then_signal, done), "watch probe")
            while not done.wait(0.5):  # queued behind a sync: wait, never pile up
                if self._stop.is_set():
                    return

    def _round_then_signal(self, done: threading.Event) -> None:
        try:
            self.probe_round()
        finally:
            done.set()

    def _next_delay(self) -> float:
        settling = any(w.changed_at is not None for w in self._accounts.values())
        return self.quiet_s if settling else self.interval_s

    # --- one round, on the sync thread ------------------------------------------------

    def probe_round(self) -> list[SyncResult]:
        """Probe every account once; sync those whose change has settled."""
        if not self.enabled or self.service.paused or self.service.busy:
            return []
        self.probes += 1
        due: list[AccountRef] = []
        for ref in self.service.accounts():
            if self._probe(ref):
                due.append(ref)
        results = []
        for ref in due:
            if self.service.paused:
                break
            self._watch(ref).changed_at = None
            log.info("Watch mode: %s changed in the terminal; syncing now", ref.describe())
            results.append(self.service.sync_one(ref, SyncType.INCREMENTAL, Trigger.WATCH))
        return results

    def _probe(self, ref: AccountRef) -> bool:
        """Probe one account; True when it should be synced now."""
        watch = self._watch(ref)
        if not self._may_probe(ref, watch):
            return False
        try:
            found = self._read(ref, watch.baseline)
        except Mt5TrayError as exc:
            self._probe_failed(ref, watch, exc)
            return False
        if watch.failing:
            watch.failing = False
            log.info("Watch mode: probing %s again", ref.describe())
        if found is None:  # never synced: the start-up sync comes first
            return False
        reading, deals_then = found
        before, watch.baseline = watch.baseline, reading
        now = self.clock()
        if before is not None and changed(before, reading, deals_then):
            watch.changed_at = watch.changed_at or now
            return now - watch.changed_at >= self.max_wait_s
        if watch.changed_at is not None:
            return True  # quiet since the last probe: the burst is over
        if before is not None:
            self._maybe_record_equity(watch, before, reading, now)
        return False

    def _may_probe(self, ref: AccountRef, watch: _AccountWatch) -> bool:
        last = self.service.last_result(ref)
        if last is None or self.service.waits_for_user(ref):
            return False  # not synced yet, or its last sync needs the user
        if last.status is SyncStatus.FAILED and last.error_title in _TERMINAL_GONE_TITLES:
            return False  # "terminal not running": leave it to the schedule
        return not watch.resting

    def _read(self, ref: AccountRef, baseline: Reading | None
              ) -> tuple[Reading, int] | None:
        return read_counts(self._connection.terminal(ref), ref, self.store, self.tuning(),
                           self.utc(), baseline)

    def _probe_failed(self, ref: AccountRef, watch: _AccountWatch, exc: Mt5TrayError) -> None:
        self._connection.drop()
        if isinstance(exc, _TERMINAL_GONE):
            watch.resting = True
        if not watch.failing:
            watch.failing = True
            log.info("Watch mode cannot probe %s (%s); it syncs on schedule meanwhile",
                     ref.describe(), exc)

    def _maybe_record_equity(self, watch: _AccountWatch, before: Reading, reading: Reading,
                             now: float) -> None:
        equity = reading.account.equity
        if watch.equity_written is None:
            # A sync wrote the last snapshot: about what the probe before it saw.
            watch.equity_written = before.account.equity
        if equity == watch.equity_written:
            return
        if watch.equity_written_at is not None and \
                now - watch.equity_written_at < self.equity_every_s:
            return
        stamp = datetime.fromtimestamp(self.utc(), tz=timezone.utc)
        snapshot = equity_snapshot_row(reading.account_id, reading.account,
                                       stamp.isoformat(timespec="milliseconds"))
        try:
            self.store.record_equity(snapshot)
        except Mt5TrayError as exc:
            log.info("Watch mode could not record the equity snapshot: %s", exc)
            return
        watch.equity_written_at, watch.equity_written = now, equity

    def _on_sync_event(self, event: SyncEvent) -> None:
        """A sync opens (and at its end shuts) the package's one pipe: hand it
        over before it starts; after a good one, probe a rested account again."""
        if event.kind == "started":
            self._connection.drop()
        elif event.kind == "finished" and event.result is not None:
            watch = self._watch(event.account)
            if event.result.status is not SyncStatus.FAILED:
                watch.resting = False
                watch.equity_written_at, watch.equity_written = self.clock(), None

    def _watch(self, ref: AccountRef) -> _AccountWatch:
        return self._accounts.setdefault(key_of(ref), _AccountWatch())

