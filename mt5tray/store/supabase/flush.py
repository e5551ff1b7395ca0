"""The flusher: drains the outbox into Supabase, in order, exactly once in effect.

Each round takes the oldest entries (several thousand rows), merges them per
table and natural key (later rows win, which also removes the duplicate keys
PostgreSQL refuses inside one upsert), resolves the remote account ids, and
upserts table by table (accounts first, for the foreign keys) in batches of
`batch_size` with `on_conflict` on the natural keys and minimal returns.
Entries are deleted only after every request of the round succeeded; a
round cut short is replayed whole, which is harmless because every write is
an idempotent upsert.

Retries: network errors, 5xx and 429 with exponential backoff (tenacity);
a batch that times out (or is too large for the API gateway) is split in
two and each half sent, and later batches stay that small until a flush
passes without a timeout; a refused access token is refreshed once and the
request retried; nothing else is retried, since it cannot succeed until the
user acts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from postgrest.types import ReturnMethod
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from mt5tray.core.errors import StoreAuthRequired, StoreUnavailable
from mt5tray.core.models import Row
from mt5tray.store.outbox import (
    DEFAULT_BATCH_ROWS,
    KINDS,
    Outbox,
    OutboxEntry,
    rows_by_kind,
)
from mt5tray.store.outbox_repair import OutboxRepair
from mt5tray.store.quarantine import REFUSED
from mt5tray.store.supabase.errors import BatchTooLarge, RowRejected, TokenRejected
from mt5tray.store.supabase.session import SupabaseSession

log = logging.getLogger(__name__)
T = TypeVar("T")

CHILD_TABLES = ("deals", "trades", "equity_snapshots", "sync_logs")
ACCOUNT_CONFLICT = "user_id,server,login"


@dataclass(frozen=True, slots=True)
class _Round:
    """One round: outbox entries and the upserts that carry them."""

    entries: list[OutboxEntry]
    jobs: list[tuple[str, list[Row], str]]  # (table, rows, on_conflict)
    local_ids: dict[str, str] = field(default_factory=dict)  # remote account id -> local
    # Single rows Supabase refused (table, remote row, reason): set aside, not retried.
    rejected: list[tuple[str, Row, str]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(len(e.rows) for e in self.entries)


class SupabaseFlusher:
    """Pushes outbox entries to Supabase; one flush at a time."""

    def __init__(self, session: SupabaseSession, outbox: Outbox,
                 batch_size: int = DEFAULT_BATCH_ROWS,
                 attempts: int = 4, backoff_s: float = 0.5, round_batches: int = 16,
                 parallel: int = 4) -> None:
        self.session = session
        self.outbox = outbox
        self.batch_size = max(batch_size, 1)
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.round_rows = self.batch_size * round_batches
        self.parallel = max(parallel, 1)
        self._lock = threading.Lock()
        # Lowered when a batch times out, raised again after a flush without one.
        self.current_batch_rows = self.batch_size
        self._timed_out = False
        self._backfilled_for: tuple[str, str] | None = None  # (project, user) checked
        self.repair = OutboxRepair(outbox)

    def flush(self, _repair_again: bool = True) -> int:
        """Send everything waiting; returns the rows acknowledged. Raises the
        typed error that stopped it (the rest stays queued). Entries that
        cannot be read are set aside and re-queued from the journal, before
        and after (outbox_repair.py); rows Supabase refuses are set aside.

        Rounds go one after another (a row's later version never overtakes an
        earlier one), but the next round is read, decrypted and merged while
        the current one is on the wire."""
        self.repair.run()
        sent = 0
        with self._lock, ThreadPoolExecutor(self.parallel,
                                            thread_name_prefix="supabase-upload") as pool:
            self._timed_out = False
            current = self._prepare(after_id=0)
            while current is not None:
                # Child batches are independent once the round's accounts exist
                # (keys are unique after merging), so they travel side by side.
                futures = [pool.submit(self._upsert, *job, current.rejected)
                           for job in current.jobs]
                try:
                    upcoming = self._prepare(after_id=current.entries[-1].id)
                finally:
                    sent += self._settle(current, futures)
                current = upcoming
            if not self._timed_out and self.current_batch_rows < self.batch_size:
                self.current_batch_rows = min(self.current_batch_rows * 2, self.batch_size)
        if self.repair.run().entries and _repair_again:  # set aside during this flush
            sent += self.flush(_repair_again=False)
        if sent:
            log.info("Uploaded %d rows to Supabase", sent)
        return sent

    def _backfill_once_for(self, user_id: str) -> None:
        """Once per signed-in user: queue the history of accounts this user
        has never received (another user used this PC's agent before). Runs
        when something is queued anyway (a heartbeat at the latest), so an
        empty outbox never needs the network."""
        if self._backfilled_for == (self.session.url, user_id):
            return
        queued = self.outbox.backfill(self.session.url, user_id)
        if queued:
            log.info("Queued the history of %d account(s) this Supabase user has not "
                     "received yet", queued)
        self._backfilled_for = (self.session.url, user_id)

    # --- one round -----------------------------------------------------------------------

    def _prepare(self, after_id: int, retry: bool = True) -> _Round | None:
        """The next round after `after_id`, its accounts already upserted."""
        entries = self.outbox.take(self.round_rows, after_id)
        if not entries:
            return None
        user_id, _ = self.with_retries(self.session.user)
        self._backfill_once_for(user_id)  # its entries come after these: later rounds
        merged = rows_by_kind(entries)
        try:
            ids = self._remote_account_ids(entries, merged["trading_accounts"], user_id)
        except RowRejected as exc:
            queued = [e for e in entries if e.kind == "trading_accounts"]
            if not retry or not queued:
                raise  # the journal's own account row is refused: nothing to set aside
            self._set_aside_entries(queued, exc.message)
            return self._prepare(after_id, retry=False)
        jobs = []
        for table in CHILD_TABLES:
            rows = [self._remote_row(row, ids, user_id) for row in merged[table].values()]
            conflict = ",".join(KINDS[table][1])
            size = self.current_batch_rows
            for start in range(0, len(rows), size):
                jobs.append((table, rows[start : start + size], conflict))
        return _Round(entries, jobs, {remote: local for local, remote in ids.items()})

    def _settle(self, done: _Round, futures: list[Future[None]]) -> int:
        """Wait for a round's upserts; acknowledge it only if all succeeded."""
        for future in futures:
            future.result()
        if done.rejected:
            self._set_aside(done)
        self.outbox.acknowledge([e.id for e in done.entries])
        return done.rows

    def _remote_account_ids(self, entries: Sequence[OutboxEntry],
                            queued: dict[tuple[Any, ...], Row], user_id: str) -> dict[str, str]:
        """local account id -> remote id. Upserts every queued account row (its
        snapshot and heartbeat) and any account not yet known to this user."""
        known = self.outbox.remote_ids(self.session.url, user_id)
        accounts = {row["id"]: row for row in queued.values()}
        for entry in entries:
            if entry.account_id not in known and entry.account_id not in accounts:
                row = self.outbox.account_row(entry.account_id)
                if row is not None:
                    accounts[entry.account_id] = row
        if not accounts:
            return known
        by_identity = {(row["server"], row["login"]): local for local, row in accounts.items()}
        body = [{**{k: v for k, v in row.items() if k != "id"}, "user_id": user_id}
                for row in accounts.values()]
        returned = self.with_retries(lambda: self.session.client.table("trading_accounts")
                                      .upsert(body, on_conflict=ACCOUNT_CONFLICT).execute())
        rows = cast(list[dict[str, Any]], returned.data)  # a list of objects, by PostgREST
        fresh = {by_identity[(r["server"], r["login"])]: str(r["id"]) for r in rows}
        # The upsert answers with the whole row: the web app's is_active for free.
        self.outbox.mirror_active({by_identity[(r["server"], r["login"])]: bool(r["is_active"])
                                   for r in rows if r.get("is_active") is not None})
        if fresh != {k: known.get(k) for k in fresh}:
            self.outbox.remember_remote_ids(self.session.url, user_id, fresh)
        return {**known, **fresh}

    @staticmethod
    def _remote_row(row: Row, ids: dict[str, str], user_id: str) -> Row:
        # user_id is sent, not left to the column default: row level security
        # checks it once per request instead of evaluating auth.uid() per row.
        return {**row, "account_id": ids[row["account_id"]], "user_id": user_id}

    def _set_aside_entries(self, entries: list[OutboxEntry], reason: str) -> None:
        """Queued account rows Supabase refused: set aside whole (the journal
        row is sent again by the round, or by `mt5tray uploads requeue`)."""
        ids = [e.id for e in entries]
        marks = ",".join("?" * len(ids))
        for row in self.outbox._store.query(
                "SELECT id, kind, account_id, row_count, nonce, payload FROM outbox "
                f"WHERE id IN ({marks})", ids):
            self.outbox.quarantine.set_aside_entry(row, REFUSED, reason)
        log.warning("Set aside %d queued account row(s) that Supabase refused: %s",
                    len(ids), reason)

    def _set_aside(self, done: _Round) -> None:
        """Quarantine the rows Supabase refused, as journal rows (local ids)."""
        by_account: dict[tuple[str, str, str], list[Row]] = {}
        for table, row, reason in done.rejected:
            local = str(done.local_ids.get(row["account_id"], row["account_id"]))
            clean = {k: v for k, v in row.items() if k != "user_id"}
            clean["account_id"] = local
            by_account.setdefault((table, local, reason), []).append(clean)
        with self.outbox._store.transaction() as conn:
            for (table, local, reason), rows in by_account.items():
                self.outbox.quarantine.set_aside_rows(conn, table, local, rows, reason)
        for (table, local, reason), rows in by_account.items():
            log.warning("Set aside %d %s row(s) of account %s that Supabase refused: %s. "
                        "The others were uploaded; `mt5tray uploads requeue` sends them again "
                        "once the cause is fixed.", len(rows), table, local, reason)

    def _upsert(self, table: str, rows: list[Row], conflict: str,
                rejected: list[tuple[str, Row, str]] | None = None) -> None:
        """Upsert one batch; a batch that times out is sent again in halves
        (down to single rows, which are retried like any transient failure).
        A batch Supabase refuses for a row's data is narrowed down the same
        way to the rows at fault, which go to `rejected`."""
        try:
            self.with_retries(lambda: self.session.client.table(table).upsert(
                rows, on_conflict=conflict, returning=ReturnMethod.minimal,
                default_to_null=True).execute(), split_batches=len(rows) > 1)
        except RowRejected as exc:
            if rejected is None:
                raise
            if len(rows) == 1:
                rejected.append((table, rows[0], exc.message))
                return
            half = len(rows) // 2
            self._upsert(table, rows[:half], conflict, rejected)
            self._upsert(table, rows[half:], conflict, rejected)
        except BatchTooLarge:
            if len(rows) <= 1:
                raise
            half = len(rows) // 2
            self._timed_out = True
            self.current_batch_rows = min(self.current_batch_rows, half)
            log.warning("Supabase timed out on %d %s rows; sending them as %d and %d",
                        len(rows), table, half, len(rows) - half)
            self._upsert(table, rows[:half], conflict, rejected)
            self._upsert(table, rows[half:], conflict, rejected)

    # --- retries -------------------------------------------------------------------------

    def with_retries(self, fn: Callable[[], T], split_batches: bool = False) -> T:
        """Transient failures retried with backoff; a refused token refreshed once.
        With `split_batches`, a timeout is raised at once for the caller to
        halve the batch, since the same request would time out again."""
        refreshed = False

        def transient(exc: BaseException) -> bool:
            if split_batches and isinstance(exc, BatchTooLarge):
                return False
            return isinstance(exc, StoreUnavailable)

        for attempt in Retrying(
            retry=retry_if_exception(transient),
            wait=wait_exponential(multiplier=self.backoff_s, max=8),
            stop=stop_after_attempt(self.attempts),
            reraise=True,
        ):
            with attempt:
                try:
                    return self.session.call(fn)
                except TokenRejected as exc:
                    if refreshed:
                        raise StoreAuthRequired(f"{exc.message}") from exc
                    refreshed = True
                    self.session.refresh()
                    return self.session.call(fn)
        raise AssertionError("unreachable")  # pragma: no cover
