"""Read-only summaries of the local journal for `mt5tray status` and the
status window: each account's latest sync and failure streak, and totals."""

from __future__ import annotations

from typing import Any

from mt5tray.core.clock_text import server_clock_line
from mt5tray.store.local import LocalStore

_TOTALS_SQL = """
SELECT count(*) AS syncs,
       coalesce(sum(status IN ('success', 'partial')), 0) AS successful,
       coalesce(sum(status = 'failed'), 0) AS failed,
       coalesce(sum(positions_created), 0) AS positions_created,
       coalesce(sum(positions_updated), 0) AS positions_updated,
       coalesce(sum(positions_closed), 0) AS positions_closed,
       coalesce(sum(deals_inserted), 0) AS deals_synced
FROM sync_logs
"""

_ACCOUNT_FIELDS = (
    "id", "login", "server", "name", "currency", "balance", "equity", "margin",
    "margin_free", "server_utc_offset_minutes", "last_sync_at", "last_successful_sync_at",
    "last_connection_error", "sync_failure_count", "is_active",
    "server_timezone", "server_timezone_source", "server_timezone_checked_at",  # issue 10
)


def status_summary(store: LocalStore, pending_uploads: int = 0) -> dict[str, Any]:
    """Per account: snapshot, health and last sync; then the totals."""
    accounts = []
    for account in store.list_accounts():
        entry = {field: account.get(field) for field in _ACCOUNT_FIELDS}
        entry["account_id"] = entry.pop("id")
        entry["is_active"] = bool(entry["is_active"])
        entry["server_clock"] = server_clock_line(account)  # e.g. "Server clock GMT+2/+3 ..."
        latest = store.sync_logs(account["id"], limit=1)
        entry["last_sync"] = _log_summary(latest[0]) if latest else None
        accounts.append(entry)
    totals = dict(store.query(_TOTALS_SQL)[0])
    totals["pending_uploads"] = pending_uploads
    return {"accounts": accounts, "totals": totals}


def _log_summary(log: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id", "sync_type", "trigger", "status", "started_at", "finished_at", "duration_ms",
        "positions_created", "positions_updated", "positions_closed", "deals_inserted",
        "trades_upserted", "error",
    )
    summary = {k: log.get(k) for k in keys}
    summary["sync_id"] = summary.pop("id")
    return summary
