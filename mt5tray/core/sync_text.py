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


def describe_counts(counts: SyncCounts, deals_read: int | None = None,
                    first_import: bool = False) -> str:
    """'2 new deals, 1 position opened, 8 open positions refreshed' (or 'nothing new')."""
    parts = []
    if first_import:
        parts.append(f"imported {count(counts.deals_inserted, 'deal')}")
    elif deals_read is not None:
        parts.append(f"re-read {count(deals_read, 'deal')}")
    if not first_import and (counts.deals_inserted or deals_read is not None):
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


def is_first_import(result: SyncResult) -> bool:
    """A full sync in which every deal it read was new: the journal had none."""
    return (result.sync_type.value == "full" and bool(result.deals_read)
            and result.counts.deals_inserted == result.deals_read)


def sync_kind(result: SyncResult) -> str:
    """'First import', 'Full resync' or 'Sync' (an incremental one)."""
    if is_first_import(result):
        return "First import"
    return "Full resync" if result.sync_type.value == "full" else "Sync"


def result_line(result: SyncResult) -> str:
    """One line per account: '5090001@MT5Tray-Demo: sync succeeded in 70 ms - ...'."""
    who = f"{result.login}@{result.server}" if result.login else "the terminal's account"
    status = result.status.value
    if status in ("failed", "skipped"):
        return f"{who}: {sync_kind(result).lower()} {status} - {result.error or 'no reason given'}"
    verb = "succeeded" if status == "success" else "partly succeeded"
    text = (f"{who}: {sync_kind(result).lower()} {verb} in {duration_ms(result.duration_ms)} - "
            f"{describe_counts(result.counts, result.deals_read, is_first_import(result))}")
    if result.error:
        text += f" (warning: {result.error})"
    removed = result.cleaned.get("nul_characters_removed")
    if removed:
        text += f" ({count(removed, 'NUL character')} removed from text)"
    return text
