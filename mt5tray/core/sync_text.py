"""What one sync did, in a trader's words (notifications, status window, CLI).

Counts mean what they say (issue 11, C5): `positions_updated` counts open
positions whose floating P&L was refreshed, so it reads "8 open positions
refreshed", not "8 positions updated"; `trades_upserted` rewrites the same
open trades, so it is not news on its own. A full resync is named as one and
says how many deals it re-read from the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mt5tray.core.formatting import count, duration_ms, plural

if TYPE_CHECKING:
    from mt5tray.core.models import SyncCounts, SyncResult


def describe_counts(counts: SyncCounts, deals_read: int | None = None) -> str:
    """'2 new deals, 1 position opened, 8 open positions refreshed' (or 'nothing new')."""
    parts = []
    if deals_read is not None:
        parts.append(f"re-read {count(deals_read, 'deal')}")
    if counts.deals_inserted or deals_read is not None:
        parts.append(f"{counts.deals_inserted:,} new {plural('deal', counts.deals_inserted)}")
    if counts.positions_created:
        parts.append(f"{count(counts.positions_created, 'position')} opened")
    if counts.positions_closed:
        parts.append(f"{count(counts.positions_closed, 'position')} closed")
    if counts.positions_updated:
        n = counts.positions_updated
        parts.append(f"{n:,} open {plural('position', n)} refreshed")
    if counts.deals_archived:
        parts.append(f"{count(counts.deals_archived, 'deal')} no longer in the terminal's "
                     "history (kept)")
    return ", ".join(parts) if parts else "nothing new"


def sync_kind(result: SyncResult) -> str:
    """'Full resync' or 'Sync' (an incremental one)."""
    return "Full resync" if result.sync_type.value == "full" else "Sync"


def result_line(result: SyncResult) -> str:
    """One line per account: '5090001@MT5Tray-Demo: sync succeeded in 70 ms - ...'."""
    who = f"{result.login}@{result.server}" if result.login else "the terminal's account"
    status = result.status.value
    if status in ("failed", "skipped"):
        return f"{who}: {sync_kind(result).lower()} {status} - {result.error or 'no reason given'}"
    verb = "succeeded" if status == "success" else "partly succeeded"
    text = (f"{who}: {sync_kind(result).lower()} {verb} in {duration_ms(result.duration_ms)} - "
            f"{describe_counts(result.counts, result.deals_read)}")
    if result.error:
        text += f" (warning: {result.error})"
    removed = result.cleaned.get("nul_characters_removed")
    if removed:
        text += f" ({count(removed, 'NUL character')} removed from text)"
    return text
