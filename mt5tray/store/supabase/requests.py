"""Remote "Sync Now": serve the web journal's `sync_requests` from this PC.

The web app cannot reach an agent behind NAT, so the agent polls: it claims
the oldest pending request of its accounts with the `claim_sync_request` RPC
(pending -> running, `FOR UPDATE SKIP LOCKED`: two agents never both win
it), runs the sync through the service (trigger `remote`), uploads the
result, and finishes the request with `finish_sync_request` (done or failed,
with the sync_logs id and the error).

A claim is a lease: a request left `running` for 30 minutes (its agent
vanished, or the claim's reply was lost) is claimed again by the next agent
that polls (see the sync_request_lease migration). A finish whose reply never
came is kept and sent again before the next claim, so the web app learns the
outcome without the account being synced twice.

A request that hits the Sync Now cooldown (`RateLimited`) is finished as
*failed* with the cooldown message: it has already been claimed, there is no
way back to pending, and the account was synced moments ago anyway, so the
user sees why and can press again. One for an account switched off in the
web journal (the sync ends `skipped`) is *failed* with that reason too.

Only requests of the accounts this PC syncs (`serves`) are claimed, so one
user's two PCs each serve their own accounts. Each poll may serve one request
per such account (at least `max_per_poll`): with at most one pending request
per account (the web API's rule), no account's requests wait behind another
account's backlog. The finish carries the sync's counts, so the web app reads
the result on the request itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.models import AccountRef, SyncStatus, SyncType, Trigger
from mt5tray.core.service import RateLimited, SyncService
from mt5tray.store.outbox import Outbox
from mt5tray.store.supabase.flush import SupabaseFlusher
from mt5tray.store.supabase.session import SupabaseSession

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemoteOutcome:
    """One served request: what the web app will see."""

    request_id: str
    status: str  # done | failed
    sync_id: str | None
    error: str | None


class RemoteRequests:
    """Claims and serves pending sync requests for this PC's accounts."""

    def __init__(self, session: SupabaseSession, outbox: Outbox, flusher: SupabaseFlusher,
                 default_history_days: Callable[[], int | None] = lambda: 30,
                 max_per_poll: int = 3,
                 serves: Callable[[SyncService], Sequence[str]] | None = None) -> None:
        self.session = session
        self.outbox = outbox
        self.flusher = flusher
        self.default_history_days = default_history_days
        self.max_per_poll = max_per_poll
        self.serves = serves  # local ids of the accounts this PC syncs (None: all known)
        self._unanswered: list[dict[str, Any]] = []  # finishes Supabase never confirmed

    def poll(self, service: SyncService) -> list[RemoteOutcome]:
        """Serve up to `max_per_poll` pending requests; [] when not signed in
        or when no account of this PC is known to Supabase yet."""
        if not self.session.has_saved_token():
            return []
        user_id, _ = self.session.user()
        mapping = self.outbox.remote_ids(self.session.url, user_id)
        if self.serves is not None:
            wanted = set(self.serves(service))
            mapping = {local: remote for local, remote in mapping.items() if local in wanted}
        if not mapping:
            return []
        local_of = {remote: local for local, remote in mapping.items()}
        self._finish_unanswered()
        outcomes: list[RemoteOutcome] = []
        for _ in range(max(self.max_per_poll, len(local_of))):
            claimed = self._rpc("claim_sync_request", {"p_account_ids": sorted(local_of)})
            if not claimed:
                break
            outcomes.append(self._serve(service, claimed[0], local_of))
        return outcomes

    def _serve(self, service: SyncService, request: dict[str, Any],
               local_of: dict[str, str]) -> RemoteOutcome:
        sync_id: str | None = None
        counts: dict[str, int] | None = None
        try:
            ref = self._account_ref(service, local_of[str(request["account_id"])])
            days = request.get("history_days") or self.default_history_days()
            result = service.sync_one(ref, SyncType(request.get("sync_type") or "incremental"),
                                      Trigger.REMOTE, days)
            sync_id, counts = result.sync_id, asdict(result.counts)
            served = result.ok and result.status is not SyncStatus.SKIPPED
            status, error = ("done", None) if served else ("failed", result.error)
            self._upload_quietly()
        except RateLimited as limited:
            status, error = "failed", str(limited)
        except Mt5TrayError as exc:
            status, error = "failed", exc.message
        log.info("Remote sync request %s: %s %s", request["id"], status, error or "")
        self._unanswered.append({"p_id": request["id"], "p_status": status,
                                 "p_sync_id": sync_id, "p_error": error, "p_counts": counts})
        self._finish_unanswered()
        return RemoteOutcome(str(request["id"]), status, sync_id, error)

    def _finish_unanswered(self) -> None:
        """Send the finishes not yet confirmed, oldest first; one that fails
        stays queued (with those after it) and its error is raised."""
        while self._unanswered:
            self._rpc("finish_sync_request", self._unanswered[0])
            self._unanswered.pop(0)

    def _account_ref(self, service: SyncService, local_id: str) -> AccountRef:
        row = self.outbox.account_row(local_id)
        if row is None:
            raise Mt5TrayError("This account is no longer in the local journal of this PC.",
                               "Remote sync request")
        refs = list(service.accounts())
        for ref in refs:
            if ref.login == row["login"] and ref.server == row["server"]:
                return ref
        if any(ref.login is None for ref in refs):  # "the terminal's current account"
            return AccountRef(login=row["login"], server=row["server"])
        raise Mt5TrayError(
            f"Account {row['login']}@{row['server']} is not enabled in mt5tray on this PC.",
            "Remote sync request",
        )

    def _upload_quietly(self) -> None:
        """Upload the sync's rows before answering, so the web app finds the
        sync_logs row; if that fails the rows still go later."""
        try:
            self.flusher.flush()
        except Mt5TrayError as exc:
            log.warning("Upload after a remote sync failed (rows wait locally): %s", exc)

    def _rpc(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.flusher.with_retries(
            lambda: self.session.client.rpc(name, params).execute())
        data = response.data
        rows = data if isinstance(data, list) else ([data] if data else [])
        return cast(list[dict[str, Any]], rows)  # the functions return rows
