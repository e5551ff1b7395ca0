"""The test gateway's PostgREST grammar, as supabase-py and raw HTTP use it."""

from __future__ import annotations

import httpx
import pytest
from postgrest import APIError

from tests.support.gateway import Gateway

pytestmark = pytest.mark.postgres


@pytest.fixture
def trader(make_user, make_client):
    client = make_client(make_user())
    account = client.table("trading_accounts").insert(
        {"login": 77, "server": "Grammar"}).execute().data[0]["id"]
    trades = [
        {"account_id": account, "ticket": t, "symbol": s, "side": side, "status": status,
         "profit": p, "close_time": ct}
        for t, s, side, status, p, ct in [
            (1, "EURUSD", "buy", "closed", "10.5", "2026-01-01T10:00:00Z"),
            (2, "GBPUSD", "sell", "closed", "-3", "2026-01-02T10:00:00Z"),
            (3, "EURUSD", "sell", "open", "0", None),
        ]
    ]
    client.table("trades").insert(trades, returning="minimal").execute()
    return client, account


def test_filters_order_and_paging(trader) -> None:
    client, account = trader
    trades = client.table("trades")

    def tickets(query) -> list[int]:
        return [r["ticket"] for r in query.execute().data]

    base = trades.select("ticket").eq("account_id", account)
    assert tickets(base.order("ticket", desc=True)) == [3, 2, 1]
    assert tickets(trades.select("ticket").eq("account_id", account).neq("symbol", "EURUSD")) == [2]
    assert tickets(trades.select("ticket").gt("profit", 0).eq("account_id", account)) == [1]
    assert tickets(trades.select("ticket").lte("profit", 0).eq("account_id", account)
                   .order("ticket")) == [2, 3]
    assert tickets(trades.select("ticket").in_("ticket", [1, 3]).eq("account_id", account)
                   .order("ticket")) == [1, 3]
    assert tickets(trades.select("ticket").is_("close_time", "null")
                   .eq("account_id", account)) == [3]
    assert tickets(trades.select("ticket").not_.is_("close_time", "null")
                   .eq("account_id", account).order("close_time", desc=True)) == [2, 1]
    assert tickets(trades.select("ticket").like("symbol", "GBP*")
                   .eq("account_id", account)) == [2]
    page = trades.select("ticket", count="exact").eq("account_id", account).order(
        "ticket").range(1, 1).execute()
    assert (page.data, page.count) == ([{"ticket": 2}], 3)


def test_select_aliases_casts_and_single(trader) -> None:
    client, account = trader
    row = client.table("trades").select("n:ticket,profit::text").eq("ticket", 1).eq(
        "account_id", account).single().execute().data
    assert row == {"n": 1, "profit": "10.5"}
    assert client.table("trades").select("id").eq("ticket", 99).maybe_single().execute() is None
    with pytest.raises(APIError) as many:
        client.table("trades").select("id").eq("account_id", account).single().execute()
    assert many.value.code == "PGRST116"


def test_unknown_columns_are_refused_like_postgrest(trader) -> None:
    client, account = trader
    with pytest.raises(APIError) as unknown:
        client.table("trades").insert({"account_id": account, "ticket": 5, "side": "buy",
                                       "status": "open", "bogus": 1}).execute()
    assert unknown.value.code == "PGRST204"
    with pytest.raises(APIError) as bad_filter:
        client.table("trades").select("nope").execute()
    assert bad_filter.value.code == "42703"
    with pytest.raises(APIError) as check:
        client.table("trades").insert({"account_id": account, "ticket": 6, "side": "long",
                                       "status": "open"}).execute()
    assert check.value.code == "23514"


def test_ignore_duplicates_and_missing_default(trader) -> None:
    client, account = trader
    kept = client.table("trades").upsert(
        {"account_id": account, "ticket": 1, "side": "buy", "status": "open"},
        on_conflict="account_id,ticket", ignore_duplicates=True).execute()
    assert kept.data == []
    assert client.table("trades").select("status").eq("ticket", 1).eq(
        "account_id", account).execute().data == [{"status": "closed"}]
    other = client.table("trading_accounts").insert(
        {"login": 78, "server": "Grammar"}).execute().data[0]["id"]
    # two accounts: an account holds at most one pending request
    rows = client.table("sync_requests").insert(
        [{"account_id": account, "status": "pending"}, {"account_id": other}],
        default_to_null=False).execute().data
    assert [r["sync_type"] for r in rows] == ["incremental", "incremental"]


def test_raw_http_range_count_head_and_errors(gateway: Gateway, trader) -> None:
    client, account = trader
    token = client.auth.get_session().access_token
    headers = {"apikey": gateway.anon_key, "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=gateway.url, headers=headers) as http:
        got = http.get("/rest/v1/trades", params={"select": "ticket", "order": "ticket"},
                       headers={"Range": "0-1", "Prefer": "count=exact"})
        assert got.status_code == 206
        assert got.headers["content-range"] == "0-1/3"
        assert got.json() == [{"ticket": 1}, {"ticket": 2}]
        head = http.head("/rest/v1/trades", headers={"Prefer": "count=exact"})
        assert (head.status_code, head.headers["content-range"]) == (200, "0-2/3")
        assert http.get("/rest/v1/trades", headers={"apikey": "x"}).json()["message"] == (
            "Invalid API key")
        bad = http.get("/rest/v1/trades", headers={"Authorization": "Bearer a.b.c"})
        assert (bad.status_code, bad.json()["code"]) == (401, "PGRST301")
        rpc = http.post("/rest/v1/rpc/no_such_function", json={})
        assert (rpc.status_code, rpc.json()["code"]) == (404, "PGRST202")
        user = http.get("/auth/v1/user")
        assert user.json()["email"].endswith("@example.test")
        assert http.post("/auth/v1/logout").status_code == 204
        assert http.get("/auth/v1/user").status_code == 403


@pytest.mark.parametrize("query", [{}, {"columns": "account_id,ticket,side,status"}])
@pytest.mark.parametrize("body", [b'[{"ticket": 1,', b"not json", b"42"])
def test_a_body_that_is_not_json_objects_is_refused(gateway: Gateway, trader, query,
                                                    body) -> None:
    client, _ = trader
    token = client.auth.get_session().access_token
    headers = {"apikey": gateway.anon_key, "Authorization": f"Bearer {token}",
               "Content-Type": "application/json"}
    with httpx.Client(base_url=gateway.url, headers=headers) as http:
        got = http.post("/rest/v1/trades", params=query, content=body)
    assert (got.status_code, got.json()["code"]) == (400, "PGRST102")
