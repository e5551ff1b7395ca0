"""The agent's half of the web journal's API, through bootstrap on the simulated
terminal, supabase-py over the gateway and PostgreSQL under RLS: is_active
honoured, the `agents` heartbeat row, only synced accounts stamped, fair
claims across accounts, and the result on the finished request."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from postgrest.exceptions import APIError
from supabase import Client

from mt5tray.commands.status import render
from mt5tray.core.models import AccountRef, SyncStatus, SyncType, Trigger
from mt5tray.core.status_view import INACTIVE_TEXT
from mt5tray.store.local_status import status_summary
from mt5tray.terminal.sim.simulator import DEFAULT_TERMINAL_PATH
from tests.integration.agent_setup import SCENARIO, agent, supabase_app
from tests.integration.test_supabase_sync import remote_rows

pytestmark = pytest.mark.postgres

SERVER = "MT5Tray-Sim"
LOGIN_A, LOGIN_B = 1001001, 1001002


@dataclass
class Pc:
    user: Any
    app: Any
    web: Client  # the web journal, signed in as the same user
    accounts: dict[int, str]  # login -> remote trading_accounts id


def _two_account_scenario(tmp_path: Path) -> Path:
    """hedging_basic with a second account on the same server."""
    data = json.loads(SCENARIO.read_text(encoding="utf-8"))
    other = {k: v for k, v in data.items() if k in ("account", "positions", "orders",
                                                    "history_orders", "deals")}
    other["account"] = {**other["account"], "login": LOGIN_B, "name": "Second Trader"}
    data["other_accounts"] = [other]
    path = tmp_path / "two_accounts.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _make_pc(tmp_path: Path, gateway, make_user, make_client, logins: list[int],
             scenario: Path) -> Pc:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user, scenario=scenario)
    # Both accounts in one terminal that mt5tray owns (login mode switches it, issue 9).
    refs = [AccountRef(login, SERVER, terminal_path=DEFAULT_TERMINAL_PATH, mode="login",
                       owns_terminal=True) for login in logins]
    app.service.accounts = lambda: refs  # as configured accounts in the settings would be
    for ref in refs:
        result = app.service.sync_one(ref, SyncType.FULL, Trigger.CLI, None)
        assert result.status is SyncStatus.SUCCESS, result.error
    web = make_client(user)
    rows = web.table("trading_accounts").select("id,login").execute().data
    return Pc(user, app, web, {r["login"]: r["id"] for r in rows})


@pytest.fixture
def pc(tmp_path, pg, gateway, make_user, make_client, memory_keyring) -> Iterator[Pc]:
    made = _make_pc(tmp_path, gateway, make_user, make_client, [LOGIN_A], SCENARIO)
    try:
        yield made
    finally:
        made.app.close()


@pytest.fixture
def two_account_pc(tmp_path, pg, gateway, make_user, make_client, memory_keyring
                   ) -> Iterator[Pc]:
    made = _make_pc(tmp_path, gateway, make_user, make_client, [LOGIN_A, LOGIN_B],
                    _two_account_scenario(tmp_path))
    try:
        yield made
    finally:
        made.app.close()


def _switch(pc: Pc, login: int, active: bool) -> None:
    pc.web.table("trading_accounts").update({"is_active": active}).eq(
        "id", pc.accounts[login]).execute()


def _agent_rows(pc: Pc) -> list[dict[str, Any]]:
    return pc.web.table("agents").select("*").execute().data


def test_an_account_switched_off_in_the_web_journal_is_skipped(pg, pc) -> None:
    ref = pc.app.service.accounts()[0]
    _switch(pc, LOGIN_A, False)
    agent(pc.app).heartbeat(pc.app.service)  # reads the web app's flag back
    real_terminal = pc.app.engine.terminal_factory

    def no_login() -> Any:
        raise AssertionError("a switched-off account must not be logged into")

    pc.app.engine.terminal_factory = no_login
    result = pc.app.service.sync_one(ref, SyncType.INCREMENTAL, Trigger.SCHEDULE)
    assert result.status is SyncStatus.SKIPPED and "is_active = false" in (result.error or "")
    pc.app.engine.terminal_factory = real_terminal

    logs = remote_rows(pg, "sync_logs", pc.user.id, "started_at")
    assert (logs[-1]["status"], logs[-1]["trigger"]) == ("skipped", "schedule")
    (account,) = remote_rows(pg, "trading_accounts", pc.user.id, "login")
    assert account["is_active"] is False  # the agent's uploads never switch it back on
    summary = status_summary(pc.app.store)
    assert summary["accounts"][0]["is_active"] is False
    assert INACTIVE_TEXT in render({**summary, "store": "supabase"})  # `mt5tray status`

    _switch(pc, LOGIN_A, True)
    agent(pc.app).heartbeat(pc.app.service)
    again = pc.app.service.sync_one(ref, SyncType.INCREMENTAL, Trigger.SCHEDULE)
    assert again.status is SyncStatus.SUCCESS


def test_the_switch_is_also_read_back_from_the_next_upload(pg, pc) -> None:
    ref = pc.app.service.accounts()[0]
    _switch(pc, LOGIN_A, False)
    pc.app.service.sync_one(ref, SyncType.INCREMENTAL, Trigger.SCHEDULE)  # uploads, learns
    later = pc.app.service.sync_one(ref, SyncType.INCREMENTAL, Trigger.SCHEDULE)
    assert later.status is SyncStatus.SKIPPED


def test_the_status_view_shows_the_switched_off_state(pc) -> None:
    from mt5tray.core.publisher import SnapshotPublisher
    from mt5tray.core.runtime import Runtime
    from mt5tray.core.scheduler import SyncScheduler
    from mt5tray.core.snapshot import next_sync_text
    from mt5tray.store.local_cards import read_store_facts

    _switch(pc, LOGIN_A, False)
    agent(pc.app).heartbeat(pc.app.service)
    runtime = Runtime(pc.app.service, SyncScheduler(pc.app.service), pc.app.hooks)
    publisher = SnapshotPublisher(
        runtime, lambda cards, previous: read_store_facts(pc.app.store, pc.app.hooks))
    publisher._facts = publisher.read_facts(True, publisher._facts)  # as its reader does
    snap = publisher.compose()
    (account,) = snap.accounts
    assert account.login == LOGIN_A and account.state == "switched_off"
    assert next_sync_text(snap, account) == "Not synced: switched off in the web journal"


def test_the_heartbeat_writes_one_agents_row_with_the_agents_state(pg, pc) -> None:
    heartbeat = agent(pc.app)
    heartbeat.heartbeat(pc.app.service)
    (row,) = _agent_rows(pc)
    assert row["host"] == pc.app.engine.agent.host
    assert row["version"] == pc.app.engine.agent.version
    assert (row["paused"], row["sync_interval_s"], row["pending_uploads"]) == (False, 300, 0)
    assert row["account_ids"] == [pc.accounts[LOGIN_A]]
    first_seen = row["last_seen_at"]

    pc.app.service.paused = True
    heartbeat.heartbeat(pc.app.service)
    (row,) = _agent_rows(pc)  # the same row, updated
    assert row["paused"] is True and row["last_seen_at"] > first_seen
    status = pc.web.rpc("sync_status", {"p_account_id": pc.accounts[LOGIN_A]}).execute().data
    assert (status["agent_online"], status["agent_paused"], status["agent_state"]) == \
        (True, True, "paused")

    # Switched off: no longer among the accounts it syncs, so "not synced by any agent".
    pc.app.service.paused = False
    _switch(pc, LOGIN_A, False)
    heartbeat.heartbeat(pc.app.service)
    (row,) = _agent_rows(pc)
    assert row["account_ids"] == []
    status = pc.web.rpc("sync_status", {"p_account_id": pc.accounts[LOGIN_A]}).execute().data
    assert (status["enabled"], status["agent_state"]) == (False, "none")


def test_only_accounts_the_agent_syncs_are_stamped(pg, pc) -> None:
    # An account this journal synced once but that is no longer configured.
    old = pc.app.store.ensure_account({"login": 424242, "server": "Old-Broker"})
    with pc.app.store.transaction() as conn:
        pc.app.store.outbox.enqueue_account(conn, old.account_id)
    agent(pc.app).flush()
    assert agent(pc.app).heartbeat(pc.app.service) == 1
    stamped = {r["login"]: r["agent_last_seen_at"]
               for r in remote_rows(pg, "trading_accounts", pc.user.id, "login")}
    assert stamped[424242] is None
    assert stamped[LOGIN_A] is not None


def test_a_served_request_carries_its_sync_and_counts(pg, pc) -> None:
    asked = pc.web.rpc("request_sync", {"p_account_id": pc.accounts[LOGIN_A],
                                        "p_sync_type": "full"}).execute().data
    assert (asked["agent_online"], asked["agent_state"]) == (False, "none")  # no heartbeat yet
    (outcome,) = agent(pc.app).poll_requests(pc.app.service)
    assert outcome.status == "done"
    status = pc.web.rpc("sync_request_status",
                        {"p_request_id": asked["request_id"]}).execute().data
    assert (status["status"], status["sync_id"]) == ("done", outcome.sync_id)
    log = next(r for r in remote_rows(pg, "sync_logs", pc.user.id, "started_at")
               if str(r["id"]) == outcome.sync_id)
    result = status["result"]
    assert result["sync_status"] == "success" and result["duration_ms"] == log["duration_ms"]
    for counter in ("positions_created", "positions_updated", "positions_closed",
                    "deals_inserted", "trades_upserted"):
        assert result[counter] == log[counter], counter
    with pg.connect() as conn:  # on the request row itself, not only through the join
        (stored,) = conn.execute("select trades_upserted from sync_requests where id = %s",
                                 [asked["request_id"]]).fetchone()
    assert stored == log["trades_upserted"]


def test_a_request_for_a_switched_off_account_is_not_served(pg, pc) -> None:
    asked = pc.web.rpc("request_sync", {"p_account_id": pc.accounts[LOGIN_A]}).execute().data
    _switch(pc, LOGIN_A, False)
    agent(pc.app).heartbeat(pc.app.service)
    assert agent(pc.app).poll_requests(pc.app.service) == []  # not claimed: not synced here
    status = pc.web.rpc("sync_request_status",
                        {"p_request_id": asked["request_id"]}).execute().data
    assert status["status"] == "pending"


def test_one_accounts_flood_does_not_starve_another(pg, two_account_pc) -> None:
    pc = two_account_pc
    requests = agent(pc.app).requests
    requests.max_per_poll = 1
    table = pc.web.table("sync_requests")
    refused = 0
    for _ in range(50):  # a web app gone wild, writing the table directly
        try:
            table.insert({"account_id": pc.accounts[LOGIN_A]}).execute()
        except APIError:
            refused += 1
    assert refused == 49
    b = pc.web.rpc("request_sync", {"p_account_id": pc.accounts[LOGIN_B]}).execute().data
    outcomes = agent(pc.app).poll_requests(pc.app.service)
    assert [o.status for o in outcomes] == ["done", "done"]
    assert b["request_id"] in {o.request_id for o in outcomes}
    served = {r["account_id"]: r["status"]
              for r in remote_rows(pg, "sync_requests", pc.user.id, "requested_at")}
    assert {str(k): v for k, v in served.items()} == {
        pc.accounts[LOGIN_A]: "done", pc.accounts[LOGIN_B]: "done"}


def test_the_tray_hook_and_serve_requests_tick_write_the_agents_row(pg, pc) -> None:
    assert pc.app.hooks.heartbeat is not None
    pc.app.hooks.heartbeat()  # what the tray's scheduler calls every 5 minutes
    (row,) = _agent_rows(pc)
    pc.web.table("agents").delete().eq("id", row["id"]).execute()
    later = time.monotonic() + 600  # the next heartbeat is due
    agent(pc.app).clock = lambda: later
    report = agent(pc.app).tick(pc.app.service)  # what serve-requests calls every minute
    assert report.error is None
    (row,) = _agent_rows(pc)
    assert row["account_ids"] == [pc.accounts[LOGIN_A]]


def test_doctor_names_a_database_without_the_web_api_migration(pg, pc, capsys) -> None:
    from mt5tray.commands.doctor import Report, _supabase_checks

    def doctor_supabase_line() -> str:
        _supabase_checks(Report(), pc.app)
        return capsys.readouterr().out.strip().splitlines()[-1]

    assert doctor_supabase_line().startswith("[OK  ] supabase:")
    with pg.connect() as conn:  # as if `supabase db push` had not brought this migration
        conn.execute("alter table agents rename to agents_hidden")
    try:
        line = doctor_supabase_line()
        assert line.startswith("[FAIL] supabase:") and "schema is missing or outdated" in line
    finally:
        with pg.connect() as conn:
            conn.execute("alter table agents_hidden rename to agents")
