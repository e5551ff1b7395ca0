"""The embedded local journal (SQLite): the data-contract tables and the
engine's memory (cursors, the synced deals mirror, the known open positions).

Every sync's rows, cursor and log are written in one transaction, so a run
killed halfway leaves the journal as it was before it. An optional
`on_commit` hook runs inside that same transaction (the Supabase outbox
queues its uploads there).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timezone
from operator import itemgetter
from pathlib import Path
from typing import Any

from mt5tray.core.errors import JournalBusy, JournalUnavailable
from mt5tray.core.ledger import DEAL_COLUMNS, TRADE_COLUMNS, restamp_rows
from mt5tray.core.models import AccountState, Row, SyncBatch, SyncCounts
from mt5tray.store import journal_integrity
from mt5tray.store.local_schema import migrate

CommitHook = Callable[[sqlite3.Connection, SyncBatch], None]

log = logging.getLogger(__name__)

# How long a statement waits for a lock another program holds before the
# sync gives up with JournalBusy. mt5tray's own processes never wait on each
# other here (one writer per home, issue 8; WAL lets readers go on), so only a
# foreign program (antivirus, backup, DB Browser) holds it: waiting 30 s per
# statement only made a sync hang silently for a minute.
BUSY_TIMEOUT_S = 10.0
# SQLITE_BUSY and SQLITE_LOCKED (https://www.sqlite.org/rescode.html)
_BUSY_CODES = (5, 6)
_CHUNK = 500  # stays far below SQLite's bound-parameter limit
ACCOUNT_COLUMNS = (
    "login", "server", "name", "company", "currency", "leverage", "trade_mode", "margin_mode",
    "balance", "credit", "equity", "margin", "margin_free", "margin_level", "floating_profit",
    "server_utc_offset_minutes", "is_active", "last_sync_at", "last_successful_sync_at",
    "last_connection_error", "sync_failure_count", "agent_last_seen_at", "agent_version",
    "agent_host",
    # issue 10 (schema v7): the resolved server clock
    "server_timezone", "server_timezone_source", "server_timezone_checked_at",
    "server_timezone_evidence",
)
SYNC_LOG_COLUMNS = (
    "id", "account_id", "sync_type", "trigger", "status", "started_at", "finished_at",
    "duration_ms", "positions_created", "positions_updated", "positions_closed",
    "deals_inserted", "trades_upserted", "error", "app_version", "host",
    "deals_archived", "balance_difference",  # issue 9 (schema v3)
)
EQUITY_COLUMNS = (
    "account_id", "time", "balance", "equity", "margin", "margin_free", "floating_profit",
)

# The trading_accounts columns an equity snapshot between syncs refreshes.
_EQUITY_ACCOUNT_COLUMNS = ("balance", "equity", "margin", "margin_free", "floating_profit")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _chunks(values: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _insert_sql(table: str, columns: Sequence[str], conflict: str) -> str:
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}"


def _upsert_sql(table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    return _insert_sql(table, columns, f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")


class LocalStore:
    """SQLite journal at `path`; safe to share between threads."""

    def __init__(self, path: Path | str, on_commit: CommitHook | None = None) -> None:
        self.path = Path(path)
        self.on_commit = on_commit
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Issue 8: a damaged file is moved aside and a fresh journal started.
            self.damage_note = journal_integrity.set_aside_if_damaged(self.path)
            self._conn = self._connect()
        except (sqlite3.Error, OSError) as exc:
            raise JournalUnavailable(
                f"Cannot open the local journal {self.path}: {exc}. Check that the folder "
                "is writable and the disk is not full.",
            ) from exc
        self._lock = threading.RLock()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_S)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
        return conn

    def check_after_error(self) -> str | None:
        """After an unexpected error: if the journal file is damaged, move it
        aside, start a fresh one and return the message saying so."""
        with self._lock:
            problem = journal_integrity.problem_of(self._conn)
            if problem is None:
                return None
            self._conn.close()
            try:
                moved = journal_integrity.move_aside(self.path)
            except OSError as exc:  # held open elsewhere: keep using it, say what to do
                self._conn = self._connect()
                return (f"The journal file {self.path} is damaged ({problem}) and could not "
                        f"be moved aside ({exc.strerror or exc}). Quit every mt5tray and run "
                        "it again to start a fresh journal.")
            self._conn = self._connect()
            self.damage_note = journal_integrity.damaged_message(self.path, moved, problem)
        journal_integrity.log.error("%s", self.damage_note)
        return self.damage_note

    # --- plumbing ---------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception. A lock
        another program holds past the busy timeout is a JournalBusy."""
        with self._lock, self._busy_is_a_sentence():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock, self._busy_is_a_sentence():
            return self._conn.execute(sql, params).fetchall()

    @contextmanager
    def _busy_is_a_sentence(self) -> Iterator[None]:
        """SQLITE_BUSY/SQLITE_LOCKED ("database is locked") as the user's
        sentence: what holds the file and what to do, not a Python repr."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", None) not in _BUSY_CODES and \
                    "locked" not in str(exc):
                raise
            log.debug("The journal %s is locked", self.path, exc_info=True)
            raise JournalBusy(
                f"Another program is using the journal file {self.path}; close it or wait "
                "(antivirus and backup tools usually let go within a minute). mt5tray tries "
                "again at the next sync; nothing is lost.") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- accounts -----------------------------------------------------------------

    def find_account(self, login: int, server: str) -> AccountState | None:
        rows = self.query(
            "SELECT a.*, c.newest_deal_time_msc FROM trading_accounts a "
            "LEFT JOIN sync_cursors c ON c.account_id = a.id WHERE a.login = ? AND a.server = ?",
            (login, server),
        )
        return _account_state(rows[0]) if rows else None

    def ensure_account(self, account_row: Row) -> AccountState:
        stamp = now_iso()
        columns = [c for c in ACCOUNT_COLUMNS if c in account_row]
        with self.transaction() as conn:
            conn.execute(
                _insert_sql(
                    "trading_accounts",
                    ["id", *columns, "created_at", "updated_at"],
                    "ON CONFLICT (server, login) DO NOTHING",
                ),
                [str(uuid.uuid4()), *(account_row[c] for c in columns), stamp, stamp],
            )
        state = self.find_account(account_row["login"], account_row["server"])
        assert state is not None
        return state

    def list_accounts(self) -> list[Row]:
        return [dict(r) for r in self.query("SELECT * FROM trading_accounts ORDER BY login")]

    # --- engine memory --------------------------------------------------------------

    def known_deal_tickets(self, account_id: str, tickets: Iterable[int]) -> set[int]:
        known: set[int] = set()
        for chunk in _chunks(list(tickets)):
            marks = ",".join("?" * len(chunk))
            rows = self.query(
                f"SELECT ticket FROM deals WHERE account_id = ? AND ticket IN ({marks})",
                (account_id, *chunk),
            )
            known.update(r[0] for r in rows)
        return known

    def deals_of_positions(self, account_id: str, position_ids: Iterable[int]) -> list[Row]:
        found: list[Row] = []
        for chunk in _chunks(list(position_ids)):
            marks = ",".join("?" * len(chunk))
            rows = self.query(
                # INDEXED BY: with one account in the table the planner would
                # otherwise walk the primary key over the whole history.
                f"SELECT * FROM deals INDEXED BY deals_by_position "
                f"WHERE account_id = ? AND position_id IN ({marks})",
                (account_id, *chunk),
            )
            found.extend(dict(r) for r in rows)
        return found

    def deal_tickets_between(self, account_id: str, from_msc: int, to_msc: int) -> set[int]:
        rows = self.query(
            "SELECT ticket FROM deals WHERE account_id = ? AND time_msc BETWEEN ? AND ?",
            (account_id, from_msc, to_msc))
        return {row[0] for row in rows}

    def deal_money_total(self, account_id: str) -> float:
        (row,) = self.query(
            "SELECT coalesce(sum(coalesce(profit, 0) + coalesce(commission, 0) + "
            "coalesce(swap, 0) + coalesce(fee, 0)), 0) FROM deals "
            "WHERE account_id = ? AND type IS NOT 'credit'", (account_id,))
        return float(row[0])

    def open_trade_tickets(self, account_id: str) -> set[int]:
        rows = self.query(
            "SELECT ticket FROM trades INDEXED BY trades_by_status "
            "WHERE account_id = ? AND status = 'open'",
            (account_id,),
        )
        return {r[0] for r in rows}

    def trades_by_ticket(self, account_id: str, tickets: Iterable[int]) -> dict[int, Row]:
        found: dict[int, Row] = {}
        for chunk in _chunks(list(tickets)):
            marks = ",".join("?" * len(chunk))
            rows = self.query(
                f"SELECT * FROM trades WHERE account_id = ? AND ticket IN ({marks})",
                (account_id, *chunk),
            )
            found.update((r["ticket"], dict(r)) for r in rows)
        return found

    # --- sync logs ----------------------------------------------------------------

    def start_sync(self, sync_log: Row) -> None:
        with self.transaction() as conn:
            _write_sync_log(conn, sync_log)

    def recover_interrupted_syncs(self) -> int:
        """A `processing` row at start-up belongs to a run that was killed."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE sync_logs SET status = 'failed', finished_at = ?, error = "
                "'Interrupted: mt5tray stopped before this sync finished; nothing from it "
                "was written.' WHERE status = 'processing'",
                (now_iso(),),
            )
            return cursor.rowcount

    def record_failure(self, account_id: str, sync_log: Row, error: str) -> None:
        with self.transaction() as conn:
            _write_sync_log(conn, sync_log)
            conn.execute(
                "UPDATE trading_accounts SET last_sync_at = ?, last_connection_error = ?, "
                "sync_failure_count = sync_failure_count + 1, agent_last_seen_at = ?, "
                "agent_version = ?, agent_host = ?, updated_at = ? WHERE id = ?",
                (
                    sync_log["finished_at"], error, sync_log["finished_at"],
                    sync_log.get("app_version"), sync_log.get("host"), now_iso(), account_id,
                ),
            )

    def sync_logs(self, account_id: str | None = None, limit: int = 50) -> list[Row]:
        where, params = ("WHERE account_id = ?", (account_id,)) if account_id else ("", ())
        rows = self.query(
            f"SELECT * FROM sync_logs {where} ORDER BY started_at DESC LIMIT ?", (*params, limit)
        )
        return [dict(r) for r in rows]

    # --- the one write of a sync ------------------------------------------------------

    def commit_sync(self, batch: SyncBatch) -> SyncCounts:
        stamp = now_iso()
        with self.transaction() as conn:
            counts = self._write_batch(conn, batch, stamp)
            if self.on_commit is not None:
                self.on_commit(conn, batch)
        return counts

    def record_equity(self, snapshot: Row) -> None:
        """Watch mode (issue 13): equity moved between syncs. One equity_snapshots
        row and the account's snapshot columns, in one transaction."""
        with self.transaction() as conn:
            conn.execute(
                _insert_sql("equity_snapshots", EQUITY_COLUMNS, "ON CONFLICT DO NOTHING"),
                tuple(snapshot[c] for c in EQUITY_COLUMNS),
            )
            values = {c: snapshot[c] for c in _EQUITY_ACCOUNT_COLUMNS}
            sets = ", ".join(f"{c} = ?" for c in values)
            conn.execute(f"UPDATE trading_accounts SET {sets}, updated_at = ? WHERE id = ?",
                         (*values.values(), now_iso(), snapshot["account_id"]))

    def _write_batch(self, conn: sqlite3.Connection, batch: SyncBatch, stamp: str
                     ) -> SyncCounts:
        account = {k: v for k, v in batch.account_row.items() if k in ACCOUNT_COLUMNS}
        sets = ", ".join(f"{c} = ?" for c in account)
        conn.execute(
            f"UPDATE trading_accounts SET {sets}, updated_at = ? WHERE id = ?",
            (*account.values(), stamp, batch.account_id),
        )
        if batch.restamp_clock is not None:
            batch.restamped_deals, batch.restamped_trades = restamp_account(
                conn, batch.account_id, batch.restamp_clock, stamp)
        known_open = {r[0] for r in conn.execute(
            "SELECT ticket FROM trades INDEXED BY trades_by_status "
            "WHERE account_id = ? AND status = 'open'", (batch.account_id,))}
        changes = conn.total_changes
        conn.executemany(
            _insert_sql("deals", DEAL_COLUMNS, "ON CONFLICT (account_id, ticket) DO NOTHING"),
            map(itemgetter(*DEAL_COLUMNS), batch.new_deals),
        )
        counts = _committed_counts(batch, conn.total_changes - changes, known_open)
        # The audit's finding is the reading's, not something the commit counts.
        counts.deals_archived = int(batch.sync_log.get("deals_archived") or 0)
        trade_columns = (*TRADE_COLUMNS, "updated_at")
        trade_values = itemgetter(*TRADE_COLUMNS)
        conn.executemany(
            _upsert_sql("trades", trade_columns, ("account_id", "ticket")),
            ((*trade_values(t), stamp) for t in batch.trades),
        )
        conn.execute(
            _insert_sql("equity_snapshots", EQUITY_COLUMNS, "ON CONFLICT DO NOTHING"),
            tuple(batch.equity_snapshot[c] for c in EQUITY_COLUMNS),
        )
        # The log (and the outbox entry queued from it) carries the counts as committed.
        batch.sync_log = {**batch.sync_log, **asdict(counts)}
        _write_sync_log(conn, batch.sync_log)
        conn.execute(
            _upsert_sql("sync_cursors", ("account_id", "newest_deal_time_msc", "updated_at"),
                        ("account_id",)),
            (batch.account_id, batch.newest_deal_time_msc, stamp),
        )
        return counts


