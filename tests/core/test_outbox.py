"""The outbox's own contract, without Supabase: what is queued comes back in
order, as the same rows, after a restart, and across a payload-format change."""

from __future__ import annotations

from mt5tray.secrets import KeyringSecrets
from mt5tray.store.outbox import KINDS, OutboxingStore, _aad
from mt5tray.store.outbox_crypto import OutboxCipher

ACCOUNT = "acc-1"


def _deal(ticket: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {c: None for c in KINDS["deals"][0]}
    row.update(account_id=ACCOUNT, ticket=ticket, time="2026-01-02T03:04:05.000+00:00",
               type="buy", symbol="EURUSD", volume=0.1, profit=1.25, comment="note é")
    row.update(changes)
    return row


def test_queued_rows_come_back_in_order_after_a_restart(tmp_path, memory_keyring) -> None:
    path = tmp_path / "state.db"
    store = OutboxingStore(path, OutboxCipher(KeyringSecrets()), chunk_rows=2)
    deals = [_deal(t) for t in range(1, 6)]
    sparse = {"account_id": ACCOUNT, "ticket": 9}  # a row lacking columns gets None for them
    with store.transaction() as conn:
        store.outbox.enqueue(conn, "deals", ACCOUNT, [*deals, sparse])
    store.close()

    reopened = OutboxingStore(path, OutboxCipher(KeyringSecrets()), chunk_rows=2)
    try:
        entries = reopened.outbox.take(100)
        assert [len(e.rows) for e in entries] == [2, 2, 2]
        rows = [r for e in entries for r in e.rows]
        assert rows[:5] == deals
        assert rows[5] == {**{c: None for c in KINDS["deals"][0]}, **sparse}
        assert reopened.pending_uploads() == 6
        later = reopened.outbox.take(100, after_id=entries[0].id)
        assert [e.id for e in later] == [e.id for e in entries[1:]]
    finally:
        reopened.close()


def test_entries_queued_in_the_first_format_still_read(tmp_path, memory_keyring) -> None:
    """Rows queued by a version that stored a list of objects must upload after
    an upgrade, not be lost or fail to decode."""
    store = OutboxingStore(tmp_path / "state.db", OutboxCipher(KeyringSecrets()))
    try:
        old_rows = [_deal(1), _deal(2, profit=-3.5)]
        nonce, payload = store.outbox.cipher.seal(old_rows, _aad("deals", ACCOUNT))
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO outbox (kind, account_id, row_count, nonce, payload, created_at) "
                "VALUES ('deals', ?, 2, ?, ?, '2026-11-01T00:00:00Z')",
                (ACCOUNT, nonce, payload))
            store.outbox.enqueue(conn, "deals", ACCOUNT, [_deal(3)])
        entries = store.outbox.take(100)
        assert [r["ticket"] for e in entries for r in e.rows] == [1, 2, 3]
        assert entries[0].rows == old_rows
    finally:
        store.close()


def test_a_damaged_entry_is_set_aside_and_the_entries_after_it_still_come(
        tmp_path, memory_keyring) -> None:
    store = OutboxingStore(tmp_path / "state.db", OutboxCipher(KeyringSecrets()), chunk_rows=2)
    try:
        with store.transaction() as conn:
            store.outbox.enqueue(conn, "deals", ACCOUNT, [_deal(t) for t in range(1, 7)])
        first, damaged, last = (r[0] for r in store.query("select id from outbox order by id"))
        (payload,) = store.query("select payload from outbox where id = ?", (damaged,))[0]
        flipped = bytes([payload[0] ^ 0x80]) + bytes(payload[1:])
        with store.transaction() as conn:
            conn.execute("update outbox set payload = ? where id = ?", (flipped, damaged))

        entries = store.outbox.take(100)

        assert [e.id for e in entries] == [first, last]
        assert [r["ticket"] for e in entries for r in e.rows] == [1, 2, 5, 6]
        (aside,) = store.outbox.quarantine.open_entries()
        assert (aside.kind, aside.row_count, aside.cause) == ("deals", 2, "corrupt")
        assert store.pending_uploads() == 4  # set-aside rows no longer count as pending
    finally:
        store.close()
