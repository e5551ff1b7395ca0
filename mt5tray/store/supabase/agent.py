"""What the tray, the scheduler and the CLI call in Supabase mode, in one object.

`SupabaseAgent` ties the session, the outbox flusher, the heartbeat and the
remote Sync Now poller together and keeps the last upload error for the
status window. Nothing here blocks the GUI thread by itself: callers run it
on the scheduler's worker thread.

    agent.tick(service)        every minute: heartbeat when due, flush, serve requests
    agent.flush()              after each sync (bootstrap subscribes it)
    agent.poll_requests(svc)   remote Sync Now only
    agent.heartbeat(svc)       read back is_active, stamp the accounts it syncs,
                               upload, write its `agents` row (heartbeat.py)
    agent.pending_uploads()    rows waiting in the outbox
    agent.upload_state()       pending, set-aside (quarantined) rows, last error
    agent.signed_in_user()     email of the signed-in user, or None
    agent.service_role_warning()  text to show when a secret key is configured
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mt5tray.core.engine import AgentInfo
from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.service import SyncEvent, SyncService
from mt5tray.store.outbox import DEFAULT_BATCH_ROWS, OutboxingStore
from mt5tray.store.supabase.flush import SupabaseFlusher
from mt5tray.store.supabase.heartbeat import (
    HEARTBEAT_EVERY_S,
    AgentHeartbeat,
    active_ids,
    synced_account_ids,
)
from mt5tray.store.supabase.requests import RemoteOutcome, RemoteRequests
from mt5tray.store.supabase.session import SupabaseSession

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = HEARTBEAT_EVERY_S
SERVICE_ROLE_WARNING = (
    "A service-role/secret key is configured: it bypasses row level security for every "
    "trader and does not belong on a trader's PC. Use the publishable key."
)


@dataclass
class TickReport:
    flushed_rows: int = 0
    served: list[RemoteOutcome] = field(default_factory=list)
    error: Mt5TrayError | None = None


class SupabaseAgent:
    """The Supabase side of a running mt5tray."""

    def __init__(self, store: OutboxingStore, session: SupabaseSession, agent: AgentInfo,
                 batch_size: int = DEFAULT_BATCH_ROWS,
                 default_history_days: Callable[[], int | None] = lambda: 30,
                 clock: Callable[[], float] = time.monotonic,
                 sync_interval_s: Callable[[], float] = lambda: 300.0) -> None:
        self.store = store
        self.session = session
        self.agent = agent
        self.flusher = SupabaseFlusher(session, store.outbox, batch_size)
        self.requests = RemoteRequests(
            session, store.outbox, self.flusher, default_history_days,
            serves=lambda service: active_ids(store, synced_account_ids(service, store)))
        self.beat = AgentHeartbeat(session, store, self.flusher, agent, sync_interval_s)
        self.clock = clock
        self.last_error: Mt5TrayError | None = None
        self._last_heartbeat: float | None = None
        self._last_agent_row: float | None = None
        self._lock = threading.Lock()

    # --- what the scheduler calls ------------------------------------------------------

    def tick(self, service: SyncService) -> TickReport:
        """The one-minute job: heartbeat when due, flush, then serve remote
        Sync Now requests. Never raises; the error is in the report and in
        `last_error`."""
        report = TickReport()
        try:
            if self._heartbeat_due():
                self._refresh_active(service)
                self._stamp(service)
            report.flushed_rows = self.flush()
            if self._agent_row_due():
                self._write_agent_row(service)
            report.served = self.poll_requests(service)
        except Mt5TrayError as exc:
            report.error = exc
        return report

    def flush(self) -> int:
        """Upload what waits; records (and re-raises) the error that stopped it."""
        try:
            sent = self.flusher.flush()
        except Mt5TrayError as exc:
            self.last_error = exc
            raise
        self.last_error = None
        return sent

    def poll_requests(self, service: SyncService) -> list[RemoteOutcome]:
        with self._lock:
            return self.requests.poll(service)

    def heartbeat(self, service: SyncService | None = None) -> int:
        """Stamp agent_last_seen_at/version/host and upload; with the service,
        first mirror the web app's is_active, stamp only the active accounts
        it syncs, and then write this agent's `agents` row. Returns the
        accounts stamped."""
        if service is not None:
            self._refresh_active(service)
        stamped = self._stamp(service)
        self.flush()
        if service is not None:
            self._write_agent_row(service)
        return stamped

    def on_sync_event(self, event: SyncEvent) -> None:
        """Service listener: upload right after each sync (errors only logged,
        the rows wait for the next tick)."""
        if event.kind != "finished":
            return
        self._last_heartbeat = self.clock()  # the sync itself stamped the heartbeat
        try:
            self.flush()
        except Mt5TrayError as exc:
            log.warning("Upload to Supabase postponed: %s", exc)

    # --- what the status window shows -------------------------------------------------------

    def pending_uploads(self) -> int:
        return self.store.pending_uploads()

    def quarantined_uploads(self) -> int:
        """Rows set aside because they cannot be sent (store/quarantine.py)."""
        return int(self.store.outbox.quarantine.summary()["quarantined_rows"])

    def upload_state(self) -> dict[str, Any]:
        """What `sync --json`, `status` and `uploads status` report, so a
        script can tell that nothing reached Supabase."""
        return {
            "pending_rows": self.pending_uploads(),
            **self.store.outbox.quarantine.summary(),
            "last_error": str(self.last_error) if self.last_error else None,
            "last_repair": self.flusher.repair.last_message,
        }

    def signed_in_user(self) -> str | None:
        """The signed-in email, or None when not signed in. No network: safe
        for the GUI thread ("signed in" until the first upload names the user)."""
        if not self.session.has_saved_token():
            return None
        return self.session.email or "signed in"

    def service_role_warning(self) -> str | None:
        return SERVICE_ROLE_WARNING if self.session.uses_service_role_key else None

    def close(self) -> None:
        self.session.close()

    # --- internals ---------------------------------------------------------------------------

    def _heartbeat_due(self) -> bool:
        last = self._last_heartbeat
        return last is None or self.clock() - last >= HEARTBEAT_INTERVAL_S

    def _refresh_active(self, service: SyncService) -> None:
        """Read back is_active; when Supabase cannot be reached the last known
        flags stay, and the stamp is still queued for later."""
        try:
            self.beat.refresh_active(service)
        except Mt5TrayError as exc:
            log.warning("Could not read which accounts are switched on in Supabase: %s", exc)

    def _agent_row_due(self) -> bool:
        last = self._last_agent_row
        return last is None or self.clock() - last >= HEARTBEAT_INTERVAL_S

    def _stamp(self, service: SyncService | None = None) -> int:
        self._last_heartbeat = self.clock()
        if service is None:
            return self.store.heartbeat(self.agent.version, self.agent.host)
        return self.beat.stamp(service)

    def _write_agent_row(self, service: SyncService) -> None:
        self._last_agent_row = self.clock()
        self.beat.write_agent_row(service)
