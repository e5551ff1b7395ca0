"""Batches that Supabase cannot take in time: the statement_timeout of the
API role, a client read timeout, and a single row that keeps timing out."""

from __future__ import annotations

import pytest

from mt5tray.core.errors import StoreUnavailable
from mt5tray.core.models import AccountRef, SyncType, Trigger
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from tests.integration.agent_setup import agent, supabase_app
from tests.integration.test_supabase_sync import assert_mirrored

pytestmark = pytest.mark.postgres

DEALS = 300


def _app_with_history(tmp_path, gateway, user, **supabase):
    """Signed in, on a synthetic account of about DEALS deals, uploads paused."""
    app = supabase_app(tmp_path / "pc", gateway, user, **supabase)
    terminal = simulated.synthetic(deals=DEALS)
    app.engine.terminal_factory = lambda: Mt5ApiTerminal(terminal)
    app.service.listeners.remove(agent(app).on_sync_event)  # the test flushes by hand
    result = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
    assert result.ok, result.summary()
    assert agent(app).pending_uploads() > DEALS
    return app


def _deal_posts(gateway) -> list[int]:
    return [r.status for r in gateway.requests if r.path.startswith("/rest/v1/deals")]


def test_a_batch_that_hits_the_statement_timeout_is_sent_in_halves(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = _app_with_history(tmp_path, gateway, user, batch_size=100)
    try:
        # Supabase cancels any deals request of 30 rows or more.
        gateway.inject_statement_timeout(min_rows=30, path_prefix="/rest/v1/deals")
        flusher = agent(app).flusher
        agent(app).flush()
        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, user.id)  # nothing lost, nothing doubled
        statuses = _deal_posts(gateway)
        batches = -(-len(app.store.query("select ticket from deals")) // 100)
        # Each batch of 100 failed once, then each half once: split at once,
        # never retried at a size that cannot succeed.
        assert 0 < statuses.count(500) <= 3 * batches
        assert statuses.count(201) >= 4 * (batches - 1)
        assert flusher.current_batch_rows == 25  # 100 -> 50 -> 25, kept for later rounds

        gateway.clear_faults()
        app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
        agent(app).flush()
        assert flusher.current_batch_rows == 50  # a flush without timeouts grows it back
    finally:
        app.close()


def test_a_batch_the_client_gives_up_on_is_sent_in_halves(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = _app_with_history(tmp_path, gateway, user, batch_size=200, timeout_s=1)
    try:
        # The first big deals request takes longer than the agent waits.
        gateway.inject_fault(503, times=1, path_prefix="/rest/v1/deals", min_rows=150,
                             delay_s=2.5)
        agent(app).flush()
        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, user.id)
        assert agent(app).flusher.current_batch_rows == 100
    finally:
        app.close()


def test_a_single_row_that_keeps_timing_out_waits_in_the_outbox(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = _app_with_history(tmp_path, gateway, user, batch_size=4)
    try:
        pending = agent(app).pending_uploads()
        gateway.inject_statement_timeout(min_rows=1, path_prefix="/rest/v1/deals")
        with pytest.raises(StoreUnavailable) as stopped:
            agent(app).flush()
        assert "in smaller batches" in stopped.value.message
        assert agent(app).pending_uploads() == pending  # the round was not acknowledged

        gateway.clear_faults()
        agent(app).flush()
        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, user.id)
    finally:
        app.close()
