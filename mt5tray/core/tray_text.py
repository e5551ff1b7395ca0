"""The tray's words from a snapshot: the tooltip and the menu's status line.

Both use core.snapshot's next_sync_text/last_sync_text, as the status window
does, so the three never contradict each other (issue 11, C4).
"""

from __future__ import annotations

from datetime import datetime

from mt5tray.core.formatting import relative
from mt5tray.core.snapshot import AppSnapshot, last_sync_text, next_sync_text

TOOLTIP_MAX = 127  # Windows truncates tray tooltips at about this length

_SHORT = {"ok": "Up to date", "syncing": "Syncing…", "paused": "Paused",
          "warning": "Needs attention", "terminal_off": "MT5 not reachable", "error": "Sync failed"}


def tray_tooltip(snap: AppSnapshot, now: datetime | None = None) -> str:
    """'mt5tray: Journal up to date / Last sync 2 min ago / Next sync in 3 min 10 s'."""
    lines = [f"mt5tray: {snap.headline}"]
    if snap.accounts:
        lines.append(last_sync_text(snap, now))
        if not snap.busy and not snap.paused:  # paused: the headline says it already
            lines.append(next_sync_text(snap, None, now, precise=False))
    text = "\n".join(lines)
    return text if len(text) <= TOOLTIP_MAX else text[: TOOLTIP_MAX - 1] + "…"


def status_line(snap: AppSnapshot, now: datetime | None = None) -> str:
    """The menu's first, disabled item: 'Up to date · synced 2 min ago' (P3)."""
    short = _SHORT.get(snap.state, snap.headline)
    if snap.state == "syncing" and not snap.busy:
        short = snap.headline  # waiting for the first sync or for the terminal
    success = snap.last_success_at
    return f"{short} · synced {relative(success, now)}" if success else f"{short} · not synced yet"
