"""Two mt5tray processes opening and syncing one journal (issue 8, section 1).

Each test puts the second writer at the worst moment of the first, so the
outcome never depends on timing: a journal being created while another
process creates it, and two first syncs that read the terminal before
either commits.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.models import AccountRef, SyncRequest, SyncType, Trigger
from mt5tray.home_lock import home_lock
from mt5tray.secrets import KeyringSecrets
from mt5tray.store.local import LocalStore
from mt5tray.store.local_schema import MIGRATIONS, migrate
from mt5tray.store.outbox import OutboxingStore
from mt5tray.store.outbox_crypto import OUTBOX_KEY_NAME, OutboxCipher
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hedging_basic.json"


def test_a_journal_created_by_another_process_meanwhile_opens_fine(tmp_path):
    """The second opener runs its whole migration just after the first read
    the schema version (the moment two fresh processes meet, 3 of 20 trials):
    both open the journal and it is migrated once."""
    path = tmp_path / "journal.sqlite3"
    first = sqlite3.connect(path, isolation_level=None, timeout=30)
    first.execute("PRAGMA journal_mode = WAL")
    other: dict[str, object] = {}
    state = {"read_version": False, "done": False}

    def open_other() -> None:
        try:
            LocalStore(path).close()
            other["ok"] = True
        except Exception as exc:  # reported by the assertion below
            other["error"] = exc

    def between_statements(sql: str) -> None:
        if state["done"]:
            return
        if "user_version" in sql and "=" not in sql:
            state["read_version"] = True
            return
        if state["read_version"]:
            state["done"] = True
            # The other process opens now; it may have to wait for our write
            # transaction (that is the point), so give it a moment, not more.
            worker = threading.Thread(target=open_other)
            worker.start()
            worker.join(1.0)
            other["thread"] = worker

    first.set_trace_callback(between_statements)
    migrate(first)  # before the fix: "table trading_accounts already exists"
    first.set_trace_callback(None)
    worker = other["thread"]
    assert isinstance(worker, threading.Thread)
    worker.join(30)
    assert other.get("ok"), other.get("error")
    assert first.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    tables = first.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                           "AND name = 'trading_accounts'").fetchone()[0]
    assert tables == 1
    first.close()


class _SecondSyncMeanwhile:
    """The MT5 adapter, with another process's whole sync slipped in after this
    sync has read the terminal and before it commits (the engine's check that
    the account did not switch is the last call before the commit)."""

    def __init__(self, inner: Mt5ApiTerminal, meanwhile) -> None:
        self._inner = inner
        self._meanwhile = meanwhile

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def account(self):
        if self._meanwhile is not None:
            run, self._meanwhile = self._meanwhile, None
            run()
        return self._inner.account()


def _engine(store: LocalStore, meanwhile=None) -> SyncEngine:
    api = simulated.from_scenario(SCENARIO)

    def factory():
        terminal = Mt5ApiTerminal(api, retry_delay_s=0)
        return _SecondSyncMeanwhile(terminal, meanwhile) if meanwhile else terminal

    return SyncEngine(store, factory, AgentInfo("test", "host"), clock=api.clock.utc)


def test_two_first_syncs_at_once_count_each_deal_once(tmp_path):
    path = tmp_path / "journal.sqlite3"
    first, second = LocalStore(path), LocalStore(path)
    request = SyncRequest(AccountRef(login=None), SyncType.INCREMENTAL, Trigger.CLI, None)
    results = []
    engine = _engine(first, meanwhile=lambda: results.append(_engine(second).sync(request)))
    results.append(engine.sync(request))

    deals = first.query("SELECT count(*) FROM deals")[0][0]
    open_trades = first.query("SELECT count(*) FROM trades WHERE status = 'open'")[0][0]
    assert all(r.ok for r in results), [r.error for r in results]
    assert deals > 0 and open_trades > 0
    # What the CLI printed and what sync_logs hold both add up to the journal.
    assert sum(r.counts.deals_inserted for r in results) == deals
    assert sum(r.counts.positions_created for r in results) == open_trades
    logged = first.query("SELECT sum(deals_inserted), sum(positions_created) FROM sync_logs")[0]
    assert tuple(logged) == (deals, open_trades)
    first.close()
    second.close()


class _KeyCreatedMeanwhile:
    """The keyring, with another process creating the outbox key just after
    this one looked for it and found none (two first starts at once)."""

    def __init__(self, inner: KeyringSecrets, meanwhile) -> None:
        self._inner = inner
        self._meanwhile = meanwhile

    def get(self, key: str) -> str | None:
        value = self._inner.get(key)
        if key == OUTBOX_KEY_NAME and self._meanwhile is not None:
            run, self._meanwhile = self._meanwhile, None
            run()
        return value

    def set(self, key: str, value: str) -> None:
        self._inner.set(key, value)

    def delete(self, key: str) -> None:
        self._inner.delete(key)


def test_two_first_starts_at_once_create_one_outbox_key(tmp_path, memory_keyring):
    """Both processes find no key; the rows each one queues must stay readable
    (before: the last writer's key won and the other's rows were stuck)."""
    path = tmp_path / "journal.sqlite3"
    lock = home_lock(tmp_path)
    stores = []

    def other_process_starts() -> None:
        other = OutboxingStore(path, OutboxCipher(KeyringSecrets(), exclusive=lock.held))
        other.outbox.cipher.ensure_key()
        with other.transaction() as conn:
            other.outbox.enqueue(conn, "sync_logs", "acc-1", [{"id": "from-the-other"}])
        stores.append(other)

    secrets = _KeyCreatedMeanwhile(KeyringSecrets(), other_process_starts)
    first = OutboxingStore(path, OutboxCipher(secrets, exclusive=lock.held))
    first.outbox.cipher.ensure_key()
    with first.transaction() as conn:
        first.outbox.enqueue(conn, "sync_logs", "acc-1", [{"id": "from-the-first"}])
    stores.append(first)

    restarted = OutboxingStore(path, OutboxCipher(KeyringSecrets()))  # a later run
    try:
        ids = [e.rows[0]["id"] for e in restarted.outbox.take(100)]
        assert ids == ["from-the-other", "from-the-first"]
    finally:
        for store in [*stores, restarted]:
            store.close()
