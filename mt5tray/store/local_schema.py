"""The SQLite schema of the local journal: the data-contract tables (same
table and column names as Supabase) plus the engine's own state.

Versioned with `PRAGMA user_version`; each entry of MIGRATIONS upgrades one
version and runs in the same transaction as the version bump.
"""

from __future__ import annotations

import sqlite3

_V1 = """
CREATE TABLE trading_accounts (
    id TEXT PRIMARY KEY,
    user_id TEXT,
    login INTEGER NOT NULL,
    server TEXT NOT NULL,
    name TEXT, company TEXT, currency TEXT,
    leverage INTEGER,
    trade_mode TEXT, margin_mode TEXT,
    balance REAL, credit REAL, equity REAL, margin REAL, margin_free REAL,
    margin_level REAL, floating_profit REAL,
    server_utc_offset_minutes INTEGER,
    is_active INTEGER NOT NULL DEFAULT 1,
    last_sync_at TEXT,
    last_successful_sync_at TEXT,
    last_connection_error TEXT,
    sync_failure_count INTEGER NOT NULL DEFAULT 0,
    agent_last_seen_at TEXT, agent_version TEXT, agent_host TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (server, login)
);

CREATE TABLE deals (
    account_id TEXT NOT NULL REFERENCES trading_accounts(id) ON DELETE CASCADE,
    ticket INTEGER NOT NULL,
    order_ticket INTEGER, position_id INTEGER,
    time TEXT NOT NULL, time_msc INTEGER NOT NULL,
    type TEXT, entry TEXT, reason TEXT, symbol TEXT,
    volume REAL, price REAL, commission REAL, swap REAL, profit REAL, fee REAL,
    magic INTEGER, comment TEXT, external_id TEXT,
    synced_at TEXT,
    PRIMARY KEY (account_id, ticket)
) WITHOUT ROWID;
CREATE INDEX deals_by_position ON deals (account_id, position_id);
CREATE INDEX deals_by_time ON deals (account_id, time_msc);

CREATE TABLE trades (
    account_id TEXT NOT NULL REFERENCES trading_accounts(id) ON DELETE CASCADE,
    ticket INTEGER NOT NULL,
    symbol TEXT, side TEXT, status TEXT,
    volume REAL, closed_volume REAL,
    open_time TEXT, open_price REAL, close_time TEXT, close_price REAL,
    sl REAL, tp REAL, current_price REAL, floating_profit REAL,
    profit REAL, commission REAL, swap REAL, fee REAL, net_profit REAL,
    magic INTEGER, comment TEXT,
    updated_at TEXT,
    PRIMARY KEY (account_id, ticket)
) WITHOUT ROWID;
CREATE INDEX trades_by_status ON trades (account_id, status);
CREATE INDEX trades_by_open_time ON trades (account_id, open_time);

CREATE TABLE sync_logs (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES trading_accounts(id) ON DELETE CASCADE,
    sync_type TEXT, trigger TEXT, status TEXT,
    started_at TEXT, finished_at TEXT, duration_ms INTEGER,
    positions_created INTEGER DEFAULT 0, positions_updated INTEGER DEFAULT 0,
    positions_closed INTEGER DEFAULT 0, deals_inserted INTEGER DEFAULT 0,
    trades_upserted INTEGER DEFAULT 0,
    error TEXT, app_version TEXT, host TEXT
);
CREATE INDEX sync_logs_by_account ON sync_logs (account_id, started_at);

CREATE TABLE equity_snapshots (
    account_id TEXT NOT NULL REFERENCES trading_accounts(id) ON DELETE CASCADE,
    time TEXT NOT NULL,
    balance REAL, equity REAL, margin REAL, margin_free REAL, floating_profit REAL,
    PRIMARY KEY (account_id, time)
);

CREATE TABLE sync_requests (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES trading_accounts(id) ON DELETE CASCADE,
    sync_type TEXT NOT NULL DEFAULT 'incremental',
    history_days INTEGER,
    status TEXT NOT NULL DEFAULT 'pending',
    requested_at TEXT, started_at TEXT, finished_at TEXT,
    sync_id TEXT, error TEXT
);

-- Engine state: how far each account's deals have been read.
CREATE TABLE sync_cursors (
    account_id TEXT PRIMARY KEY REFERENCES trading_accounts(id) ON DELETE CASCADE,
    newest_deal_time_msc INTEGER,
    updated_at TEXT NOT NULL
);
"""

