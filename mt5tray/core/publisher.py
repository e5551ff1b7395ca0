"""Composes AppSnapshots on its own threads and hands them to listeners.

Why (issue 11, B1): the status window used to read the journal on the GUI
thread and froze the whole tray for as long as another program held the
journal locked. Now only these threads read, after every sync event or state
change (`poke`) and on a timer. Two threads: the composer publishes at once
from the in-memory state (busy, paused, results, schedule) and the journal
facts of the latest read; the reader reads the journal and hands each read to
the composer. So a locked journal delays the numbers, never the state, and
never the GUI.

An idle tray costs little: the cards (positions, curves, sync strip) are read
only while a window wants them (`want_cards`) and something changed; the
timer otherwise re-reads only the cheap counters the tooltip shows.
Qt-free: listeners are plain callables (ui.bridge turns them into signals).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.health import overall_health
from mt5tray.core.models import AccountRef, SyncStatus
from mt5tray.core.runtime import Runtime
from mt5tray.core.service import SyncEvent
from mt5tray.core.snapshot import AccountSnapshot, AppSnapshot, StoreFacts
from mt5tray.core.status_view import terminal_text

log = logging.getLogger(__name__)
REFRESH_S = 5.0  # compose (memory only) at least this often
# Re-read the journal at least this often. It changes through syncs, which poke
# a read at once; the timer only catches uploads leaving the outbox and keeps an
# idle tray from querying every few seconds.
READ_EVERY_S = 15.0

# read_facts(cards, previous): with cards False, keep previous.cards and totals.
ReadFacts = Callable[[bool, StoreFacts], StoreFacts]
Listener = Callable[[AppSnapshot], None]


class SnapshotPublisher:
    """One worker thread; `latest` is always a complete snapshot."""

    def __init__(self, runtime: Runtime, read_facts: ReadFacts,
                 urls: Callable[[], tuple[str, str]] = lambda: ("", ""),
                 labels: Callable[[], dict[tuple[int | None, str | None], str]] = dict,
                 note: Callable[[], str | None] = lambda: None,
                 interval_s: float = REFRESH_S, read_every_s: float = READ_EVERY_S) -> None:
        self.runtime, self.read_facts, self.urls, self.labels = runtime, read_facts, urls, labels
        self.note = note
        self.interval_s, self.read_every_s = interval_s, read_every_s
        self.listeners: list[Listener] = []
        self._facts = StoreFacts()
        # The terminal's account (login None) as last seen, so a failure that could
        # not name it still shows its card and its last success.
        self._seen: dict[tuple[int | None, str | None], tuple[int, str]] = {}
        self._wake = threading.Event()  # compose and publish
        self._read_wake = threading.Event()  # read the journal again
        self._dirty = True  # something changed since the last full read
        self._want_cards = False
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.latest: AppSnapshot = self.compose()
        runtime.service.subscribe(self._on_event)

    # --- life cycle --------------------------------------------------------------

    def start(self) -> None:
        for target, name in ((self._compose_loop, "snapshot-publisher"),
                             (self._read_loop, "snapshot-reader")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._read_wake.set()
        if self._on_event in self.runtime.service.listeners:
            self.runtime.service.listeners.remove(self._on_event)
        for thread in self._threads:
            thread.join(timeout=2.0)  # a locked journal may hold the reader: it is a daemon

    def poke(self) -> None:
        """Something changed: publish the state now, read the journal again. Never
        blocks (GUI-safe)."""
        self._dirty = True
        self._wake.set()
        self._read_wake.set()

    def want_cards(self, wanted: bool) -> None:
        """A window showing the cards opened (True) or closed (False)."""
        self._want_cards = wanted
        if wanted:
            self.poke()

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def _on_event(self, event: SyncEvent) -> None:
        self.poke()

    # --- the worker ------------------------------------------------------------------

    def _compose_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self._publish(self.compose())
            # Relative times move on by themselves; countdowns are painted from
            # next_sync_at, an absolute time, so this need not tick every second.
            self._wake.wait(self.interval_s)

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            self._read_wake.clear()
            self._facts = self._read()
            self._wake.set()  # the composer publishes the new numbers
            self._read_wake.wait(self.read_every_s)

    def _read(self) -> StoreFacts:
        started = time.monotonic()
        cards = self._want_cards and self._dirty
        if cards:
            self._dirty = False  # a poke during the read marks it dirty again
        try:
            facts = self.read_facts(cards, self._facts)
        except Mt5TrayError as exc:
            return replace(self._facts, problem=exc.message)
        except Exception as exc:  # noqa: BLE001 - e.g. sqlite3.OperationalError: keep going
            log.warning("Could not read the journal for the status window: %s", exc)
            return replace(self._facts, problem="The journal could not be read just now "
                                                "(another program may be using it); the "
                                                "numbers shown are from the last read.")
        if time.monotonic() - started > 2.0:
            log.info("Reading the journal for the status window took %.1f s",
                     time.monotonic() - started)
        return facts

    def _publish(self, snapshot: AppSnapshot) -> None:
        self.latest = snapshot
        for listener in list(self.listeners):
            try:
                listener(snapshot)
            except Exception:  # a broken listener must not stop the publisher
                log.exception("A snapshot listener failed")

    # --- composing (memory only: no store, no terminal, no network) -------------------

    def compose(self) -> AppSnapshot:
        rt, facts = self.runtime, self._facts
        now = datetime.now(timezone.utc)
        results = rt.results()
        health = overall_health(results, rt.service.busy, rt.service.paused, rt.uptime_s(),
                                facts.pending_uploads, rt.grace_s, facts.quarantined_uploads,
                                facts.upload_cause)
        supabase_url, dashboard_url = self.urls()
        labels = self.labels()
        accounts = tuple(self._account(ref, facts, labels, now) for ref in rt.accounts())
        return AppSnapshot(
            taken_at=now, state=health.state, headline=health.headline, detail=health.detail,
            paused=rt.paused, busy=rt.service.busy, next_sync_at=rt.next_sync_at(),
            accounts=accounts, facts=facts, terminal_text=terminal_text(results),
            supabase_text=_supabase_text(facts, supabase_url), supabase_url=supabase_url,
            dashboard_url=dashboard_url, note=self.note())

    def _account(self, ref: AccountRef, facts: StoreFacts,
                 labels: dict[tuple[int | None, str | None], str],
                 now: datetime) -> AccountSnapshot:
        service = self.runtime.service
        result = service.last_result(ref)
        login = ref.login or (result.login if result else None)
        server = ref.server or (result.server if result else None)
        key = (ref.login, ref.server)
        if login and server:
            self._seen[key] = (login, server)
        elif key in self._seen:
            login, server = self._seen[key]
        card = facts.cards.get((login, server)) if login and server else None
        attempted = result is not None and result.status is not SyncStatus.SKIPPED
        success = card.last_successful_sync_at if card else None
        if result is not None and result.ok and result.finished_at and attempted:
            success = max(filter(None, (success, result.finished_at)))
        left = service.seconds_until_manual_allowed(ref)
        running = service.running
        state = ("switched_off" if card is not None and not card.is_active
                 else "syncing" if running is not None and running == ref
                 else result.status.value if result is not None
                 else "ok" if success else "never")
        error_title = result.error_title if result is not None and not result.ok else None
        error = result.error if result is not None and not result.ok else None
        if result is None and card is not None and card.last_connection_error:
            error_title, error = "Last sync failed", card.last_connection_error
        return AccountSnapshot(
            login=login, server=server, label=ref.label or labels.get((login, server)),
            state=state,
            last_attempt_at=result.finished_at if attempted and result else
            (card.last_sync_at if card else None),
            last_attempt_status=result.status.value if attempted and result else
            ("failed" if card and card.last_connection_error else
             "success" if card and card.last_sync_at else None),
            last_success_at=success, error_title=error_title, error=error,
            failure_streak=service.failure_streak(ref), waits_for_user=service.waits_for_user(ref),
            syncing=running is not None and running == ref,
            manual_allowed_at=now + timedelta(seconds=left) if left > 0 else None,
            last_summary=result.summary() if result is not None else None, card=card,
            server_clock=card.server_clock if card else None)


def _supabase_text(facts: StoreFacts, url: str) -> str:
    if not url:
        return "Supabase: not configured (the journal is kept on this computer)"
    user = facts.signed_in_user
    text = f"Supabase: {url} - " + (f"signed in as {user}" if user else "not signed in")
    return f"{text}\n{facts.supabase_warning}" if facts.supabase_warning else text
