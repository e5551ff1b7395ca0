"""Remote Sync Now, duplicate keys, heartbeat, and the CLI in Supabase mode."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mt5tray import cli
from mt5tray.core.errors import StoreUnavailable
from mt5tray.core.models import AccountRef, SyncType, Trigger
from tests.integration.agent_setup import SCENARIO, agent, supabase_app, write_settings
from tests.integration.test_supabase_sync import remote_rows

pytestmark = pytest.mark.postgres


def _request(pg, user_id: str, account_id: str, sync_type: str = "incremental") -> str:
    with pg.connect() as conn:
        row = conn.execute(
            "insert into sync_requests (user_id, account_id, sync_type) values (%s, %s, %s)"
            " returning id::text", [user_id, account_id, sync_type]).fetchone()
    return row[0]


@dataclass
class SyncedPc:
    user: Any
    app: Any
    account_id: str  # the remote trading_accounts id


@pytest.fixture
def synced_pc(tmp_path, pg, gateway, make_user, memory_keyring) -> Iterator[SyncedPc]:
    """A signed-in PC whose account Supabase already knows (after a full sync)."""
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    try:
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        (account,) = remote_rows(pg, "trading_accounts", user.id, "login")
        yield SyncedPc(user, app, str(account["id"]))
    finally:
        app.close()


def test_one_sync_request_is_served_once_by_two_agents(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    pcs = [supabase_app(tmp_path / f"pc{i}", gateway, user) for i in (1, 2)]
    try:
        for app in pcs:
            app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        (account,) = remote_rows(pg, "trading_accounts", user.id, "login")
        request_id = _request(pg, user.id, str(account["id"]), "full")
        outcomes: list = []
        start = threading.Barrier(2)

        def poll(app) -> None:
            start.wait()
            outcomes.extend(agent(app).poll_requests(app.service))

        threads = [threading.Thread(target=poll, args=(app,)) for app in pcs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert [o.request_id for o in outcomes] == [request_id]
        assert outcomes[0].status == "done"
        (request,) = remote_rows(pg, "sync_requests", user.id, "requested_at")
        assert request["status"] == "done" and str(request["sync_id"]) == outcomes[0].sync_id
        logs = {str(r["id"]): r for r in remote_rows(pg, "sync_logs", user.id, "started_at")}
        served = logs[outcomes[0].sync_id]
        assert (served["trigger"], served["sync_type"], served["status"]) == \
            ("remote", "full", "success")
    finally:
        for app in pcs:
            app.close()


def test_a_request_within_the_cooldown_fails_with_the_reason(pg, synced_pc) -> None:
    pc = synced_pc
    _request(pg, pc.user.id, pc.account_id)
    (first,) = agent(pc.app).poll_requests(pc.app.service)
    assert first.status == "done"
    # Written as the table owner, past the server's once-a-minute rule.
    _request(pg, pc.user.id, pc.account_id)
    (second,) = agent(pc.app).poll_requests(pc.app.service)
    assert second.status == "failed" and "Sync Now is available again" in second.error
    assert agent(pc.app).poll_requests(pc.app.service) == []


def test_duplicate_keys_in_one_batch_collapse_to_the_latest_row(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    try:
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        (deal,) = [dict(r) for r in app.store.query("select * from deals limit 1")]
        outbox = app.store.outbox
        with app.store.transaction() as conn:
            outbox.enqueue(conn, "deals", deal["account_id"],
                           [{**deal, "profit": 1.5}, {**deal, "profit": 2.5}])
            outbox.enqueue(conn, "deals", deal["account_id"], [{**deal, "profit": 3.25}])
        assert agent(app).flush() == 3
        rows = [r for r in remote_rows(pg, "deals", user.id, "ticket")
                if r["ticket"] == deal["ticket"]]
        assert [str(r["profit"]) for r in rows] == ["3.25"]
    finally:
        app.close()


def test_heartbeat_stamps_the_account(tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    try:
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        (before,) = remote_rows(pg, "trading_accounts", user.id, "login")
        assert agent(app).heartbeat() == 1
        (after,) = remote_rows(pg, "trading_accounts", user.id, "login")
        assert after["agent_last_seen_at"] > before["agent_last_seen_at"]
        assert after["agent_host"] and after["agent_version"]
    finally:
        app.close()


def test_cli_login_sync_status_serve_and_logout(tmp_path, pg, gateway, make_user,
                                                memory_keyring, monkeypatch, capsys) -> None:
    user = make_user()
    home = tmp_path / "home"
    write_settings(home, "", "")
    monkeypatch.setenv("MT5TRAY_HOME", str(home))
    monkeypatch.setattr("sys.stdin", io.StringIO(user.password + "\n"))
    assert cli.main(["login", "--url", gateway.url, "--key", gateway.anon_key,
                     "--email", user.email]) == 0
    assert f"Signed in to {gateway.url} as {user.email}" in capsys.readouterr().out

    sim = ["--simulate", str(SCENARIO), "--store", "supabase"]
    assert cli.main(["sync", "--all-history", *sim]) == 0
    assert "Supabase: everything uploaded." in capsys.readouterr().out
    assert len(remote_rows(pg, "deals", user.id, "ticket")) == 14
    assert cli.main(["status", *sim]) == 0
    assert "0 rows waiting to upload" in capsys.readouterr().out
    assert cli.main(["doctor", *sim]) == 0
    assert f"signed in as {user.email}, schema present" in capsys.readouterr().out

    (account,) = remote_rows(pg, "trading_accounts", user.id, "login")
    _request(pg, user.id, str(account["id"]))
    assert cli.main(["sync", "--remote-requests", *sim]) == 0
    assert ": done" in capsys.readouterr().out

    assert cli.main(["logout"]) == 0
    assert capsys.readouterr().out.startswith("Signed out.")
    assert all("refresh" not in key for _, key in memory_keyring.values)


def test_a_finish_whose_reply_is_lost_is_sent_again_without_a_second_sync(
        pg, gateway, synced_pc) -> None:
    pc = synced_pc
    request_id = _request(pg, pc.user.id, pc.account_id)
    attempts = agent(pc.app).flusher.attempts
    gateway.inject_fault(503, times=attempts, path_prefix="/rest/v1/rpc/finish_sync_request")
    with pytest.raises(StoreUnavailable):
        agent(pc.app).poll_requests(pc.app.service)
    (request,) = remote_rows(pg, "sync_requests", pc.user.id, "requested_at")
    assert request["status"] == "running"  # served, but Supabase never heard so

    assert agent(pc.app).poll_requests(pc.app.service) == []  # nothing new to claim
    (request,) = remote_rows(pg, "sync_requests", pc.user.id, "requested_at")
    remote_syncs = [r for r in remote_rows(pg, "sync_logs", pc.user.id, "started_at")
                    if r["trigger"] == "remote"]
    assert [str(r["id"]) for r in remote_syncs] == [str(request["sync_id"])]
    assert (str(request["id"]), request["status"]) == (request_id, "done")


def test_a_request_left_running_by_a_vanished_agent_is_served(pg, synced_pc) -> None:
    pc = synced_pc
    request_id = _request(pg, pc.user.id, pc.account_id)
    with pg.connect() as conn:  # claimed 40 minutes ago by a PC that then went dark
        conn.execute("update sync_requests set status = 'running',"
                     " started_at = now() - interval '40 minutes' where id = %s", [request_id])
    (outcome,) = agent(pc.app).poll_requests(pc.app.service)
    assert (outcome.request_id, outcome.status) == (request_id, "done")
    (request,) = remote_rows(pg, "sync_requests", pc.user.id, "requested_at")
    assert (request["status"], str(request["sync_id"])) == ("done", outcome.sync_id)
