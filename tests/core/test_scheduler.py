"""The scheduler on the simulated terminal with tiny intervals: it syncs on
its own, never runs two syncs at once (coalescing), pauses and resumes,
reschedules, and runs the optional hooks."""

from __future__ import annotations

import threading
import time

from mt5tray.bootstrap import App
from mt5tray.core.hooks import OptionalJobs
from mt5tray.core.models import Trigger
from mt5tray.core.runtime import Runtime
from mt5tray.core.scheduler import SyncScheduler
from mt5tray.core.service import SyncEvent
from tests.support.slow import slow_down


class Recorder:
    """Listens to the service: finished syncs and the most at once."""

    def __init__(self, app: App, delay: float = 0.0) -> None:
        self.finished: list[SyncEvent] = []
        self.running = self.most = 0
        self.lock = threading.Lock()
        app.service.subscribe(self.on_event)
        if delay:
            slow_down(app, delay)

    def on_event(self, event: SyncEvent) -> None:
        with self.lock:
            if event.kind == "started":
                self.running += 1
                self.most = max(self.most, self.running)
            elif event.kind == "finished":
                self.running -= 1
                self.finished.append(event)


def wait_for(predicate, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_startup_sync_then_interval(app: App) -> None:
    rec = Recorder(app)
    scheduler = SyncScheduler(app.service, interval_s=0.3, jitter_s=0, startup_delay_s=0.05)
    scheduler.start()
    try:
        assert wait_for(lambda: len(rec.finished) >= 3)
    finally:
        scheduler.shutdown()
    triggers = [e.result.trigger for e in rec.finished]  # type: ignore[union-attr]
    assert triggers[0] is Trigger.STARTUP
    assert Trigger.SCHEDULE in triggers[1:]


def test_slow_syncs_never_overlap_and_missed_runs_coalesce(app: App) -> None:
    rec = Recorder(app, delay=0.4)
    scheduler = SyncScheduler(app.service, interval_s=0.05, jitter_s=0, startup_delay_s=0.0)
    scheduler.start()
    runtime = Runtime(app.service, scheduler)
    try:
        time.sleep(0.3)
        runtime.sync_now()  # queued behind the running one, not beside it
        time.sleep(1.2)
    finally:
        scheduler.shutdown()
    assert rec.most == 1
    # ~30 interval ticks passed in 1.5 s; only a handful of syncs ran.
    assert 2 <= len(rec.finished) <= 6
    assert any(e.result.trigger is Trigger.MANUAL for e in rec.finished)  # type: ignore


def test_pause_and_resume(app: App) -> None:
    rec = Recorder(app)
    scheduler = SyncScheduler(app.service, interval_s=0.1, jitter_s=0, startup_delay_s=0.0)
    app.service.paused = True
    scheduler.start()
    try:
        time.sleep(0.5)
        assert rec.finished == [] and scheduler.next_sync_at() is None
        scheduler.resume()
        assert scheduler.next_sync_at() is not None
        assert wait_for(lambda: len(rec.finished) >= 2)
        scheduler.pause()
        time.sleep(0.15)  # let a sync already running finish
        count = len(rec.finished)
        time.sleep(0.5)
        assert len(rec.finished) == count
    finally:
        scheduler.shutdown()


def test_interval_change_reschedules(app: App) -> None:
    rec = Recorder(app)
    scheduler = SyncScheduler(app.service, interval_s=3600, jitter_s=0, startup_delay_s=3600)
    scheduler.start()
    try:
        time.sleep(0.3)
        assert rec.finished == []
        scheduler.set_interval(0.1)
        assert wait_for(lambda: len(rec.finished) >= 2)
    finally:
        scheduler.shutdown()


def test_optional_hooks_run_when_provided(app: App) -> None:
    calls: list[str] = []
    hooks = OptionalJobs(flush_outbox=lambda: calls.append("flush"),
                         heartbeat=lambda: 1 / 0)  # a failing hook is logged, not fatal
    scheduler = SyncScheduler(app.service, 3600, hooks, startup_delay_s=3600,
                              hook_intervals_s={"flush_outbox": 0.05, "heartbeat": 0.05})
    scheduler.start()
    try:
        assert wait_for(lambda: len(calls) >= 3)
    finally:
        scheduler.shutdown()


def test_a_local_store_app_offers_no_supabase_hooks(app: App) -> None:
    assert app.hooks.flush_outbox is None and app.hooks.sign_in is None
    assert app.hooks.pending() == 0
    assert OptionalJobs(pending_uploads=lambda: 7).pending() == 7


def test_manual_rate_limit_is_answered_at_once(app: App) -> None:
    scheduler = SyncScheduler(app.service, 3600, startup_delay_s=3600)
    scheduler.start()
    runtime = Runtime(app.service, scheduler)
    try:
        assert runtime.sync_now() == []
        limited = runtime.sync_now()
        assert len(limited) == 1 and 59 <= limited[0].seconds_left <= 60
    finally:
        scheduler.shutdown()


def test_pausing_tells_the_web_journal_at_once(app: App) -> None:
    paused_when_beating: list[bool] = []
    hooks = OptionalJobs(heartbeat=lambda: paused_when_beating.append(app.service.paused))
    scheduler = SyncScheduler(app.service, 3600, hooks, startup_delay_s=3600)
    scheduler.start()
    runtime = Runtime(app.service, scheduler, hooks)
    try:
        runtime.set_paused(True)
        assert wait_for(lambda: paused_when_beating == [True])
        runtime.set_paused(False)
        assert wait_for(lambda: paused_when_beating == [True, False])
    finally:
        scheduler.shutdown()
