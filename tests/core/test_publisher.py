"""The snapshot publisher (issue 11, B1), headless: it composes on its own
thread, publishes the state before the journal has been read, keeps the last
numbers when the journal cannot be read, and follows sync events."""

from __future__ import annotations

import sqlite3
import threading
import time

from mt5tray.bootstrap import App
from mt5tray.core.models import Trigger
from mt5tray.core.publisher import SnapshotPublisher
from mt5tray.core.runtime import Runtime
from mt5tray.core.scheduler import SyncScheduler
from mt5tray.core.snapshot import AppSnapshot, next_sync_text
from mt5tray.core.tray_text import status_line, tray_tooltip
from mt5tray.store.local_cards import read_store_facts


class Seen:
    def __init__(self, publisher: SnapshotPublisher) -> None:
        self.snapshots: list[AppSnapshot] = []
        self.threads: set[str] = set()
        publisher.subscribe(self.on)

    def on(self, snapshot: AppSnapshot) -> None:
        self.threads.add(threading.current_thread().name)
        self.snapshots.append(snapshot)

    def wait(self, test, timeout: float = 5.0) -> AppSnapshot:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for snapshot in reversed(self.snapshots):
                if test(snapshot):
                    return snapshot
            time.sleep(0.01)
        raise AssertionError("no such snapshot was published")


def runtime_of(app: App) -> Runtime:
    return Runtime(app.service, SyncScheduler(app.service, 300.0, app.hooks))


def test_cards_come_from_the_journal_on_the_publishers_thread(app: App) -> None:
    runtime = runtime_of(app)
    publisher = SnapshotPublisher(runtime, lambda cards, previous: read_store_facts(
        app.store, app.hooks, cards=cards, previous=previous))
    seen = Seen(publisher)
    publisher.want_cards(True)
    publisher.start()
    try:
        app.service.sync_one(runtime.accounts()[0], trigger=Trigger.CLI)
        snap = seen.wait(lambda s: s.accounts and s.accounts[0].card is not None)
        row = app.store.query("SELECT balance, currency FROM trading_accounts")[0]
        assert snap.accounts[0].card.balance == row[0]
        assert snap.facts.totals.syncs == 1 and snap.state == "ok"
        assert seen.threads == {"snapshot-publisher"}
    finally:
        publisher.stop()


def test_the_state_is_published_while_the_journal_read_waits(app: App) -> None:
    runtime = runtime_of(app)
    release = threading.Event()

    def stuck(cards, previous):
        release.wait(10)  # as a store lock held through SQLite's busy timeout would
        return read_store_facts(app.store, app.hooks)

    publisher = SnapshotPublisher(runtime, stuck, interval_s=0.05, read_every_s=0.05)
    seen = Seen(publisher)
    publisher.start()
    try:
        seen.wait(lambda s: not s.paused)
        runtime.service.paused = True  # while the reader is stuck in its first read
        publisher.poke()
        started = time.monotonic()
        snap = seen.wait(lambda s: s.paused and s.state == "paused", timeout=1.0)
        assert time.monotonic() - started < 0.5 and not release.is_set()
        release.set()
        assert tray_tooltip(snap).startswith("mt5tray: Automatic sync paused")
        assert next_sync_text(snap, None) == "Automatic sync paused"
        assert status_line(snap).startswith("Paused · ")
    finally:
        release.set()
        publisher.stop()


def test_a_journal_that_cannot_be_read_keeps_the_last_numbers(app: App) -> None:
    runtime = runtime_of(app)
    app.service.sync_one(runtime.accounts()[0], trigger=Trigger.CLI)
    fail = threading.Event()

    def read(cards, previous):
        if fail.is_set():
            raise sqlite3.OperationalError("database is locked")
        return read_store_facts(app.store, app.hooks)

    publisher = SnapshotPublisher(runtime, read, interval_s=0.05, read_every_s=0.05)
    seen = Seen(publisher)
    publisher.start()
    try:
        good = seen.wait(lambda s: s.accounts and s.accounts[0].card is not None)
        fail.set()
        bad = seen.wait(lambda s: s.facts.problem is not None)
        assert bad.accounts[0].card == good.accounts[0].card
        assert "another program may be using it" in bad.facts.problem
        assert "OperationalError" not in bad.facts.problem
    finally:
        publisher.stop()


def test_cards_are_read_only_while_wanted_and_after_a_change(app: App) -> None:
    """An idle tray with no window open reads only the cheap counters."""
    runtime = runtime_of(app)
    app.service.sync_one(runtime.accounts()[0], trigger=Trigger.CLI)
    reads: list[bool] = []

    def read(cards, previous):
        reads.append(cards)
        return read_store_facts(app.store, app.hooks, cards=cards, previous=previous)

    publisher = SnapshotPublisher(runtime, read, interval_s=0.02, read_every_s=0.02)
    seen = Seen(publisher)
    publisher.start()
    try:
        time.sleep(0.3)
        assert reads and not any(reads)  # nobody looks: no cards
        assert not publisher.latest.accounts[0].card
        publisher.want_cards(True)  # the status window opened
        seen.wait(lambda s: s.accounts[0].card is not None)
        time.sleep(0.3)
        assert reads.count(True) == 1  # the timer alone does not re-read them
        app.service.sync_one(runtime.accounts()[0], trigger=Trigger.CLI)  # a change
        seen.wait(lambda s: s.facts.totals.syncs == 2)
        after_sync = reads.count(True)
        assert 2 <= after_sync <= 3  # its "started" and "finished" events both poke
        publisher.want_cards(False)
        publisher.poke()
        time.sleep(0.2)
        assert reads.count(True) == after_sync
        assert publisher.latest.accounts[0].card is not None  # the last numbers stay
    finally:
        publisher.stop()