# v2: the Supabase outbox (encrypted payloads waiting for upload, in sync
# order) and the remote ids of local accounts, per Supabase project and user.
_V2 = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    nonce BLOB NOT NULL,
    payload BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE remote_accounts (
    account_id TEXT NOT NULL REFERENCES trading_accounts(id) ON DELETE CASCADE,
    project TEXT NOT NULL,
    remote_user_id TEXT NOT NULL,
    remote_id TEXT NOT NULL,
    PRIMARY KEY (account_id, project, remote_user_id)
);
"""

# v3 (issue 8, poison rows): outbox entries (or single rows) that cannot be
# sent, set aside with the reason so the rest keep flowing; and a canary
# sealed with the outbox key, which tells a replaced key from a damaged entry.
_V3_QUARANTINE = """
CREATE TABLE outbox_quarantine (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    account_id TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    nonce BLOB,
    payload BLOB,
    cause TEXT NOT NULL,
    reason TEXT NOT NULL,
    quarantined_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution TEXT
);
CREATE INDEX outbox_quarantine_open ON outbox_quarantine (resolved_at);

CREATE TABLE outbox_key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    nonce BLOB NOT NULL,
    payload BLOB NOT NULL
);
"""


# v4 (issue 9): full syncs record the stored deals the terminal no longer has
# (archived by the broker) and the journal-vs-balance difference.
_V4_AUDIT = """
ALTER TABLE sync_logs ADD COLUMN deals_archived INTEGER DEFAULT 0;
ALTER TABLE sync_logs ADD COLUMN balance_difference REAL;
"""


# v5 (issue 8, branch 8a: two processes on one PC): the clock that stamps each
# row queued for Supabase with its row_version (see Outbox.enqueue), so the
# server keeps the newer of two uploads of one row. One row, updated in the
# transaction that queues.
_V5_ROW_CLOCK = """
CREATE TABLE row_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_version INTEGER NOT NULL
);
INSERT INTO row_clock (id, last_version) VALUES (1, 0);
"""

# v6 (issue 12): this install's identity, the key of its heartbeat row in the
# Supabase `agents` table (one row, created on first use).
_V6_AGENT_INSTALL = """
CREATE TABLE agent_install (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
"""

# v7 (issue 10): the server clock. Each deal keeps the offset applied to its
# time (time_msc stays the raw server value); each account its resolved clock
# (canonical spec), how it was found, when, and the evidence (JSON).
_V7_SERVER_CLOCK = """
ALTER TABLE deals ADD COLUMN server_utc_offset_minutes INTEGER;
ALTER TABLE trading_accounts ADD COLUMN server_timezone TEXT;
ALTER TABLE trading_accounts ADD COLUMN server_timezone_source TEXT;
ALTER TABLE trading_accounts ADD COLUMN server_timezone_checked_at TEXT;
ALTER TABLE trading_accounts ADD COLUMN server_timezone_evidence TEXT;
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3_QUARANTINE, _V4_AUDIT, _V5_ROW_CLOCK, _V6_AGENT_INSTALL,
                         _V7_SERVER_CLOCK]


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database to the newest schema version, one step at a time.

    Issue 8: the version is read again inside a write transaction (BEGIN
    IMMEDIATE), so a second process opening a new journal at the same moment
    waits for the first and then finds nothing to do, instead of both
    migrating ("table trading_accounts already exists"). `conn` must be in
    autocommit mode (isolation_level=None), as LocalStore opens it."""
    if conn.execute("PRAGMA user_version").fetchone()[0] >= len(MIGRATIONS):
        return  # the usual case: no write lock needed
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """A script's statements, one each (executescript would commit our
    transaction first). Lines are joined until SQLite calls the statement
    complete, so a trigger's inner semicolons do not split it."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    code = [line for line in pending.splitlines() if not line.strip().startswith("--")]
    if "".join(code).strip():  # an unfinished statement: let SQLite say what is wrong
        statements.append(pending.strip())
    return statements
