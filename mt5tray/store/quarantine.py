"""Outbox entries that cannot be sent, set aside so the rest keep flowing.

A poison entry used to stop the flusher for every account, forever: an entry
sealed with an outbox key that is no longer in the keyring, a payload damaged
on disk, a row Supabase refuses (PostgreSQL 22P05, a constraint). Such an
entry (or, for a refused row, that one row) moves here with its cause and a
readable reason; `mt5tray status`, the tray and the log show it, and
`mt5tray uploads requeue` (store/outbox_repair.py) queues those rows again
from the journal, which is the source of truth.

Causes:
- `undecryptable`: sealed with another outbox key (replaced or deleted);
- `corrupt`: the entry itself is damaged (a flipped byte, bad JSON);
- `refused`: Supabase refused the row; it stays here until the user asks
  for a requeue (after fixing what the reason names).

The canary (`outbox_key_check`) is a constant sealed with the current key:
when it no longer opens, the key changed and every older entry is
undecryptable; when it opens, a failing entry is damaged.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from mt5tray.core.models import Row
from mt5tray.store.local import LocalStore, now_iso
from mt5tray.store.outbox_crypto import OutboxCipher, UndecryptableEntry

UNDECRYPTABLE, CORRUPT, REFUSED = "undecryptable", "corrupt", "refused"
# Causes the journal can repair without the user: the rows are re-queued at once.
SELF_REPAIRING = (UNDECRYPTABLE, CORRUPT)
_CANARY = b"mt5tray-outbox-key-check"


@dataclass(frozen=True, slots=True)
class QuarantinedEntry:
    id: int
    kind: str
    account_id: str
    row_count: int
    cause: str
    reason: str
    quarantined_at: str


def _aad(kind: str, account_id: str) -> bytes:
    return f"mt5tray-quarantine:{kind}:{account_id}".encode()


class Quarantine:
    """The set-aside entries, on the journal's connection."""

    def __init__(self, store: LocalStore, cipher: OutboxCipher) -> None:
        self._store = store
        self._cipher = cipher

    # --- setting aside ------------------------------------------------------------

    def set_aside_entry(self, entry: sqlite3.Row, cause: str, reason: str) -> None:
        """Move one outbox entry here as it is (its sealed bytes kept as evidence)."""
        with self._store.transaction() as conn:
            conn.execute(
                "INSERT INTO outbox_quarantine (kind, account_id, row_count, nonce, payload, "
                "cause, reason, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (entry["kind"], entry["account_id"], entry["row_count"], entry["nonce"],
                 entry["payload"], cause, reason, now_iso()))
            conn.execute("DELETE FROM outbox WHERE id = ?", (entry["id"],))

    def set_aside_rows(self, conn: sqlite3.Connection, kind: str, account_id: str,
                       rows: list[Row], reason: str) -> None:
        """Rows Supabase refused, sealed again under the current key."""
        nonce, payload = self._cipher.seal(rows, _aad(kind, account_id))
        conn.execute(
            "INSERT INTO outbox_quarantine (kind, account_id, row_count, nonce, payload, "
            "cause, reason, quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, account_id, len(rows), nonce, payload, REFUSED, reason, now_iso()))

    def cause_of_unreadable(self) -> tuple[str, str]:
        """Why an entry failed to open: the key changed, or the entry is damaged."""
        if self.key_state() == "changed":
            return UNDECRYPTABLE, ("sealed with an outbox key that is no longer in the keyring "
                                   "(it was replaced or deleted)")
        return CORRUPT, "the entry is damaged on disk (it fails its integrity check)"

    # --- reading -----------------------------------------------------------------------

    def open_entries(self, causes: tuple[str, ...] | None = None) -> list[QuarantinedEntry]:
        where = "resolved_at IS NULL"
        params: tuple[Any, ...] = ()
        if causes:
            where += f" AND cause IN ({','.join('?' * len(causes))})"
            params = causes
        rows = self._store.query(
            "SELECT id, kind, account_id, row_count, cause, reason, quarantined_at FROM "
            f"outbox_quarantine WHERE {where} ORDER BY id", params)
        return [QuarantinedEntry(*tuple(r)) for r in rows]

    def refused_rows(self, entry_id: int) -> list[Row] | None:
        """The rows of a `refused` entry, or None when they no longer open."""
        rows = self._store.query("SELECT kind, account_id, nonce, payload FROM "
                                 "outbox_quarantine WHERE id = ?", (entry_id,))
        if not rows:
            return None
        row = rows[0]
        try:
            opened = self._cipher.open(row["nonce"], row["payload"],
                                       _aad(row["kind"], row["account_id"]))
        except UndecryptableEntry:
            return None
        return opened if isinstance(opened, list) else None

    def summary(self) -> dict[str, Any]:
        """What status and `sync --json` show: rows set aside and why."""
        entries = self.open_entries()
        reasons: dict[str, int] = {}
        for entry in entries:
            reasons[entry.reason] = reasons.get(entry.reason, 0) + entry.row_count
        return {
            "quarantined_rows": sum(e.row_count for e in entries),
            "quarantined_entries": len(entries),
            "reasons": [{"reason": r, "rows": n} for r, n in reasons.items()],
        }

    def recent_repairs(self, limit: int = 5) -> list[dict[str, Any]]:
        rows = self._store.query(
            "SELECT kind, account_id, row_count, cause, reason, resolved_at, resolution FROM "
            "outbox_quarantine WHERE resolved_at IS NOT NULL ORDER BY id DESC LIMIT ?",
            (limit,))
        return [dict(r) for r in rows]

    def resolve(self, conn: sqlite3.Connection, entry_id: int, resolution: str) -> None:
        """Done with: keep the record (what happened, what was done), drop the bytes."""
        conn.execute("UPDATE outbox_quarantine SET resolved_at = ?, resolution = ?, nonce = NULL, "
                     "payload = NULL WHERE id = ?", (now_iso(), resolution, entry_id))

    # --- the key canary ----------------------------------------------------------------

    def key_state(self) -> str:
        """"same", "changed" (the canary does not open) or "new" (no canary yet)."""
        rows = self._store.query("SELECT nonce, payload FROM outbox_key_check WHERE id = 1")
        if not rows:
            return "new"
        try:
            opened = self._cipher.open(rows[0]["nonce"], rows[0]["payload"], _CANARY)
        except UndecryptableEntry:  # (a locked keyring raises another error: no change)
            return "changed"
        return "same" if opened == _CANARY.decode() else "changed"

    def remember_key(self) -> None:
        nonce, payload = self._cipher.seal(_CANARY.decode(), _CANARY)
        with self._store.transaction() as conn:
            conn.execute("INSERT INTO outbox_key_check (id, nonce, payload) VALUES (1, ?, ?) "
                         "ON CONFLICT (id) DO UPDATE SET nonce = excluded.nonce, "
                         "payload = excluded.payload", (nonce, payload))
