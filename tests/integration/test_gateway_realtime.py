"""The test gateway's Realtime endpoint with the real realtime-py client (the
one supabase-py uses): join, INSERT events from PostgreSQL, each user hearing
only their own rows, token checks and updates."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates
from websockets.sync.client import connect

from tests.support.gateway import Gateway

pytestmark = pytest.mark.postgres


def account_of(pg: Any, user_id: str, login: int = 7001) -> str:
    with pg.connect() as conn:
        return str(conn.execute(
            "insert into trading_accounts (user_id, login, server) values (%s, %s, 'Srv')"
            " returning id", [user_id, login]).fetchone()[0])


def request_for(pg: Any, user_id: str, account_id: str) -> str:
    with pg.connect() as conn:
        return str(conn.execute(
            "insert into sync_requests (user_id, account_id) values (%s, %s) returning id",
            [user_id, account_id]).fetchone()[0])


def token_of(make_client: Any, user: Any) -> str:
    session = make_client(user).auth.get_session()
    assert session is not None
    return str(session.access_token)


class Listener:
    """A realtime-py channel on sync_requests INSERTs (optionally filtered)."""

    def __init__(self, gateway: Gateway, token: str | None, flt: str | None = None,
                 apikey: str | None = None) -> None:
        self.client = AsyncRealtimeClient(f"{gateway.url}/realtime/v1",
                                          token=apikey or gateway.anon_key,
                                          auto_reconnect=False, max_retries=1)
        self.token, self.filter = token, flt
        self.states: list[RealtimeSubscribeStates] = []
        self.errors: list[str] = []
        self.records: list[dict[str, Any]] = []

    async def subscribe(self) -> None:
        if self.token:
            await self.client.set_auth(self.token)
        channel = self.client.channel("sync-requests")
        channel.on_postgres_changes("INSERT", self._on_change, table="sync_requests",
                                    schema="public", filter=self.filter)

        def on_state(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            self.states.append(state)
            if error is not None:
                self.errors.append(str(error))

        await channel.subscribe(on_state)

    def _on_change(self, payload: Any) -> None:
        assert payload["data"]["table"] == "sync_requests"
        assert {"name": "status", "type": "text"} in payload["data"]["columns"]
        self.records.append(payload["data"]["record"])

    async def wait_for(self, count: int, timeout: float = 5.0) -> None:
        for _ in range(int(timeout / 0.02)):
            if len(self.records) >= count:
                return
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        await self.client.close()


def test_a_user_hears_their_own_new_requests_and_no_one_elses(
        pg, gateway, make_user, make_client) -> None:
    alice, bob = make_user(), make_user()
    alice_account, bob_account = account_of(pg, alice.id), account_of(pg, bob.id, 7002)

    async def scenario() -> None:
        filtered = Listener(gateway, token_of(make_client, alice), f"user_id=eq.{alice.id}")
        # No filter: only row level security keeps alice's rows from bob.
        unfiltered_bob = Listener(gateway, token_of(make_client, bob))
        for listener in (filtered, unfiltered_bob):
            await listener.subscribe()
            assert listener.states == [RealtimeSubscribeStates.SUBSCRIBED]
        assert gateway.realtime.subscribers == 2
        mine = await asyncio.to_thread(request_for, pg, alice.id, alice_account)
        theirs = await asyncio.to_thread(request_for, pg, bob.id, bob_account)
        await filtered.wait_for(1)
        await unfiltered_bob.wait_for(1)
        await asyncio.sleep(0.3)  # anything else would have arrived by now
        assert [r["id"] for r in filtered.records] == [mine]
        assert filtered.records[0]["status"] == "pending"
        assert [r["id"] for r in unfiltered_bob.records] == [theirs]
        for listener in (filtered, unfiltered_bob):
            await listener.close()

    asyncio.run(scenario())


def test_anon_without_a_session_hears_nothing(pg, gateway, make_user) -> None:
    alice = make_user()
    account = account_of(pg, alice.id)

    async def scenario() -> None:
        anon = Listener(gateway, None)
        await anon.subscribe()
        assert anon.states == [RealtimeSubscribeStates.SUBSCRIBED]
        await asyncio.to_thread(request_for, pg, alice.id, account)
        await asyncio.sleep(0.5)
        assert anon.records == []  # anon may not read sync_requests at all
        await anon.close()

    asyncio.run(scenario())


def test_a_bad_token_is_refused_at_join_and_an_unknown_key_at_connect(
        gateway, make_user, make_client) -> None:
    async def scenario() -> None:
        bad = Listener(gateway, "not.a.jwt")
        await bad.subscribe()
        assert bad.states == [RealtimeSubscribeStates.CHANNEL_ERROR]
        assert "Invalid token" in bad.errors[0]
        await bad.close()
        stranger = Listener(gateway, None, apikey="sb_publishable_unknown")
        with pytest.raises(Exception, match="403"):
            await stranger.subscribe()

    asyncio.run(scenario())


def test_an_expired_token_closes_the_channel_and_set_auth_keeps_it_open(
        pg, gateway, make_user, make_client) -> None:
    alice = make_user()
    account = account_of(pg, alice.id)
    gateway.access_token_ttl = 1

    async def scenario() -> None:
        listener = Listener(gateway, token_of(make_client, alice), f"user_id=eq.{alice.id}")
        await listener.subscribe()
        await asyncio.sleep(2.1)  # the token has expired
        await asyncio.to_thread(request_for, pg, alice.id, account)
        for _ in range(100):
            if RealtimeSubscribeStates.CLOSED in listener.states:
                break
            await asyncio.sleep(0.02)
        assert listener.records == []
        assert listener.states[-1] is RealtimeSubscribeStates.CLOSED
        await listener.close()

        gateway.access_token_ttl = 3600
        fresh = Listener(gateway, token_of(make_client, alice), f"user_id=eq.{alice.id}")
        await fresh.subscribe()
        await fresh.client.set_auth(token_of(make_client, alice))  # an access_token update
        # Another account: the first request is still pending, and an account has
        # at most one pending request (issue 12's guard).
        second = await asyncio.to_thread(account_of, pg, alice.id, 7002)
        await asyncio.to_thread(request_for, pg, alice.id, second)
        await fresh.wait_for(1)
        assert len(fresh.records) == 1
        await fresh.close()

    asyncio.run(scenario())


def test_heartbeat_leave_and_unsupported_filters_speak_phoenix(gateway) -> None:
    """The frames realtime-py sends but whose answers it does not surface."""
    url = (f"ws://127.0.0.1:{gateway.port}/realtime/v1/websocket"
           f"?apikey={gateway.anon_key}&vsn=1.0.0")
    with connect(url) as ws:
        ws.send(json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {},
                            "ref": "7"}))
        assert json.loads(ws.recv(5)) == {"topic": "phoenix", "event": "phx_reply",
                                          "payload": {"status": "ok", "response": {}},
                                          "ref": "7"}
        bad = {"config": {"postgres_changes": [
            {"event": "INSERT", "schema": "public", "table": "sync_requests",
             "filter": "status=in.(pending)"}]}}
        ws.send(json.dumps({"topic": "realtime:x", "event": "phx_join", "payload": bad,
                            "ref": "8", "join_ref": "8"}))
        reply = json.loads(ws.recv(5))
        assert reply["payload"]["status"] == "error" and "eq" in \
            reply["payload"]["response"]["reason"]
        ws.send(json.dumps({"topic": "realtime:y", "event": "phx_join",
                            "payload": {"config": {}}, "ref": "9", "join_ref": "9"}))
        assert json.loads(ws.recv(5))["payload"] == {"status": "ok",
                                                     "response": {"postgres_changes": []}}
        ws.send(json.dumps({"topic": "realtime:y", "event": "phx_leave", "payload": {},
                            "ref": "10", "join_ref": "9"}))
        events = [json.loads(ws.recv(5))["event"] for _ in range(2)]
        assert events == ["phx_reply", "phx_close"]
