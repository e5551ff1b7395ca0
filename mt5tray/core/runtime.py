"""The running agent, headless: service + scheduler + optional hooks.

What the tray's menu and windows call. It turns a click into work queued on
the sync thread and answers at once (a rate limit is raised here, on the
caller's thread, before anything is queued). Qt-free so that the same
object can drive a headless agent and is tested without a screen.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from mt5tray.core.health import STARTUP_GRACE_S, TrayHealth, overall_health
from mt5tray.core.hooks import OptionalJobs
from mt5tray.core.models import AccountRef, SyncResult, SyncType, Trigger
from mt5tray.core.scheduler import SyncScheduler
from mt5tray.core.service import RateLimited, SyncService

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    service: SyncService
    scheduler: SyncScheduler
    hooks: OptionalJobs = field(default_factory=OptionalJobs)
    grace_s: float = STARTUP_GRACE_S
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.started or self.clock()

    def accounts(self) -> list[AccountRef]:
        return list(self.service.accounts())

    # --- actions (return at once; the work runs on the sync thread) -------------

    def sync_now(self, accounts: Sequence[AccountRef] | None = None) -> list[RateLimited]:
        """Queue a manual incremental sync; the accounts synced moments ago are
        returned as RateLimited (with the seconds left), not queued."""
        return self._queue(accounts, SyncType.INCREMENTAL, None)

    def full_resync(
        self, history_days: int | None, accounts: Sequence[AccountRef] | None = None
    ) -> list[RateLimited]:
        """Re-import `history_days` of history (None: all of it)."""
        return self._queue(accounts, SyncType.FULL, history_days)

    def _queue(
        self, accounts: Sequence[AccountRef] | None, sync_type: SyncType, days: int | None
    ) -> list[RateLimited]:
        limited: list[RateLimited] = []
        for account in accounts if accounts is not None else self.accounts():
            try:
                self.service.reserve_manual(account)
            except RateLimited as exc:
                limited.append(exc)
                continue
            self.scheduler.submit(
                partial(self.service.sync_one, account, sync_type, Trigger.MANUAL, days,
                        reserved=True),
                name=f"{sync_type.value} sync of {account.describe()}",
            )
        return limited

    @property
    def paused(self) -> bool:
        return self.service.paused

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.scheduler.pause()
        else:
            self.scheduler.resume()
        if self.hooks.heartbeat is not None:  # the web journal shows "paused" at once
            self.scheduler.submit(self.hooks.heartbeat, name="heartbeat")

    # --- what to show -------------------------------------------------------------

    def uptime_s(self) -> float:
        return self.clock() - self.started

    def results(self) -> list[SyncResult | None]:
        return [self.service.last_result(a) for a in self.accounts()]

    def latest_result(self) -> SyncResult | None:
        known = [r for r in self.results() if r is not None and r.finished_at is not None]
        return max(known, key=lambda r: r.finished_at) if known else None  # type: ignore

    def health(self) -> TrayHealth:
        return overall_health(self.results(), self.service.busy, self.service.paused,
                              self.uptime_s(), self.hooks.pending(), self.grace_s,
                              self.hooks.quarantined())

    def next_sync_at(self) -> datetime | None:
        return self.scheduler.next_sync_at()

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=True)
