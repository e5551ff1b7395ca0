"""Two mt5tray processes on one PC in Supabase mode (issue 8, section 1): the
focused cases, each with the second writer put at the worst moment.

The end-to-end runs with two real processes are in test_two_processes.py."""

from __future__ import annotations

import pytest

from mt5tray.core.models import AccountRef, SyncType, Trigger
from tests.integration.agent_setup import agent, supabase_app
from tests.integration.test_supabase_sync import assert_mirrored, remote_rows

pytestmark = pytest.mark.postgres


def test_an_older_upload_landing_after_a_newer_one_never_wins(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    """Two flushers at once: one sends the sync's `processing` rows late,
    after the other sent the finished sync. Supabase keeps the newer rows."""
    user = make_user()
    app = supabase_app(tmp_path / "sb", gateway, user)
    try:
        app.service.listeners.clear()  # no upload right after the sync: we drive it
        result = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert result.ok
        entries = [dict(r) for r in app.store.query("SELECT * FROM outbox ORDER BY id")]
        # start_sync queued the account and the `processing` log first.
        early = [e for e in entries[:2]]
        assert [e["kind"] for e in early] == ["trading_accounts", "sync_logs"]
        with app.store.transaction() as conn:
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(e["id"],) for e in early])
        agent(app).flush()  # the other flusher: everything but the early entries
        with app.store.transaction() as conn:  # ... which now arrive late
            conn.executemany(
                "INSERT INTO outbox (kind, account_id, row_count, nonce, payload, created_at) "
                "VALUES (:kind, :account_id, :row_count, :nonce, :payload, :created_at)", early)
        agent(app).flush()
        assert agent(app).pending_uploads() == 0

        (log,) = remote_rows(pg, "sync_logs", user.id, "started_at")
        assert log["status"] == "success"  # not stuck at `processing`
        assert_mirrored(pg, app.store, user.id)
    finally:
        app.close()
