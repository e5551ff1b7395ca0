"""Repairing the outbox from the journal: the journal is the source of truth.

What a set-aside entry held is still in the journal (its kind and account are
kept in clear; only the rows were sealed), so it is repaired by queuing those
rows again, read from the journal now and sealed under the current key:
- automatically, for entries that cannot be read (the outbox key in the
  keyring was replaced or deleted, or the entry is damaged): nothing but an
  idempotent upload of what the journal already holds, so it is always safe;
- on request (`mt5tray uploads requeue`), also for rows Supabase refused,
  once the user fixed the cause (a migration applied, an upgrade).

A replaced key is noticed at once by the canary (quarantine.py): every entry
sealed under the old key is set aside in one pass and re-queued, and the
message says so instead of failing one entry at a time.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from mt5tray.core.clean import Cleaning
from mt5tray.store.outbox import KINDS, Outbox, _aad
from mt5tray.store.outbox_crypto import UndecryptableEntry
from mt5tray.store.quarantine import REFUSED, SELF_REPAIRING, UNDECRYPTABLE

log = logging.getLogger(__name__)


@dataclass
class Requeued:
    """What a requeue did, for the log, the CLI and `sync --json`."""

    entries: int = 0
    rows_set_aside: int = 0
    rows_queued: int = 0
    values_cleaned: int = 0  # NULs and infinities an older version left in the journal
    accounts: set[str] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)

    def message(self) -> str:
        if not self.entries:
            return "Nothing was set aside; nothing to re-queue."
        why = "; ".join(dict.fromkeys(self.reasons))
        cleaned = (f" {self.values_cleaned} value(s) that Supabase cannot store (NUL characters, "
                   "infinities) were cleaned in the journal first." if self.values_cleaned
                   else "")
        return (f"{self.rows_set_aside} row(s) waiting for upload were set aside ({why}). "
                f"Re-queued {self.rows_queued} row(s) of {len(self.accounts)} account(s) from "
                f"the local journal under the current outbox key; they upload with the rest."
                + cleaned)


class OutboxRepair:
    """Sets aside what cannot be sent and queues it again from the journal."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.quarantine = outbox.quarantine
        self.last_message: str | None = None

    def run(self) -> Requeued:
        """Before and after a flush: notice a replaced key, then re-queue every
        entry that could not be read. Logs what happened and what was done."""
        self._check_key()
        done = self.requeue(SELF_REPAIRING)
        if done.entries:
            self.last_message = done.message()
            log.warning("%s", self.last_message)
        return done

    def _check_key(self) -> None:
        state = self.quarantine.key_state()
        if state == "same":
            return
        if state == "changed":
            log.warning("The outbox key in the keyring is not the one the waiting uploads were "
                        "sealed with (it was replaced or deleted); setting those entries aside")
            self._set_aside_unreadable()
        self.quarantine.remember_key()

    def _set_aside_unreadable(self) -> None:
        reason = ("sealed with an outbox key that is no longer in the keyring (it was replaced "
                  "or deleted)")
        store = self.outbox._store
        for row in store.query("SELECT id, kind, account_id, row_count, nonce, payload "
                               "FROM outbox ORDER BY id"):
            try:
                self.outbox.cipher.open(row["nonce"], row["payload"],
                                        _aad(row["kind"], row["account_id"]))
            except UndecryptableEntry:
                self.quarantine.set_aside_entry(row, UNDECRYPTABLE, reason)

    def requeue(self, causes: tuple[str, ...] | None = None) -> Requeued:
        """Queue the set-aside rows again from the journal (all causes by default)."""
        entries = self.quarantine.open_entries(causes)
        done = Requeued(entries=len(entries))
        if not entries:
            return done
        whole: dict[str, set[str]] = defaultdict(set)  # account -> kinds to send whole
        keyed: dict[tuple[str, str], set[tuple[Any, ...]]] = defaultdict(set)
        for entry in entries:
            done.rows_set_aside += entry.row_count
            done.reasons.append(entry.reason)
            rows = self.quarantine.refused_rows(entry.id) if entry.cause == REFUSED else None
            if rows is None:
                whole[entry.account_id].add(entry.kind)
                continue
            names = KINDS[entry.kind][1]
            keyed[(entry.kind, entry.account_id)].update(
                tuple(r.get(k) for k in names) for r in rows)
        with self.outbox._store.transaction() as conn:
            for account_id, kinds in whole.items():
                for kind in kinds:
                    done.rows_queued += self._queue(conn, kind, account_id, None, done)
                done.accounts.add(account_id)
            for (kind, account_id), keys in keyed.items():
                done.rows_queued += self._queue(conn, kind, account_id, keys, done)
                done.accounts.add(account_id)
            for entry in entries:
                self.quarantine.resolve(conn, entry.id, "re-queued from the local journal")
        return done

    def _queue(self, conn: sqlite3.Connection, kind: str, account_id: str,
               keys: set[tuple[Any, ...]] | None, done: Requeued) -> int:
        """Queue the journal's current rows of `kind` for the account (all, or by key)."""
        if kind == "trading_accounts":
            found = conn.execute("SELECT 1 FROM trading_accounts WHERE id = ?",
                                 (account_id,)).fetchone()
            self.outbox.enqueue_account(conn, account_id)
            return 1 if found else 0
        names = KINDS[kind][1]
        if keys is None:
            rows = [dict(r) for r in conn.execute(
                f"SELECT * FROM {kind} WHERE account_id = ?", (account_id,))]
        else:
            match = " AND ".join(f"{n} = ?" for n in names)
            rows = []
            for key in sorted(keys, key=repr):
                rows.extend(dict(r) for r in conn.execute(
                    f"SELECT * FROM {kind} WHERE {match}", key))
        done.values_cleaned += _clean_in_journal(conn, kind, rows)
        self.outbox.enqueue(conn, kind, account_id, rows)
        return len(rows)


def _clean_in_journal(conn: sqlite3.Connection, kind: str, rows: list[dict[str, Any]]) -> int:
    """Apply the engine's cleaning (core/clean.py) to journal rows an older
    version wrote, so journal and Supabase agree; returns the values changed."""
    names = KINDS[kind][1]
    changed = 0
    for row in rows:
        before = dict(row)
        Cleaning().clean(row, kind)
        columns = [c for c in row if row[c] != before[c]]
        if not columns:
            continue
        changed += len(columns)
        sets = ", ".join(f"{c} = ?" for c in columns)
        match = " AND ".join(f"{n} = ?" for n in names)
        conn.execute(f"UPDATE {kind} SET {sets} WHERE {match}",
                     (*(row[c] for c in columns), *(before[n] for n in names)))
    return changed
