"""The agent's heartbeat in Supabase, and the web app's is_active read back.

So that the web journal can tell "agent offline", "agent paused" and "account
not synced by any agent" apart, each install keeps one row in `agents` (host,
version, paused, intervals, the accounts it syncs, pending uploads; the
server stamps last_seen_at). A heartbeat:

1. reads `trading_accounts.is_active` of the accounts this agent syncs and
   mirrors it into the local journal, where the engine honours it (the next
   sync of a switched-off account ends `skipped`, with its sync_logs row);
2. stamps agent_last_seen_at/version/host on those of them that are active,
   and only those: not every account the journal has ever seen;
3. uploads, then upserts the `agents` row (the remote ids exist only once
   the accounts have been uploaded).

"The accounts this agent syncs" are the configured ones it knows locally, or
in attach mode the account the terminal was last synced as.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, cast

from mt5tray.core.engine import AgentInfo
from mt5tray.core.scheduler import HOOK_INTERVALS_S
from mt5tray.core.service import SyncService
from mt5tray.store.outbox import OutboxingStore
from mt5tray.store.supabase.flush import SupabaseFlusher
from mt5tray.store.supabase.session import SupabaseSession

log = logging.getLogger(__name__)

AGENT_CONFLICT = "user_id,install_id"
# serve-requests heartbeats every 3 minutes, the tray's scheduler every 5; the
# web app calls an agent offline after two of the longer of this and the sync
# interval without a word.
HEARTBEAT_EVERY_S = 180.0
REPORTED_HEARTBEAT_S = int(max(HOOK_INTERVALS_S["heartbeat"], HEARTBEAT_EVERY_S))


def synced_account_ids(service: SyncService, store: OutboxingStore) -> list[str]:
    """Local ids of the accounts this agent syncs, active or not."""
    ids: list[str] = []
    for ref in service.accounts():
        local: str | None = None
        if ref.login is None:  # attach mode: whatever the terminal is logged into
            result = service.last_result(ref)
            local = result.account_id if result is not None else None
            if local is None:
                rows = store.query("SELECT id FROM trading_accounts WHERE last_sync_at IS NOT "
                                   "NULL ORDER BY last_sync_at DESC LIMIT 1")
                local = str(rows[0][0]) if rows else None
        elif ref.server:
            state = store.find_account(ref.login, ref.server)
            local = state.account_id if state is not None else None
        if local is not None and local not in ids:
            ids.append(local)
    return ids


def active_ids(store: OutboxingStore, ids: list[str]) -> list[str]:
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = store.query(f"SELECT id FROM trading_accounts WHERE is_active = 1 AND id IN "
                       f"({marks})", ids)
    found = {str(r[0]) for r in rows}
    return [i for i in ids if i in found]


class AgentHeartbeat:
    """Writes this install's `agents` row and mirrors the web app's is_active."""

    def __init__(self, session: SupabaseSession, store: OutboxingStore,
                 flusher: SupabaseFlusher, agent: AgentInfo,
                 sync_interval_s: Callable[[], float]) -> None:
        self.session = session
        self.store = store
        self.flusher = flusher
        self.agent = agent
        self.sync_interval_s = sync_interval_s
        self.started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def refresh_active(self, service: SyncService) -> list[str]:
        """Mirror is_active of the accounts this agent syncs; returns the
        local ids whose flag changed. No request before an account is known
        to Supabase."""
        remote = self._remote_ids(synced_account_ids(service, self.store))
        if not remote:
            return []
        local_of = {r: local for local, r in remote.items()}
        response = self.flusher.with_retries(lambda: self.session.client.table(
            "trading_accounts").select("id,is_active").in_("id", sorted(local_of)).execute())
        rows = cast(list[dict[str, Any]], response.data)
        changed = self.store.outbox.mirror_active(
            {local_of[str(r["id"])]: bool(r["is_active"]) for r in rows})
        for local in changed:
            row = self.store.outbox.account_row(local) or {}
            active = self.store.query("SELECT is_active FROM trading_accounts WHERE id = ?",
                                      (local,))[0][0]
            log.info("Account %s@%s was switched %s in the web journal", row.get("login"),
                     row.get("server"), "on" if active else "off (it will not be synced)")
        return changed

    def stamp(self, service: SyncService) -> int:
        """Stamp the active accounts this agent syncs (queued for upload)."""
        ids = active_ids(self.store, synced_account_ids(service, self.store))
        return self.store.heartbeat(self.agent.version, self.agent.host, ids)

    def write_agent_row(self, service: SyncService) -> dict[str, Any]:
        """Upsert this install's `agents` row; returns what was sent."""
        user_id, _ = self.flusher.with_retries(self.session.user)
        synced = active_ids(self.store, synced_account_ids(service, self.store))
        remote = self._remote_ids(synced)
        row = {
            "user_id": user_id,
            "install_id": self.store.install_id(),
            "host": self.agent.host,
            "version": self.agent.version,
            "paused": service.paused,
            "sync_interval_s": max(int(self.sync_interval_s()), 1),
            "heartbeat_interval_s": REPORTED_HEARTBEAT_S,
            "account_ids": [remote[i] for i in synced if i in remote],
            "pending_uploads": self.store.pending_uploads(),
            "started_at": self.started_at,
        }
        self.flusher.with_retries(lambda: self.session.client.table("agents").upsert(
            row, on_conflict=AGENT_CONFLICT).execute())
        return row

    def _remote_ids(self, local_ids: list[str]) -> dict[str, str]:
        """local id -> remote id, for those known to the signed-in user."""
        user_id, _ = self.flusher.with_retries(self.session.user)
        mapping = self.store.outbox.remote_ids(self.session.url, user_id)
        return {local: mapping[local] for local in local_ids if local in mapping}
