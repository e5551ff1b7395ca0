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

# v4 (issue 12): this install's identity, the key of its heartbeat row in the
# Supabase `agents` table (one row, created on first use).
_V4_AGENT_INSTALL = """
CREATE TABLE agent_install (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3_QUARANTINE, _V4_AGENT_INSTALL]


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database to the newest schema version, one step at a time."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for target, script in enumerate(MIGRATIONS[version:], start=version + 1):
        with conn:
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {target};\nCOMMIT;")
