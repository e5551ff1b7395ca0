"""What the tray shows and says: the state icon, the tooltip, notifications.

Policy, so it lives here (Qt-free, unit-testable) and the tray only paints
it. The rules users notice:
- the terminal being closed is normal at login while MT5 starts: for a grace
  period it reads "waiting for the terminal" rather than an error;
- a failure is announced once per failure streak and once on recovery, never
  every interval; a manual sync always reports its result with its counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from mt5tray.core.errors import TerminalNotRunning, TerminalTimeout, TerminalUnavailable
from mt5tray.core.models import SyncCounts, SyncResult, SyncStatus, Trigger

STARTUP_GRACE_S = 120.0
# Titles of errors that mean "the terminal is not there (yet)".
_WAITABLE = (TerminalNotRunning.title, TerminalTimeout.title)
_TERMINAL_OFF = (*_WAITABLE, TerminalUnavailable.title)


@dataclass(frozen=True)
class TrayHealth:
    """The icon state (a resources.ICON_STATES name), a headline and detail."""

    state: str
    headline: str
    detail: str = ""


def overall_health(
    results: list[SyncResult | None],
    busy: bool,
    paused: bool,
    uptime_s: float,
    pending_uploads: int = 0,
    grace_s: float = STARTUP_GRACE_S,
    quarantined_uploads: int = 0,
) -> TrayHealth:
    """The one state for the tray, from every account's last result."""
    if busy:
        return TrayHealth("syncing", "Syncing…")
    if paused:
        return TrayHealth("paused", "Automatic sync paused")
    known = [r for r in results if r is not None]
    if not known:
        return TrayHealth("syncing", "Waiting for the first sync")
    failed = [r for r in known if r.status is SyncStatus.FAILED]
    for result in failed:
        if result.error_title in _TERMINAL_OFF:
            if result.error_title in _WAITABLE and uptime_s < grace_s:
                return TrayHealth("syncing", "Waiting for the MT5 terminal to start",
                                  result.error or "")
            return TrayHealth("terminal_off", result.error_title or "MT5 unavailable",
                              result.error or "")
    if failed:
        first = failed[0]
        return TrayHealth("error", first.error_title or "Sync failed", first.error or "")
    partial = [r for r in known if r.status is SyncStatus.PARTIAL]
    if partial:
        return TrayHealth("warning", "Last sync was partial", partial[0].error or "")
    if quarantined_uploads:
        return TrayHealth("warning", f"{quarantined_uploads} rows could not be uploaded",
                          "Supabase refused them or they could not be read; they are set "
                          "aside and the rest keep uploading. See `mt5tray uploads status`.")
    if pending_uploads:
        return TrayHealth("warning", f"{pending_uploads} rows waiting to upload")
    return TrayHealth("ok", "Journal up to date")


def relative_time(when: datetime | None, now: datetime | None = None) -> str:
    """'just now', '3 min ago', 'in 4 min', '2 h ago'."""
    if when is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    seconds = (when - now).total_seconds()
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 45:
        return "in a moment" if future else "just now"
    if seconds < 3600:
        text = f"{round(seconds / 60)} min"
    elif seconds < 86400:
        text = f"{round(seconds / 3600)} h"
    else:
        text = f"{round(seconds / 86400)} d"
    return f"in {text}" if future else f"{text} ago"


def tooltip(health: TrayHealth, last: SyncResult | None, next_run: datetime | None) -> str:
    """Short (Windows truncates tooltips at ~127 characters)."""
    lines = [f"mt5tray: {health.headline}"]
    if last is not None:
        lines.append(f"Last sync {relative_time(last.finished_at)}: {last.status.value}")
    if next_run is not None:
        lines.append(f"Next sync {relative_time(next_run)}")
    return "\n".join(lines)[:127]


def describe_counts(counts: SyncCounts) -> str:
    """'2 new deals, 3 positions updated, 1 closed' (or 'nothing new')."""
    parts = []
    if counts.deals_inserted:
        parts.append(f"{counts.deals_inserted} new deals")
    positions = [(counts.positions_created, "opened"), (counts.positions_updated, "updated"),
                 (counts.positions_closed, "closed")]
    words = [f"{n} {verb}" for n, verb in positions if n]
    if words:
        words[0] = f"{words[0].split()[0]} positions {words[0].split()[1]}"
        parts.extend(words)
    return ", ".join(parts) if parts else "nothing new"


@dataclass(frozen=True)
class Notice:
    title: str
    message: str
    is_error: bool = False


@dataclass
class NoticePolicy:
    """Decides which finished syncs deserve a notification."""

    failing: set[tuple[int | None, str | None]] = field(default_factory=set)

    def on_result(self, key: tuple[int | None, str | None], result: SyncResult) -> Notice | None:
        manual = result.trigger is Trigger.MANUAL
        who = f"{result.login}@{result.server}" if result.login else "MT5 account"
        if result.status is SyncStatus.FAILED:
            first = key not in self.failing
            self.failing.add(key)
            if first or manual:
                return Notice(result.error_title or "Sync failed", result.error or "", True)
            return None
        recovered = key in self.failing
        self.failing.discard(key)
        if manual:
            return Notice(f"{who} synced", describe_counts(result.counts))
        if recovered:
            return Notice("Sync working again", f"{who}: {describe_counts(result.counts)}")
        return None
