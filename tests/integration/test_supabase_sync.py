"""The Supabase store end to end: simulated terminal -> engine -> local journal
and outbox -> flusher -> real supabase-py -> test gateway -> PostgreSQL."""

from __future__ import annotations

import psycopg.rows
import pytest

from mt5tray.core.models import AccountRef, SyncStatus, SyncType, Trigger
from mt5tray.store.local import LocalStore
from tests.integration.agent_setup import SCENARIO, agent, comparable, supabase_app
from tests.support.postgres import PostgresCluster

pytestmark = pytest.mark.postgres

DEAL_FIELDS = ["ticket", "order_ticket", "position_id", "time", "time_msc", "type", "entry",
               "reason", "symbol", "volume", "price", "commission", "swap", "profit", "fee",
               "magic", "comment", "external_id", "synced_at"]
TRADE_FIELDS = ["ticket", "symbol", "side", "status", "volume", "closed_volume", "open_time",
                "open_price", "close_time", "close_price", "sl", "tp", "current_price",
                "floating_profit", "profit", "commission", "swap", "fee", "net_profit", "magic",
                "comment"]
LOG_FIELDS = ["id", "sync_type", "trigger", "status", "started_at", "finished_at", "duration_ms",
              "positions_created", "positions_updated", "positions_closed", "deals_inserted",
              "trades_upserted", "error", "app_version", "host",
              "deals_archived", "balance_difference"]  # issue 9
EQUITY_FIELDS = ["time", "balance", "equity", "margin", "margin_free", "floating_profit"]
ACCOUNT_FIELDS = ["login", "server", "name", "company", "currency", "leverage", "trade_mode",
                  "margin_mode", "balance", "credit", "equity", "margin", "margin_free",
                  "margin_level", "floating_profit", "server_utc_offset_minutes", "last_sync_at",
                  "last_successful_sync_at", "last_connection_error", "sync_failure_count",
                  "agent_last_seen_at", "agent_version", "agent_host"]
TABLES = {"deals": ("ticket", DEAL_FIELDS), "trades": ("ticket", TRADE_FIELDS),
          "sync_logs": ("id", LOG_FIELDS), "equity_snapshots": ("time", EQUITY_FIELDS)}


def remote_rows(pg: PostgresCluster, table: str, user_id: str, order: str) -> list[dict]:
    with pg.connect() as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"select * from public.{table} where user_id = %s order by {order}",
                           [user_id]).fetchall()


def local_rows(store: LocalStore, table: str, order: str) -> list[dict]:
    return [dict(r) for r in store.query(f"select * from {table} order by {order}")]


def assert_mirrored(pg: PostgresCluster, store: LocalStore, user_id: str,
                    skip: tuple[str, ...] = ()) -> None:
    """Every row of the local journal is in Supabase, value for value, and nothing else."""
    for table, (order, fields) in TABLES.items():
        if table in skip:
            continue
        local = comparable(local_rows(store, table, order), fields)
        remote = comparable(remote_rows(pg, table, user_id, order), fields)
        assert remote == local, table
    (account,) = remote_rows(pg, "trading_accounts", user_id, "login")
    (mirror,) = local_rows(store, "trading_accounts", "login")
    assert comparable([account], ACCOUNT_FIELDS) == comparable([mirror], ACCOUNT_FIELDS)


def test_full_then_incremental_sync_lands_in_supabase_row_for_row(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "sb", gateway, user)
    plain = supabase_app(tmp_path / "plain", gateway, None)  # the same scenario, never flushed
    try:
        full = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert full.status is SyncStatus.SUCCESS and full.counts.deals_inserted == 14
        assert agent(app).pending_uploads() == 0
        assert app.hooks.flush_outbox is not None and app.hooks.pending() == 0
        assert_mirrored(pg, app.store, user.id)

        incremental = app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
        assert incremental.status is SyncStatus.SUCCESS
        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, user.id)
        assert len(remote_rows(pg, "sync_logs", user.id, "started_at")) == 2

        # The same scenario synced into a plain local journal gives the same deals and trades.
        plain.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        for table, fields in (("deals", DEAL_FIELDS[:-1]), ("trades", TRADE_FIELDS)):
            assert comparable(remote_rows(pg, table, user.id, "ticket"), fields) == \
                comparable(local_rows(plain.store, table, "ticket"), fields)
    finally:
        app.close()
        plain.close()


def test_gateway_stopped_mid_sync_and_mid_flush_loses_and_doubles_nothing(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "sb", gateway, user, batch_size=3)
    try:
        gateway.stop()  # mid-sync: the sync commits locally, its upload waits
        result = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert result.ok
        waiting = agent(app).pending_uploads()
        assert waiting > 14
        assert "Cannot reach Supabase" in str(agent(app).last_error)
        gateway.start()

        served = []

        def stop_after_three(response) -> None:  # mid-flush: after three acknowledged requests
            served.append(response)
            if len(served) == 3:
                gateway.stop()

        # One request at a time, so that nothing else is served while the
        # gateway shuts down and "after three" is exact.
        agent(app).flusher.parallel = 1
        http = agent(app).session._http
        http.event_hooks["response"].append(stop_after_three)
        with pytest.raises(Exception, match="Cannot reach Supabase"):
            agent(app).flush()
        http.event_hooks["response"].remove(stop_after_three)
        assert 0 < agent(app).pending_uploads() <= waiting
        gateway.start()
        assert agent(app).tick(app.service).error is None
        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, user.id)
    finally:
        app.close()


