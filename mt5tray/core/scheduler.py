"""When syncs run: every N minutes, shortly after start-up, and on demand.

A BackgroundScheduler, not APScheduler's QtScheduler (broken under PySide6,
see testing.md), so this stays Qt-free and testable headless. Every sync
runs on the one thread of the "sync" executor: the MetaTrader5 package is
not safe to call from several threads, and the GUI thread never waits on a
terminal. Interval jobs are coalesced and never overlap (max_instances=1);
a run missed while the machine slept runs once if within the grace time.
The optional Supabase jobs (hooks.py) run on a separate small executor so a
slow network never delays a sync and vice versa.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from mt5tray.core.hooks import OptionalJobs
from mt5tray.core.models import Trigger
from mt5tray.core.service import RateLimited, SyncService
from mt5tray.core.watch import Watcher

log = logging.getLogger(__name__)
# APScheduler logs every job run at INFO: hundreds of lines a day in the log
# window that say nothing the service does not say better.
logging.getLogger("apscheduler").setLevel(logging.WARNING)

SYNC_JOB, STARTUP_JOB = "sync", "startup"
# poll_remote_requests is the fallback of the Realtime subscription
# (hooks.listen_for_requests): it skips its runs while that is live.
HOOK_INTERVALS_S = {"flush_outbox": 60.0, "poll_remote_requests": 15.0, "heartbeat": 300.0}


class SyncScheduler:
    """Owns the APScheduler instance and the jobs the app runs by itself."""

    def __init__(
        self,
        service: SyncService,
        interval_s: float = 300.0,
        hooks: OptionalJobs | None = None,
        jitter_s: float = 15.0,
        startup_delay_s: float = 5.0,
        misfire_grace_s: int = 120,
        hook_intervals_s: dict[str, float] | None = None,
        watcher: Watcher | None = None,
    ) -> None:
        self.service = service
        self.watcher = watcher  # watch mode: probes queued on the sync thread
        self._stop_listening: Callable[[], None] | None = None
        self.interval_s = interval_s
        self.hooks = hooks or OptionalJobs()
        self.jitter_s = jitter_s
        self.startup_delay_s = startup_delay_s
        self.hook_intervals_s = {**HOOK_INTERVALS_S, **(hook_intervals_s or {})}
        self._scheduler = BackgroundScheduler(
            executors={"sync": ThreadPoolExecutor(1), "default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": misfire_grace_s},
        )

    # --- life cycle ------------------------------------------------------------

    def start(self) -> None:
        self._scheduler.add_job(self._tick, self._interval_trigger(), id=SYNC_JOB,
                                executor="sync", name="scheduled sync")
        when = datetime.now().astimezone() + timedelta(seconds=self.startup_delay_s)
        self._scheduler.add_job(self._startup, DateTrigger(when), id=STARTUP_JOB,
                                executor="sync", name="start-up sync")
        for name, every in self.hook_intervals_s.items():
            func = getattr(self.hooks, name, None)
            if func is not None:
                self._scheduler.add_job(_guarded(name, func), IntervalTrigger(seconds=every),
                                        id=name, name=name)
        self._scheduler.start()
        if self.service.paused:
            self._scheduler.pause_job(SYNC_JOB)
        if self.watcher is not None:
            self.watcher.start(self.submit)
        if self.hooks.listen_for_requests is not None:
            self._stop_listening = self.hooks.listen_for_requests(self.submit)
        log.info("Scheduler started: sync every %.0f s", self.interval_s)

    def shutdown(self, wait: bool = True) -> None:
        """Stop; with wait, let a running sync finish so its transaction lands."""
        if self.watcher is not None:
            self.watcher.stop()
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    # --- control ------------------------------------------------------------------

    def submit(self, func: Callable[[], object], name: str = "sync now") -> None:
        """Run `func` on the sync thread as soon as it is free (after any running
        sync). For Sync Now and Full Resync: never blocks the caller."""
        self._scheduler.add_job(_guarded(name, func), executor="sync", name=name,
                                misfire_grace_time=None)

    def pause(self) -> None:
        self.service.paused = True
        if self._scheduler.running and self._scheduler.get_job(SYNC_JOB):
            self._scheduler.pause_job(SYNC_JOB)
        log.info("Automatic sync paused")

    def resume(self) -> None:
        self.service.paused = False
        if self._scheduler.running and self._scheduler.get_job(SYNC_JOB):
            self._scheduler.resume_job(SYNC_JOB)
        log.info("Automatic sync resumed")

    def set_interval(self, interval_s: float) -> None:
        """Apply a new interval from the settings (the next run moves with it)."""
        if interval_s == self.interval_s:
            return
        self.interval_s = interval_s
        if self._scheduler.running and self._scheduler.get_job(SYNC_JOB):
            self._scheduler.reschedule_job(SYNC_JOB, trigger=self._interval_trigger())
            if self.service.paused:
                self._scheduler.pause_job(SYNC_JOB)
        log.info("Sync interval is now %.0f s", interval_s)

    def next_sync_at(self) -> datetime | None:
        """When the next automatic sync runs (None: paused or stopped)."""
        if not self._scheduler.running:
            return None
        times = [job.next_run_time for job_id in (STARTUP_JOB, SYNC_JOB)
                 if (job := self._scheduler.get_job(job_id)) and job.next_run_time]
        return min(times) if times and not self.service.paused else None

    # --- jobs ---------------------------------------------------------------------

    def _interval_trigger(self) -> IntervalTrigger:
        jitter = min(self.jitter_s, self.interval_s / 10) or None
        return IntervalTrigger(seconds=self.interval_s, jitter=jitter)

    def _tick(self) -> None:
        try:
            self.service.scheduled_tick()
        except Exception:
            log.exception("The scheduled sync failed")

    def _startup(self) -> None:
        if self.service.paused:
            return
        try:
            self.service.sync_all(trigger=Trigger.STARTUP)
        except Exception:
            log.exception("The start-up sync failed")


def _guarded(name: str, func: Callable[[], object]) -> Callable[[], None]:
    """A job that logs instead of raising: APScheduler would only log it less clearly."""

    def run() -> None:
        try:
            func()
        except RateLimited as limited:
            log.info("%s", limited)
        except Exception:
            log.exception("The %s job failed", name)

    return run
