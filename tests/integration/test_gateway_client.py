"""The real supabase-py client against the test gateway: RLS, upserts, RPCs, auth, errors."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest
from postgrest import APIError
from supabase_auth.errors import AuthApiError

from tests.support.gateway import Gateway
from tests.support.postgres import PostgresCluster

pytestmark = pytest.mark.postgres


def _account(client, login: int = 5001) -> str:
    response = client.table("trading_accounts").upsert(
        {"login": login, "server": "Broker-Demo", "currency": "USD"},
        on_conflict="user_id,server,login").execute()
    return response.data[0]["id"]


def _deal(account_id: str, ticket: int, **extra) -> dict:
    return {"account_id": account_id, "ticket": ticket, "time": "2026-01-05T10:00:00+00:00",
            "type": "buy", "entry": "in", "volume": "0.10", "price": "1.08500", **extra}


def test_users_only_see_and_change_their_own_rows(make_user, make_client) -> None:
    alice, bob = make_client(make_user()), make_client(make_user())
    account = _account(alice)
    alice.table("deals").upsert([_deal(account, 1), _deal(account, 2)],
                                on_conflict="account_id,ticket", returning="minimal").execute()

    assert bob.table("trading_accounts").select("*").execute().data == []
    assert bob.table("deals").select("*").eq("account_id", account).execute().data == []
    assert bob.table("trading_accounts").update({"name": "stolen"}).eq(
        "id", account).execute().data == []
    assert bob.table("deals").delete().eq("account_id", account).execute().data == []

    rows = alice.table("deals").select("ticket").eq("account_id", account).order(
        "ticket").execute().data
    assert rows == [{"ticket": 1}, {"ticket": 2}]
    assert alice.table("trading_accounts").select("name").execute().data == [{"name": None}]


def test_a_row_pointing_to_another_users_account_is_refused(make_user, make_client) -> None:
    alice, bob = make_client(make_user()), make_client(make_user())
    account = _account(alice)
    with pytest.raises(APIError) as refused:
        bob.table("deals").insert(_deal(account, 9), returning="minimal").execute()
    assert refused.value.code == "23503"


def test_anon_sees_nothing_and_cannot_write(gateway: Gateway, make_user, make_client) -> None:
    _account(make_client(make_user()))
    anon = make_client()
    with pytest.raises(APIError) as read:
        anon.table("trading_accounts").select("*").execute()
    assert read.value.code == "42501"
    with pytest.raises(APIError) as write:
        anon.table("trading_accounts").insert({"login": 1, "server": "x"}).execute()
    assert write.value.code == "42501"
    assert gateway.requests[-1].status == 401


def test_upsert_updates_on_the_natural_key_and_keeps_numbers_exact(
        pg: PostgresCluster, make_user, make_client) -> None:
    alice = make_client(make_user())
    account = _account(alice)
    deals = alice.table("deals")
    deals.upsert([_deal(account, 1, profit="0")], on_conflict="account_id,ticket").execute()
    deals.upsert([_deal(account, 1, profit="12345678901234.123456789012")],
                 on_conflict="account_id,ticket", returning="minimal").execute()
    assert _account(alice) == account  # same (user, server, login): same row
    with pg.connect() as conn:
        rows = conn.execute("select profit from deals where account_id = %s",
                            [account]).fetchall()
    assert rows == [(Decimal("12345678901234.123456789012"),)]


def test_duplicate_keys_in_one_batch_fail_with_21000(make_user, make_client) -> None:
    alice = make_client(make_user())
    account = _account(alice)
    with pytest.raises(APIError) as batch:
        alice.table("deals").upsert([_deal(account, 3), _deal(account, 3)],
                                    on_conflict="account_id,ticket").execute()
    assert batch.value.code == "21000"
    assert "a second time" in (batch.value.message or "")


def test_on_conflict_without_a_matching_constraint_fails_with_42p10(
        make_user, make_client) -> None:
    alice = make_client(make_user())
    account = _account(alice)
    with pytest.raises(APIError) as bad:
        alice.table("deals").upsert([_deal(account, 4)], on_conflict="ticket").execute()
    assert bad.value.code == "42P10"


def test_claim_and_finish_a_sync_request_through_rpc(make_user, make_client) -> None:
    user = make_user()
    web, agent, other_agent = make_client(user), make_client(user), make_client(user)
    account = _account(web)
    request = web.table("sync_requests").insert(
        {"account_id": account, "sync_type": "full", "history_days": 90}).execute().data[0]

    claimed = agent.rpc("claim_sync_request", {"p_account_ids": [account]}).execute().data
    assert [(r["id"], r["status"]) for r in claimed] == [(request["id"], "running")]
    assert other_agent.rpc("claim_sync_request", {}).execute().data == []

    done = agent.rpc("finish_sync_request", {"p_id": request["id"], "p_status": "failed",
                                             "p_sync_id": None, "p_error": "terminal closed"}
                     ).execute().data
    assert (done[0]["status"], done[0]["error"]) == ("failed", "terminal closed")


def test_an_expired_access_token_gives_pgrst303_and_refresh_rotates(
        gateway: Gateway, make_user, make_client) -> None:
    gateway.access_token_ttl = 1
    client = make_client(make_user())
    first_refresh = client.auth.get_session().refresh_token
    time.sleep(2.1)
    with pytest.raises(APIError) as expired:
        client.table("trades").select("id").execute()
    assert expired.value.code == "PGRST303"
    assert expired.value.message == "JWT expired"

    gateway.access_token_ttl = 3600
    session = client.auth.refresh_session().session
    assert session.refresh_token != first_refresh
    assert client.table("trades").select("id").execute().data == []

    # Like GoTrue: the active token's parent, presented again within the reuse
    # interval, gets the active token back (a client that lost the reply).
    parent = session.refresh_token
    active = client.auth.refresh_session().session.refresh_token
    assert client.auth.refresh_session(parent).session.refresh_token == active


def test_a_refresh_token_reused_outside_gotrues_exception_revokes_the_session(
        gateway: Gateway, make_user, make_client) -> None:
    client = make_client(make_user())
    first = client.auth.get_session().refresh_token
    second = client.auth.refresh_session().session.refresh_token
    client.auth.refresh_session()  # the active token's parent is now `second`
    with pytest.raises(AuthApiError) as reused:
        client.auth.refresh_session(first)  # a grandparent: reuse detection
    assert reused.value.status == 400
    assert reused.value.code == "refresh_token_already_used"
    with pytest.raises(AuthApiError) as revoked:  # ... which ended the whole session
        client.auth.refresh_session(second)
    assert revoked.value.code == "refresh_token_not_found"

    gateway.auth.refresh_reuse_interval = 0.2
    other = make_client(make_user())
    parent = other.auth.get_session().refresh_token
    other.auth.refresh_session()
    time.sleep(0.3)  # the parent, but after the reuse interval
    with pytest.raises(AuthApiError) as late:
        other.auth.refresh_session(parent)
    assert late.value.code == "refresh_token_already_used"


def test_a_wrong_password_is_a_readable_auth_error(make_user, make_client) -> None:
    user = make_user()
    client = make_client()
    with pytest.raises(AuthApiError) as wrong:
        client.auth.sign_in_with_password({"email": user.email, "password": "nope"})
    assert (wrong.value.status, wrong.value.code) == (400, "invalid_credentials")
    assert wrong.value.message == "Invalid login credentials"


def test_a_wrong_api_key_gives_a_readable_error(make_user, make_client) -> None:
    user = make_user()
    client = make_client(key="not-the-anon-key")
    with pytest.raises(APIError) as rest:
        client.table("trades").select("id").execute()
    assert rest.value.message == "Invalid API key"
    with pytest.raises(AuthApiError) as auth:
        client.auth.sign_in_with_password({"email": user.email, "password": user.password})
    assert (auth.value.status, auth.value.message) == (401, "Invalid API key")


def test_a_missing_table_gives_pgrst205(make_user, make_client) -> None:
    client = make_client(make_user())
    with pytest.raises(APIError) as missing:
        client.table("tradez").select("*").execute()
    assert missing.value.code == "PGRST205"
    assert missing.value.message == "Could not find the table 'public.tradez' in the schema cache"
    assert missing.value.hint == "Perhaps you meant the table 'public.trades'"


def test_requests_are_counted_and_the_gateway_survives_a_restart(
        gateway: Gateway, make_user, make_client) -> None:
    client = make_client(make_user())
    gateway.reset_requests()
    account = _account(client)
    client.table("deals").upsert([_deal(account, 1)], on_conflict="account_id,ticket",
                                 returning="minimal").execute()
    assert gateway.request_count == 2
    assert [r.method for r in gateway.requests] == ["POST", "POST"]

    port = gateway.port
    gateway.stop()
    with pytest.raises(httpx.TransportError):
        client.table("deals").upsert([_deal(account, 2)], on_conflict="account_id,ticket",
                                     returning="minimal").execute()
    gateway.start()
    assert gateway.port == port
    client.table("deals").upsert([_deal(account, 2)], on_conflict="account_id,ticket",
                                 returning="minimal").execute()
    assert gateway.request_count == 3


def test_service_role_key_bypasses_rls(gateway: Gateway, make_user, make_client) -> None:
    account = _account(make_client(make_user()))
    admin = make_client(key=gateway.service_role_key)
    rows = admin.table("trading_accounts").select("id").eq("id", account).execute().data
    assert rows == [{"id": account}]


def test_injected_faults_answer_instead_of_the_database(gateway: Gateway, make_client) -> None:
    gateway.inject_fault(status=500, times=1)
    client = make_client(key=gateway.service_role_key)
    with pytest.raises(APIError) as fault:
        client.table("trades").select("id").execute()
    assert fault.value.message == "injected fault"
    assert client.table("trades").select("id").limit(1).execute().data is not None