def test_failed_syncs_reach_supabase_with_account_health(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "sb", gateway, user)
    try:
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        ref = AccountRef(login=1001001, server="MT5Tray-Sim")
        app.engine.terminal_factory = _broken_terminal
        failed = app.service.sync_one(ref, SyncType.INCREMENTAL, Trigger.CLI)
        assert failed.status is SyncStatus.FAILED
        (account,) = remote_rows(pg, "trading_accounts", user.id, "login")
        assert account["sync_failure_count"] == 1
        assert account["last_connection_error"]
        statuses = [r["status"] for r in remote_rows(pg, "sync_logs", user.id, "started_at")]
        assert statuses == ["success", "failed"]
        assert_mirrored(pg, app.store, user.id)
    finally:
        app.close()


def _broken_terminal():
    from mt5tray.core.errors import TerminalNotRunning

    raise TerminalNotRunning("The terminal is closed (test).")


def test_outbox_payloads_are_encrypted_on_disk(tmp_path, gateway, make_user,
                                               memory_keyring) -> None:
    app = supabase_app(tmp_path / "sb", gateway, make_user())
    try:
        gateway.stop()
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        payloads = [bytes(r[0]) for r in app.store.query("select payload from outbox")]
        assert payloads and agent(app).pending_uploads() > 0
        # The scenario's deposit comment and symbol are in the journal, never in the outbox.
        assert app.store.query("select 1 from deals where comment = 'Initial deposit'")
        for needle in (b"Initial deposit", b"EURUSD", b"MT5Tray-Sim"):
            assert not any(needle in p for p in payloads)
        assert SCENARIO.exists()
    finally:
        gateway.start()
        app.close()


def test_switching_from_the_local_journal_uploads_the_history_synced_before(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    """A trader who ran mt5tray locally first, then signed in to Supabase,
    finds the whole journal online, not only what the next sync reads."""
    from mt5tray.bootstrap import Simulation, build_app
    from tests.integration.agent_setup import SCENARIO, write_settings

    home = tmp_path / "switcher"
    local_paths = write_settings(home, gateway.url, gateway.anon_key)
    local_paths.settings_file.write_text("{}", encoding="utf-8")  # local journal only
    # Simulated runs in Supabase mode keep the simulated journal: fill that one.
    journal = f"sqlite:///{local_paths.scenario_journal_file(SCENARIO)}"
    local = build_app(Simulation(SCENARIO), journal, paths=local_paths)
    try:
        assert local.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None).ok
    finally:
        local.close()

    user = make_user()
    write_settings(home, gateway.url, gateway.anon_key)
    app = build_app(Simulation(SCENARIO), "supabase", paths=local_paths)
    try:
        assert app.remote is not None
        app.remote.session.sign_in(user.email, user.password)
        assert agent(app).pending_uploads() > 0  # queued at start-up, before any sync
        app.remote.flusher.flush()
        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, user.id)
    finally:
        app.close()


def test_a_second_user_signing_in_on_the_pc_receives_the_whole_history(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    """Alice used this PC's agent, then Bob signs in: Bob's journal gets the
    accounts' whole history, not only what the next sync reads."""
    alice, bob = make_user(), make_user()
    app = supabase_app(tmp_path / "pc", gateway, alice)
    try:
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        first_sync_rows = sum(len(rows_of) for rows_of in (
            remote_rows(pg, "deals", alice.id, "ticket"),
            remote_rows(pg, "trades", alice.id, "ticket")))
        assert first_sync_rows > 0 and agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, alice.id)
        alices = {t: remote_rows(pg, t, alice.id, "id") for t in TABLES}

        app.remote.session.sign_out()
        app.remote.session.sign_in(bob.email, bob.password)
        agent(app).heartbeat()  # the next upload (a heartbeat at the latest) brings it
        assert agent(app).pending_uploads() == 0
        # Past syncs were made for Alice: her sync log stays hers alone.
        assert_mirrored(pg, app.store, bob.id, skip=("sync_logs",))
        assert remote_rows(pg, "sync_logs", bob.id, "started_at") == []
        assert {t: remote_rows(pg, t, alice.id, "id") for t in TABLES} == alices  # untouched

        result = app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
        (bobs_sync,) = remote_rows(pg, "sync_logs", bob.id, "started_at")
        assert str(bobs_sync["id"]) == result.sync_id
    finally:
        app.close()


def test_the_first_sync_is_uploaded_once_not_backfilled_again(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    try:
        app.service.listeners.remove(agent(app).on_sync_event)
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        queued = agent(app).pending_uploads()
        assert agent(app).flush() == queued  # nothing queued a second time
        assert_mirrored(pg, app.store, user.id)
    finally:
        app.close()