def restamp_account(conn: sqlite3.Connection, account_id: str, clock: Any, stamp: str
                    ) -> tuple[list[Row], list[Row]]:
    """Every stored time of the account on `clock` (issue 10): deals from their
    raw time_msc, trades' open/close times from the deal that gave them (a
    trade's open time is its opening deal's, its close time its last exit's).
    Returns the deal and trade rows that changed, as stored now. Idempotent:
    on the same clock nothing changes. The natural keys hold no time."""
    deals = [dict(r) for r in conn.execute("SELECT * FROM deals WHERE account_id = ?",
                                           (account_id,))]
    restamped = restamp_rows(deals, clock)
    moved = {(d["position_id"], d["time"]): n["time"] for d, n in zip(deals, restamped, strict=True)
             if d["time"] != n["time"]}
    changed_deals = [n for d, n in zip(deals, restamped, strict=True)
                     if (d["time"], d["server_utc_offset_minutes"])
                     != (n["time"], n["server_utc_offset_minutes"])]
    conn.executemany(
        "UPDATE deals SET time = ?, server_utc_offset_minutes = ? WHERE account_id = ? "
        "AND ticket = ?",
        ((n["time"], n["server_utc_offset_minutes"], account_id, n["ticket"])
         for n in changed_deals))
    changed_trades: list[Row] = []
    for trade in (dict(r) for r in conn.execute("SELECT * FROM trades WHERE account_id = ?",
                                                 (account_id,))):
        new_open = moved.get((trade["ticket"], trade["open_time"]), trade["open_time"])
        new_close = moved.get((trade["ticket"], trade["close_time"]), trade["close_time"])
        if (new_open, new_close) != (trade["open_time"], trade["close_time"]):
            trade.update(open_time=new_open, close_time=new_close, updated_at=stamp)
            changed_trades.append(trade)
    conn.executemany(
        "UPDATE trades SET open_time = ?, close_time = ?, updated_at = ? WHERE account_id = ? "
        "AND ticket = ?",
        ((t["open_time"], t["close_time"], stamp, account_id, t["ticket"])
         for t in changed_trades))
    return changed_deals, changed_trades


