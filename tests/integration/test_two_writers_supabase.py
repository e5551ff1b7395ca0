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


def test_the_running_agent_refreshes_with_the_token_other_processes_rotated(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    """The tray keeps its session in memory; two `mt5tray sync` runs rotate the
    refresh token in the keyring meanwhile. When the tray's access token
    expires it must refresh with the keyring's token, not its spent one (which
    makes Supabase revoke the session: the whole PC signed out)."""
    gateway.access_token_ttl = 1  # every agent refreshes before each upload
    user = make_user()
    tray = supabase_app(tmp_path / "home", gateway, user)
    try:
        for _ in range(2):  # two CLI runs on the same home, each rotating the token
            cli = supabase_app(tmp_path / "home", gateway)
            try:
                assert cli.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI,
                                            None).ok
                assert agent(cli).pending_uploads() == 0, agent(cli).last_error
            finally:
                cli.close()
        assert agent(tray).heartbeat() == 1  # refreshes, then uploads
        assert agent(tray).pending_uploads() == 0
        again = supabase_app(tmp_path / "home", gateway)  # the PC is still signed in
        try:
            again.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
            assert agent(again).pending_uploads() == 0, agent(again).last_error
        finally:
            again.close()
    finally:
        tray.close()
