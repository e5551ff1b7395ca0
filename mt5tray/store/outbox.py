"""The transactional outbox of the Supabase store: what a sync wrote locally,
queued for upload in the same SQLite transaction, encrypted at rest.

`OutboxingStore` is the local journal (it stays the engine's store and the
mirror) plus one rule: every write that Supabase must see (a sync's batch,
a started or failed sync, an interrupted one, a heartbeat) also queues its
rows here before the transaction commits. So a crash either keeps both the
journal change and its upload, or neither; the flusher then drains the
queue in order and deletes entries only once Supabase acknowledged them.

Rows are queued in the data-contract shape with the *local* account id; the
flusher swaps in the remote id. Every row of a kind carries the same keys,
because PostgREST builds one column list per request. A payload is stored as
its column names and one value list per row: half the size of a list of
objects, and twice as fast to seal and open.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from mt5tray.core.ledger import DEAL_COLUMNS, TRADE_COLUMNS
from mt5tray.core.models import Row, SyncBatch
from mt5tray.store.local import ACCOUNT_COLUMNS as LOCAL_ACCOUNT_COLUMNS
from mt5tray.store.local import EQUITY_COLUMNS, SYNC_LOG_COLUMNS, LocalStore, now_iso
from mt5tray.store.outbox_crypto import OutboxCipher, UndecryptableEntry
from mt5tray.store.quarantine import CORRUPT, Quarantine

log = logging.getLogger(__name__)

# Rows per outbox entry and per upload request unless settings say otherwise
# (settings.supabase.batch_size, whose default is the same).
DEFAULT_BATCH_ROWS = 1000

# Columns sent to Supabase. `is_active` is left out on purpose: the web app
# owns it, and an upsert must not switch an account back on.
ACCOUNT_COLUMNS = tuple(c for c in LOCAL_ACCOUNT_COLUMNS if c != "is_active")
# kind -> (columns, natural key); trading_accounts is keyed by the local id.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "trading_accounts": (("id", *ACCOUNT_COLUMNS), ("id",)),
    "deals": (DEAL_COLUMNS, ("account_id", "ticket")),
    "trades": (TRADE_COLUMNS, ("account_id", "ticket")),
    "equity_snapshots": (EQUITY_COLUMNS, ("account_id", "time")),
    "sync_logs": (SYNC_LOG_COLUMNS, ("id",)),
}


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    kind: str
    account_id: str
    rows: list[Row]


def _values(rows: Sequence[Row], columns: tuple[str, ...]) -> list[Sequence[Any]]:
    """Each row's values in `columns` order (None where a row lacks one)."""
    pick = itemgetter(*columns)
    try:
        return [pick(row) for row in rows]
    except KeyError:
        return [[row.get(c) for c in columns] for row in rows]


def _rows(payload: Any) -> list[Row]:
    """A sealed payload back to rows. Payloads name their own columns, so an
    entry queued by an older version still reads right after an upgrade that
    added a column; the first outbox format (a list of objects) is read too."""
    if isinstance(payload, list):
        return payload
    columns = payload["columns"]
    return [dict(zip(columns, values, strict=True)) for values in payload["rows"]]


ROW_VERSION = "row_version"