def _committed_counts(batch: SyncBatch, deals_inserted: int, known_open: set[int]
                      ) -> SyncCounts:
    """The sync's counts against the journal as it is inside the committing
    transaction, not as it was when the terminal was read: another process
    may have committed the same deals and positions meanwhile (issue 8)."""
    log = batch.sync_log
    counts = SyncCounts(
        positions_created=log.get("positions_created") or 0,
        positions_updated=log.get("positions_updated") or 0,
        positions_closed=log.get("positions_closed") or 0,
        deals_inserted=deals_inserted,
        trades_upserted=log.get("trades_upserted") or len(batch.trades),
    )
    if batch.open_positions is not None:
        counts.positions_created = len(batch.open_positions - known_open)
        counts.positions_updated = len(batch.open_positions & known_open)
        counts.positions_closed = len(known_open - batch.open_positions)
    return counts


def _write_sync_log(conn: sqlite3.Connection, sync_log: Row) -> None:
    conn.execute(
        _upsert_sql("sync_logs", SYNC_LOG_COLUMNS, ("id",)),
        tuple(sync_log.get(c) for c in SYNC_LOG_COLUMNS),
    )


# Public name for stores that extend LocalStore (the Supabase outbox).
write_sync_log = _write_sync_log


def _account_state(row: sqlite3.Row) -> AccountState:
    return AccountState(
        account_id=row["id"],
        login=row["login"],
        server=row["server"],
        newest_deal_time_msc=row["newest_deal_time_msc"],
        server_utc_offset_minutes=row["server_utc_offset_minutes"],
        sync_failure_count=row["sync_failure_count"],
        is_active=bool(row["is_active"]),
        server_timezone=row["server_timezone"],
        server_timezone_source=row["server_timezone_source"],
        server_timezone_checked_at=row["server_timezone_checked_at"],
        server_timezone_evidence=row["server_timezone_evidence"],
    )
