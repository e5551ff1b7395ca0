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
from datetime import datetime

from mt5tray.core.errors import TerminalNotRunning, TerminalTimeout, TerminalUnavailable
from mt5tray.core.formatting import count, relative
from mt5tray.core.models import SyncResult, SyncStatus, Trigger
from mt5tray.core.sync_text import describe_counts, is_first_import

__all__ = ["describe_counts", "overall_health", "relative_time", "tooltip", "Notice",
           "NoticePolicy", "TrayHealth"]

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
    upload_cause: str | None = None,
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
        return TrayHealth("warning", f"{count(quarantined_uploads, 'row')} could not be uploaded",
                          "Supabase refused them or they could not be read; they are set "
                          "aside and the rest keep uploading. See `mt5tray uploads status`.")
    if pending_uploads:
        waiting = f"{count(pending_uploads, 'row')} waiting to upload"
        # The cause in the headline (issue 11, C8): "...: not signed in to Supabase".
        return TrayHealth("warning", f"{waiting}: {upload_cause}" if upload_cause else waiting,
                          upload_cause or "")
    return TrayHealth("ok", "Journal up to date")


def relative_time(when: datetime | None, now: datetime | None = None) -> str:
    """'just now', '3 min ago', 'in 4 min', '2 h ago' (core.formatting.relative)."""
    return relative(when, now)


def tooltip(health: TrayHealth, last: SyncResult | None, next_run: datetime | None) -> str:
    """Short (Windows truncates tooltips at ~127 characters)."""
    lines = [f"mt5tray: {health.headline}"]
    if last is not None:
        lines.append(f"Last sync {relative_time(last.finished_at)}: {last.status.value}")
    if next_run is not None:
        lines.append(f"Next sync {relative_time(next_run)}")
    return "\n".join(lines)[:127]


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
        first_import = is_first_import(result)
        counts = describe_counts(result.counts, result.deals_read, first_import)
        if manual:
            done = ("imported" if first_import else
                    "fully resynced" if result.sync_type.value == "full" else "synced")
            return Notice(f"{who} {done}", counts)
        if recovered:
            return Notice("Sync working again", f"{who}: {counts}")
        if first_import:  # the first import is not silent (UX review P8)
            return Notice(f"{who}: journal ready", counts)
        return None