def next_row_version(conn: sqlite3.Connection) -> int:
    """The next row_version: microseconds since the epoch, or one more than
    the last one handed out when the clock is behind it. So versions grow with
    commit order within the journal (the caller holds SQLite's write lock),
    and a rebuilt or restored journal still outranks what it uploaded before."""
    row = conn.execute(
        "UPDATE row_clock SET last_version = max(last_version + 1, ?) RETURNING last_version",
        (time.time_ns() // 1000,)).fetchone()
    return int(row[0])


def _aad(kind: str, account_id: str) -> bytes:
    # Binds a payload to its row's kind and account: a swapped payload fails to open.
    return f"mt5tray-outbox:{kind}:{account_id}".encode()


class Outbox:
    """Queue, read and acknowledge outbox entries on the journal's connection."""

    def __init__(self, store: LocalStore, cipher: OutboxCipher,
                 chunk_rows: int = DEFAULT_BATCH_ROWS) -> None:
        self._store = store
        self.cipher = cipher
        self.chunk_rows = max(chunk_rows, 1)
        self.quarantine = Quarantine(store, cipher)

    # --- queueing (inside the caller's transaction) ------------------------------

    def enqueue(self, conn: sqlite3.Connection, kind: str, account_id: str,
                rows: Sequence[Row]) -> None:
        # Every row carries the version of this commit; Supabase keeps the
        # newer of two uploads of one row (issue 8, migration ..._row_version).
        version = next_row_version(conn)
        columns = (*KINDS[kind][0], ROW_VERSION)
        shaped = [(*values, version) for values in _values(rows, KINDS[kind][0])]
        stamp = now_iso()
        for start in range(0, len(shaped), self.chunk_rows):
            chunk = shaped[start : start + self.chunk_rows]
            nonce, payload = self.cipher.seal({"columns": columns, "rows": chunk},
                                              _aad(kind, account_id))
            conn.execute(
                "INSERT INTO outbox (kind, account_id, row_count, nonce, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (kind, account_id, len(chunk), nonce, payload, stamp),
            )

    def enqueue_account(self, conn: sqlite3.Connection, account_id: str) -> None:
        """The account's full local row as it is now (snapshot and health)."""
        row = conn.execute("SELECT * FROM trading_accounts WHERE id = ?", (account_id,)).fetchone()
        if row is not None:
            self.enqueue(conn, "trading_accounts", account_id, [dict(row)])

    def enqueue_sync_logs(self, conn: sqlite3.Connection, account_id: str,
                          ids: Sequence[str]) -> None:
        marks = ",".join("?" * len(ids))
        rows = conn.execute(f"SELECT * FROM sync_logs WHERE id IN ({marks})", tuple(ids))
        self.enqueue(conn, "sync_logs", account_id, [dict(r) for r in rows])

    def enqueue_batch(self, conn: sqlite3.Connection, batch: SyncBatch) -> None:
        """LocalStore's on_commit hook: a successful sync's rows, in order."""
        self.enqueue_account(conn, batch.account_id)
        # A changed server clock: every re-stamped row goes up (once, this commit).
        self.enqueue(conn, "deals", batch.account_id, batch.restamped_deals)
        self.enqueue(conn, "trades", batch.account_id, batch.restamped_trades)
        self.enqueue(conn, "deals", batch.account_id, batch.new_deals)
        self.enqueue(conn, "trades", batch.account_id, batch.trades)
        self.enqueue(conn, "equity_snapshots", batch.account_id, [batch.equity_snapshot])
        self.enqueue(conn, "sync_logs", batch.account_id, [batch.sync_log])

    # --- draining --------------------------------------------------------------------

    def take(self, max_rows: int, after_id: int = 0) -> list[OutboxEntry]:
        """The oldest entries after `after_id`, in order, up to about `max_rows`
        rows (at least one). An entry that cannot be read is set aside
        (quarantine.py) and the next one taken: one bad entry never blocks
        the queue."""
        entries: list[OutboxEntry] = []
        total = 0
        limit = max(max_rows // self.chunk_rows, 1) + 16
        while True:
            found = self._store.query(
                "SELECT id, kind, account_id, row_count, nonce, payload FROM outbox WHERE id > ? "
                "ORDER BY id LIMIT ?", (after_id, limit))
            for row in found:
                if entries and total + row["row_count"] > max_rows:
                    return entries
                after_id = row["id"]
                rows = self._open(row)
                if rows is None:
                    continue
                entries.append(OutboxEntry(row["id"], row["kind"], row["account_id"], rows))
                total += row["row_count"]
            if entries or len(found) < limit:
                return entries

    def _open(self, row: sqlite3.Row) -> list[Row] | None:
        """An entry's rows, or None once it was set aside as unreadable."""
        try:
            payload = self.cipher.open(row["nonce"], row["payload"],
                                       _aad(row["kind"], row["account_id"]))
            return _rows(payload)
        except UndecryptableEntry:
            cause, reason = self.quarantine.cause_of_unreadable()
        except (ValueError, KeyError, TypeError) as exc:  # decrypted, but not our format
            cause, reason = CORRUPT, f"the entry is damaged (its payload does not parse: {exc})"
        log.warning("Outbox entry %d (%d %s rows of account %s) set aside: %s", row["id"],
                    row["row_count"], row["kind"], row["account_id"], reason)
        self.quarantine.set_aside_entry(row, cause, reason)
        return None

    def acknowledge(self, ids: Sequence[int]) -> None:
        """Supabase has these entries: drop them."""
        with self._store.transaction() as conn:
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def pending_rows(self) -> int:
        return int(self._store.query("SELECT coalesce(sum(row_count), 0) FROM outbox")[0][0])

    # --- remote account ids -------------------------------------------------------------

    def remote_ids(self, project: str, user_id: str) -> dict[str, str]:
        rows = self._store.query(
            "SELECT account_id, remote_id FROM remote_accounts WHERE project = ? AND "
            "remote_user_id = ?", (project, user_id))
        return {r[0]: r[1] for r in rows}

    def remember_remote_ids(self, project: str, user_id: str, mapping: dict[str, str]) -> None:
        with self._store.transaction() as conn:
            conn.executemany(
                "INSERT INTO remote_accounts (account_id, project, remote_user_id, remote_id) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (account_id, project, remote_user_id) "
                "DO UPDATE SET remote_id = excluded.remote_id",
                [(local, project, user_id, remote) for local, remote in mapping.items()],
            )

    def backfill(self, project: str, user_id: str | None = None) -> int:
        """Queue the whole local history of each account that `project` (for
        `user_id`, when known) has never received, so switching from the local
        journal to Supabase, restoring a journal, or another user signing in on
        this PC uploads what was synced before, not only what comes next. An
        account is left alone when entries already queued hold all its deals
        (its first sync's upload is under way). Returns the accounts queued.

        Past sync_logs go only to the first user of the project: they record
        syncs made for that user, and their ids are global, so sending them
        to a second user would collide with the first user's rows."""
        mapped = "m.project = ?" + (" AND m.remote_user_id = ?" if user_id else "")
        params = (project, project, user_id) if user_id else (project, project)
        with self._store.transaction() as conn:
            accounts = conn.execute(
                "SELECT a.id, EXISTS (SELECT 1 FROM remote_accounts m WHERE "
                "m.account_id = a.id AND m.project = ?) FROM trading_accounts a "
                f"WHERE NOT EXISTS (SELECT 1 FROM remote_accounts m WHERE m.account_id = a.id "
                f"AND {mapped}) AND NOT (EXISTS (SELECT 1 FROM outbox o WHERE "
                "o.account_id = a.id) AND (SELECT coalesce(sum(row_count), 0) FROM outbox o "
                "WHERE o.account_id = a.id AND o.kind = 'deals') >= (SELECT count(*) FROM "
                "deals d WHERE d.account_id = a.id))", params).fetchall()
            for account_id, sent_to_another_user in accounts:
                self.enqueue_account(conn, account_id)
                kinds = ["deals", "trades", "equity_snapshots"]
                if not sent_to_another_user:
                    kinds.append("sync_logs")
                for kind in kinds:
                    rows = conn.execute(f"SELECT * FROM {kind} WHERE account_id = ?",
                                        (account_id,))
                    self.enqueue(conn, kind, account_id, [dict(r) for r in rows])
        return len(accounts)

    def mirror_active(self, flags: dict[str, bool]) -> list[str]:
        """Take the web app's is_active (local id -> flag) into the journal,
        where the engine honours it; returns the ids whose flag changed. Not
        queued: Supabase owns this column (see ACCOUNT_COLUMNS)."""
        changed: list[str] = []
        if not flags:
            return changed
        with self._store.transaction() as conn:
            for account_id, active in flags.items():
                cursor = conn.execute(
                    "UPDATE trading_accounts SET is_active = ? WHERE id = ? AND is_active <> ?",
                    (int(active), account_id, int(active)))
                if cursor.rowcount:
                    changed.append(account_id)
        return changed

    def account_row(self, account_id: str) -> Row | None:
        rows = self._store.query("SELECT * FROM trading_accounts WHERE id = ?", (account_id,))
        if not rows:
            return None
        return {c: rows[0][c] for c in KINDS["trading_accounts"][0]}


class OutboxingStore(LocalStore):
    """The local journal that also queues every change for Supabase."""

    def __init__(self, path: Path | str, cipher: OutboxCipher,
                 chunk_rows: int = DEFAULT_BATCH_ROWS) -> None:
        self.outbox = Outbox(self, cipher, chunk_rows)
        self._depth = 0
        super().__init__(path, on_commit=self.outbox.enqueue_batch)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Re-entrant: a write of LocalStore called inside ours joins it, so its
        change and the outbox entry commit together."""
        with self._lock:
            if self._depth:
                yield self._conn
                return
            with super().transaction() as conn:
                self._depth += 1
                try:
                    yield conn
                finally:
                    self._depth -= 1

    def start_sync(self, sync_log: Row) -> None:
        with self.transaction() as conn:
            super().start_sync(sync_log)
            self.outbox.enqueue_account(conn, sync_log["account_id"])
            self.outbox.enqueue_sync_logs(conn, sync_log["account_id"], [sync_log["id"]])

    def record_failure(self, account_id: str, sync_log: Row, error: str) -> None:
        with self.transaction() as conn:
            super().record_failure(account_id, sync_log, error)
            self.outbox.enqueue_account(conn, account_id)
            self.outbox.enqueue_sync_logs(conn, account_id, [sync_log["id"]])

    def record_equity(self, snapshot: Row) -> None:
        with self.transaction() as conn:
            super().record_equity(snapshot)
            self.outbox.enqueue_account(conn, snapshot["account_id"])
            self.outbox.enqueue(conn, "equity_snapshots", snapshot["account_id"], [snapshot])

    def recover_interrupted_syncs(self) -> int:
        with self.transaction() as conn:
            stale = conn.execute(
                "SELECT id, account_id FROM sync_logs WHERE status = 'processing'").fetchall()
            count = super().recover_interrupted_syncs()
            by_account: dict[str, list[str]] = {}
            for row in stale:
                by_account.setdefault(row["account_id"], []).append(row["id"])
            for account_id, ids in by_account.items():
                self.outbox.enqueue_sync_logs(conn, account_id, ids)
        return count

    def heartbeat(self, version: str, host: str,
                  account_ids: Sequence[str] | None = None) -> int:
        """Stamp the agent on the active accounts among `account_ids` (None:
        every active account) and queue the rows; returns how many were stamped."""
        stamp = now_iso()
        with self.transaction() as conn:
            ids = [r[0] for r in conn.execute(
                "SELECT id FROM trading_accounts WHERE is_active = 1").fetchall()]
            if account_ids is not None:
                wanted = set(account_ids)
                ids = [i for i in ids if i in wanted]
            conn.executemany(
                "UPDATE trading_accounts SET agent_last_seen_at = ?, agent_version = ?, "
                "agent_host = ?, updated_at = ? WHERE id = ?",
                [(stamp, version, host, stamp, account_id) for account_id in ids],
            )
            for account_id in ids:
                self.outbox.enqueue_account(conn, account_id)
        return len(ids)

    def install_id(self) -> str:
        """This install's stable id (created on first use)."""
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM agent_install LIMIT 1").fetchone()
            if row is not None:
                return str(row[0])
            new_id = str(uuid.uuid4())
            conn.execute("INSERT INTO agent_install (id, created_at) VALUES (?, ?)",
                         (new_id, now_iso()))
            return new_id

    def pending_uploads(self) -> int:
        return self.outbox.pending_rows()


def rows_by_kind(entries: Sequence[OutboxEntry]) -> dict[str, dict[tuple[Any, ...], Row]]:
    """Entries merged per kind and natural key, later rows winning: the same
    end state as replaying them one by one, in far fewer requests."""
    merged: dict[str, dict[tuple[Any, ...], Row]] = {kind: {} for kind in KINDS}
    for entry in entries:
        key_of = _KEY_OF[entry.kind]
        bucket = merged[entry.kind]
        for row in entry.rows:
            bucket[key_of(row)] = row
    return merged


# kind -> a function from a row to its natural key, always a tuple.
_KEY_OF = {kind: itemgetter(*keys) if len(keys) > 1 else (lambda row, k=keys[0]: (row[k],))
           for kind, (_, keys) in KINDS.items()}
