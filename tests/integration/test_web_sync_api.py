"""The web journal's API (request_sync, sync_request_status, sync_status) and the
guards on sync_requests, through supabase-py over the gateway and in raw SQL
under row level security, against the project's migrations."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import httpx
import psycopg
import pytest
from postgrest.exceptions import APIError
from supabase import Client

from tests.support.postgres import PostgresCluster
from tests.support.supabase_fixtures import AuthUser, one, sql_as

pytestmark = pytest.mark.postgres


def _account(pg: PostgresCluster, user: AuthUser, login: int = 5001,
             active: bool = True) -> str:
    with sql_as(pg, user.id) as conn:
        (account_id,) = one(
            conn, "insert into trading_accounts (login, server, is_active)"
            " values (%s, 'Demo-1', %s) returning id::text", [login, active])
        conn.commit()
    return account_id


def _age_requests(pg: PostgresCluster, account_id: str, seconds: int) -> None:
    """Move the account's requests `seconds` into the past (as the table owner,
    whom the guards do not hold)."""
    with pg.connect() as conn:
        conn.execute("update sync_requests set requested_at = requested_at"
                     " - make_interval(secs => %s) where account_id = %s", [seconds, account_id])


def _rpc(client: Client, name: str, **params: Any) -> dict[str, Any]:
    data = client.rpc(name, params).execute().data
    assert isinstance(data, dict), data
    return data


def _refused(client: Client, name: str, **params: Any) -> APIError:
    with pytest.raises(APIError) as caught:
        client.rpc(name, params).execute()
    return caught.value


def _pending_count(pg: PostgresCluster, account_id: str) -> int:
    with pg.connect() as conn:
        return one(conn, "select count(*) from sync_requests where account_id = %s"
                         " and status = 'pending'", [account_id])[0]


# --- request_sync ------------------------------------------------------------------------


def test_request_sync_answers_at_once_with_the_request_and_the_agent_state(
        pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    with pg.connect() as conn:  # three earlier full syncs took 4, 9 and 6 s
        for ms in (4000, 9000, 6000):
            conn.execute("insert into sync_logs (user_id, account_id, sync_type, trigger, status,"
                         " duration_ms) values (%s, %s, 'full', 'schedule', 'success', %s)",
                         [user.id, account_id, ms])
        conn.execute("insert into sync_logs (user_id, account_id, sync_type, trigger, status,"
                     " duration_ms) values (%s, %s, 'incremental', 'schedule', 'success', 900)",
                     [user.id, account_id])
    client = make_client(user)
    answer = _rpc(client, "request_sync", p_account_id=account_id, p_sync_type="full",
                  p_history_days=90)
    assert answer["status"] == "pending" and answer["created"] is True
    assert answer["estimated_duration_seconds"] == 6  # the median of 4, 9 and 6
    assert (answer["agent_online"], answer["agent_paused"], answer["agent_state"]) == \
        (False, False, "none")  # no agent syncs this account yet
    assert (answer["sync_type"], answer["history_days"]) == ("full", 90)
    with pg.connect() as conn:
        row = one(conn, "select id::text, status, sync_type, history_days, user_id::text"
                        " from sync_requests where account_id = %s", [account_id])
    assert row == (answer["request_id"], "pending", "full", 90, user.id)


def test_estimate_is_null_before_the_first_sync_of_that_type(pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    answer = _rpc(make_client(user), "request_sync", p_account_id=account_id)
    assert answer["sync_type"] == "incremental" and answer["history_days"] is None
    assert answer["estimated_duration_seconds"] is None


def test_a_second_request_returns_the_pending_one_instead_of_a_new_row(
        pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    client = make_client(user)
    first = _rpc(client, "request_sync", p_account_id=account_id)
    _age_requests(pg, account_id, 120)  # past the rate limit: only "one pending" applies
    second = _rpc(client, "request_sync", p_account_id=account_id, p_sync_type="full")
    assert second["request_id"] == first["request_id"] and second["created"] is False
    assert _pending_count(pg, account_id) == 1


def test_a_new_request_within_a_minute_is_refused_with_the_seconds_to_wait(
        pg, gateway, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    client = make_client(user)
    first = _rpc(client, "request_sync", p_account_id=account_id)
    with pg.connect() as conn:  # the agent served it 20 s after it was asked for
        conn.execute("update sync_requests set status = 'done', requested_at = now()"
                     " - interval '20 seconds' where id = %s", [first["request_id"]])
    error = _refused(client, "request_sync", p_account_id=account_id)
    assert error.code == "PT429"
    wait = json.loads(error.details)["retry_after_seconds"]
    assert 39 <= wait <= 41
    assert f"try again in {wait} s" in error.message

    # What supabase-js sees: HTTP 429 (PostgREST maps SQLSTATE PTnnn to status nnn).
    token = client.auth.get_session().access_token  # type: ignore[union-attr]
    response = httpx.post(f"{gateway.url}/rest/v1/rpc/request_sync",
                          json={"p_account_id": account_id},
                          headers={"apikey": gateway.anon_key,
                                   "Authorization": f"Bearer {token}"})
    assert response.status_code == 429 and response.json()["code"] == "PT429"

    _age_requests(pg, account_id, 41)
    assert _rpc(client, "request_sync", p_account_id=account_id)["created"] is True


@pytest.mark.parametrize(("params", "words"), [
    ({"p_sync_type": "everything"}, "must be 'full' or 'incremental', not 'everything'"),
    ({"p_sync_type": None}, "not null"),
    ({"p_history_days": 0}, "between 1 and 36500"),
    ({"p_history_days": 36501}, "between 1 and 36500"),
    ({"p_account_id": None}, "pass p_account_id"),
])
def test_invalid_input_is_refused_with_a_clear_message(
        pg, make_user, make_client, params, words) -> None:
    user = make_user()
    account_id = _account(pg, user)
    error = _refused(make_client(user), "request_sync", **{"p_account_id": account_id, **params})
    assert error.code == "22023" and words in error.message
    assert _pending_count(pg, account_id) == 0


def test_another_users_account_is_refused(pg, make_user, make_client) -> None:
    alice, bob = make_user(), make_user()
    alices = _account(pg, alice)
    bob_client = make_client(bob)
    for name in ("request_sync", "sync_status"):
        error = _refused(bob_client, name, p_account_id=alices)
        assert error.code == "42501" and "not one of your accounts" in error.message
    missing = _refused(bob_client, "request_sync", p_account_id=str(uuid.uuid4()))
    assert missing.code == "42501"
    with pg.connect() as conn:
        assert one(conn, "select count(*) from sync_requests where account_id = %s",
                   [alices])[0] == 0
    request = _rpc(make_client(alice), "request_sync", p_account_id=alices)
    error = _refused(bob_client, "sync_request_status", p_request_id=request["request_id"])
    assert error.code == "PT404"


def test_a_switched_off_account_is_refused(pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user, active=False)
    error = _refused(make_client(user), "request_sync", p_account_id=account_id)
    assert error.code == "PT409" and "is_active = false" in error.message


def test_two_simultaneous_requests_make_one_row(pg, make_user) -> None:
    user = make_user()
    account_id = _account(pg, user)
    answers: list[Any] = []
    start = threading.Barrier(2)

    def ask() -> None:
        with sql_as(pg, user.id) as conn:
            start.wait()
            try:
                (answer,) = one(conn, "select public.request_sync(%s)", [account_id])
                conn.commit()
                answers.append(answer["request_id"])
            except psycopg.Error as exc:
                answers.append(exc.sqlstate)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(answers) == 2 and answers[0] == answers[1]  # the same request, twice
    assert _pending_count(pg, account_id) == 1


# --- expiry ------------------------------------------------------------------------------


def test_a_request_pending_for_ten_minutes_expires(pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    client = make_client(user)
    first = _rpc(client, "request_sync", p_account_id=account_id)
    _age_requests(pg, account_id, 9 * 60)
    assert _rpc(client, "sync_request_status",
                p_request_id=first["request_id"])["status"] == "pending"
    _age_requests(pg, account_id, 61)
    status = _rpc(client, "sync_request_status", p_request_id=first["request_id"])
    assert status["status"] == "expired" and "within 10 minutes" in status["error"]

    # The next Sync Now is not blocked by it, and stores the expiry.
    second = _rpc(client, "request_sync", p_account_id=account_id)
    assert second["created"] is True and second["request_id"] != first["request_id"]
    with pg.connect() as conn:
        assert one(conn, "select status from sync_requests where id = %s",
                   [first["request_id"]]) == ("expired",)


def test_a_claim_expires_stale_requests_instead_of_serving_them(pg, make_user) -> None:
    user = make_user()
    old_account, fresh_account = _account(pg, user, 5001), _account(pg, user, 5002)
    with sql_as(pg, user.id) as conn:
        conn.execute("select public.request_sync(%s)", [old_account])
        conn.commit()
    _age_requests(pg, old_account, 11 * 60)
    with sql_as(pg, user.id) as conn:
        conn.execute("select public.request_sync(%s)", [fresh_account])
        conn.commit()
    with sql_as(pg, user.id) as conn:
        claimed = conn.execute("select account_id::text from public.claim_sync_request()"
                               ).fetchall()
        conn.commit()
    assert claimed == [(fresh_account,)]
    with pg.connect() as conn:
        assert one(conn, "select status, finished_at is not null from sync_requests"
                         " where account_id = %s", [old_account]) == ("expired", True)


# --- direct writes to sync_requests ------------------------------------------------------


def test_direct_inserts_follow_the_same_rules(pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    table = make_client(user).table("sync_requests")
    first = table.insert({"account_id": account_id, "status": "done",
                          "requested_at": "2020-01-01T00:00:00Z"}).execute().data[0]
    assert first["status"] == "pending"  # neither pre-finished ...
    assert not first["requested_at"].startswith("2020")  # ... nor pre-dated
    with pytest.raises(APIError) as caught:
        table.insert({"account_id": account_id}).execute()
    assert caught.value.code == "23505" and "already pending" in caught.value.message

    with pg.connect() as conn:
        conn.execute("update sync_requests set status = 'done' where id = %s", [first["id"]])
    with pytest.raises(APIError) as caught:
        table.insert({"account_id": account_id}).execute()
    assert caught.value.code == "PT429"
    with pytest.raises(APIError) as caught:
        table.insert({"account_id": account_id, "history_days": 50000}).execute()
    assert caught.value.code == "22023"


def test_a_flood_of_direct_inserts_leaves_one_pending_request(pg, make_user) -> None:
    user = make_user()
    account_id = _account(pg, user)
    refused = 0
    with sql_as(pg, user.id) as conn:
        for _ in range(200):
            try:
                with conn.transaction():
                    conn.execute("insert into sync_requests (account_id) values (%s)",
                                 [account_id])
            except psycopg.Error:
                refused += 1
        conn.commit()
    assert refused == 199
    assert _pending_count(pg, account_id) == 1


def test_the_rate_limit_cannot_be_dodged_by_redating_reopening_or_deleting(
        pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    client = make_client(user)
    request_id = _rpc(client, "request_sync", p_account_id=account_id)["request_id"]
    table = client.table("sync_requests")
    with pytest.raises(APIError) as caught:
        table.update({"requested_at": "2020-01-01T00:00:00Z"}).eq("id", request_id).execute()
    assert caught.value.code == "22023"
    with pytest.raises(APIError) as caught:
        table.delete().eq("id", request_id).execute()
    assert caught.value.code == "PT409" and "a minute old" in caught.value.message
    with pg.connect() as conn:
        conn.execute("update sync_requests set status = 'failed' where id = %s", [request_id])
    with pytest.raises(APIError) as caught:
        table.update({"status": "pending"}).eq("id", request_id).execute()
    assert caught.value.code == "22023"
    _age_requests(pg, account_id, 61)
    table.delete().eq("id", request_id).execute()  # old enough now
    with pg.connect() as conn:
        assert one(conn, "select count(*) from sync_requests where id = %s", [request_id]) == (0,)


def test_deleting_an_account_still_deletes_its_fresh_requests(pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    client = make_client(user)
    _rpc(client, "request_sync", p_account_id=account_id)
    client.table("trading_accounts").delete().eq("id", account_id).execute()
    with pg.connect() as conn:
        assert one(conn, "select count(*) from sync_requests where account_id = %s",
                   [account_id]) == (0,)


# --- sync_request_status and sync_status -------------------------------------------------


def test_a_finished_request_carries_its_sync_and_counts(pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    client = make_client(user)
    request_id = _rpc(client, "request_sync", p_account_id=account_id)["request_id"]
    (claimed,) = client.rpc("claim_sync_request", {"p_account_ids": [account_id]}).execute().data
    running = _rpc(client, "sync_request_status", p_request_id=request_id)
    assert running["status"] == "running" and running["started_at"] and running["result"] is None
    sync_id = str(uuid.uuid4())
    client.rpc("finish_sync_request", {
        "p_id": claimed["id"], "p_status": "done", "p_sync_id": sync_id,
        "p_counts": {"positions_created": 2, "positions_updated": 1, "positions_closed": 3,
                     "deals_inserted": 7, "trades_upserted": 6}}).execute()
    done = _rpc(client, "sync_request_status", p_request_id=request_id)
    assert set(done) >= {"request_id", "account_id", "status", "sync_type", "history_days",
                         "requested_at", "started_at", "finished_at", "sync_id", "error",
                         "result"}
    assert (done["status"], done["sync_id"], done["error"]) == ("done", sync_id, None)
    assert done["finished_at"] >= done["started_at"] >= done["requested_at"]
    result = done["result"]
    assert (result["positions_created"], result["positions_updated"],
            result["positions_closed"], result["deals_inserted"],
            result["trades_upserted"]) == (2, 1, 3, 7, 6)
    assert result["sync_status"] is None  # the sync_logs row has not arrived (yet)


def test_sync_status_reports_the_account_the_agent_and_the_stats(
        pg, make_user, make_client) -> None:
    user = make_user()
    account_id = _account(pg, user)
    client = make_client(user)
    empty = _rpc(client, "sync_status", p_account_id=account_id)
    assert (empty["enabled"], empty["agent_online"], empty["agent_state"],
            empty["terminal_connected"], empty["last_sync_time"],
            empty["last_sync_minutes_ago"], empty["next_sync_expected_at"],
            empty["pending_uploads"]) == (True, False, "none", None, None, None, None, None)
    assert empty["stats"]["total_syncs"] == 0 and empty["server_time"]

    with pg.connect() as conn:
        conn.execute("update trading_accounts set last_sync_at = now() - interval '3 minutes'"
                     " where id = %s", [account_id])
        for age, status, created, deals, error in (
                (40, "success", 2, 10, None), (30, "partial", 1, 4, None),
                (20, "failed", 0, 0, "Terminal not running"), (10, "skipped", 0, 0, "inactive")):
            conn.execute(
                "insert into sync_logs (user_id, account_id, sync_type, trigger, status,"
                " started_at, positions_created, deals_inserted, error) values (%s, %s,"
                " 'incremental', 'schedule', %s, now() - make_interval(mins => %s), %s, %s, %s)",
                [user.id, account_id, status, age, created, deals, error])
    client.table("agents").upsert({
        "user_id": user.id, "install_id": "pc-1", "host": "TRADER-PC", "version": "1.2.3",
        "paused": False, "sync_interval_s": 300, "heartbeat_interval_s": 180,
        "account_ids": [account_id], "pending_uploads": 12}, on_conflict="user_id,install_id"
    ).execute()
    status = _rpc(client, "sync_status", p_account_id=account_id)
    assert (status["agent_online"], status["agent_paused"], status["agent_state"]) == \
        (True, False, "online")
    assert status["agent"]["host"] == "TRADER-PC" and status["pending_uploads"] == 12
    assert status["last_sync_minutes_ago"] == 3 and status["next_sync_expected_at"]
    assert status["terminal_connected"] is False  # the newest real sync failed
    assert status["stats"] == {
        "total_syncs": 3, "successful_syncs": 2, "failed_syncs": 1, "skipped_syncs": 1,
        "positions_created": 3, "positions_updated": 0, "positions_closed": 0,
        "deals_inserted": 14, "last_error": "Terminal not running",
        "last_error_at": status["stats"]["last_error_at"]}

    client.table("agents").update({"paused": True}).eq("install_id", "pc-1").execute()
    assert _rpc(client, "sync_status", p_account_id=account_id)["agent_state"] == "paused"
    with pg.connect() as conn:  # silent for longer than two sync intervals
        conn.execute("alter table agents disable trigger agents_seen")
        conn.execute("update agents set last_seen_at = now() - interval '11 minutes'")
        conn.execute("alter table agents enable trigger agents_seen")
    gone = _rpc(client, "sync_status", p_account_id=account_id)
    assert (gone["agent_online"], gone["agent_state"], gone["next_sync_expected_at"]) == \
        (False, "offline", None)


def test_agents_rows_are_private_and_stamped_by_the_server(pg, make_user, make_client) -> None:
    alice, bob = make_user(), make_user()
    alice_client = make_client(alice)
    row = alice_client.table("agents").insert({
        "install_id": "a", "host": "H", "last_seen_at": "2000-01-01T00:00:00Z"}).execute().data[0]
    assert not row["last_seen_at"].startswith("2000")  # the server's clock, not the agent's
    assert make_client(bob).table("agents").select("*").execute().data == []
    with pytest.raises(APIError) as caught:
        make_client(bob).table("agents").insert(
            {"user_id": alice.id, "install_id": "b"}).execute()
    assert caught.value.code == "42501"


def test_the_read_rpcs_work_in_a_read_only_transaction(pg, make_user, make_client) -> None:
    """PostgREST runs GET requests read-only (supabase-js `rpc(..., {get: true})`);
    the test gateway does not, so this checks it in SQL."""
    user = make_user()
    account_id = _account(pg, user)
    request_id = _rpc(make_client(user), "request_sync", p_account_id=account_id)["request_id"]
    with sql_as(pg, user.id) as conn:
        conn.execute("set local transaction_read_only = on")
        (status,) = one(conn, "select public.sync_status(%s)", [account_id])
        (request,) = one(conn, "select public.sync_request_status(%s)", [request_id])
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("select public.request_sync(%s)", [account_id])
    assert status["active_request"]["request_id"] == request_id == request["request_id"]
