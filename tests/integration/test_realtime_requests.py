"""The web journal's Sync Now at once, end to end: the agent (built by
bootstrap, signed in with supabase-py) subscribes over realtime-py to the test
gateway's Realtime endpoint, hears a new sync_requests row from PostgreSQL,
claims and serves it on the sync thread; the poll takes over while the
websocket is down and the agent subscribes again when it is back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mt5tray.bootstrap import App
from mt5tray.core.models import AccountRef, SyncType, Trigger
from mt5tray.core.scheduler import SyncScheduler
from tests.integration.agent_setup import supabase_app
from tests.integration.test_supabase_sync import remote_rows

pytestmark = pytest.mark.postgres
CLAIM = "/rest/v1/rpc/claim_sync_request"


@dataclass
class Agent:
    user: Any
    app: App
    account_id: str
    scheduler: SyncScheduler


@pytest.fixture
def running_agent(tmp_path, pg, gateway, make_user, memory_keyring) -> Iterator[Agent]:
    """A signed-in, synced PC running its scheduler: the fallback poll every
    0.3 s (so the gating shows), nothing else on its own."""
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    assert app.live_requests is not None
    app.live_requests.subscription.initial_backoff_s = 0.2
    app.live_requests.subscription.max_backoff_s = 1.0
    app.service.cooldown_s = 0  # several requests in a row are all served
    scheduler = SyncScheduler(app.service, interval_s=3600, hooks=app.hooks,
                              startup_delay_s=3600,
                              hook_intervals_s={"flush_outbox": 3600, "heartbeat": 3600,
                                                "poll_remote_requests": 0.3})
    try:
        assert app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None).ok
        (account,) = remote_rows(pg, "trading_accounts", user.id, "login")
        scheduler.start()
        yield Agent(user, app, str(account["id"]), scheduler)
    finally:
        scheduler.shutdown()
        app.close()


def insert_request(pg: Any, agent: Agent) -> tuple[str, float]:
    with pg.connect() as conn:
        row = conn.execute("insert into sync_requests (user_id, account_id) values (%s, %s)"
                           " returning id::text", [agent.user.id, agent.account_id]).fetchone()
    return row[0], time.monotonic()


def request_row(pg: Any, request_id: str) -> dict[str, Any]:
    with pg.connect() as conn:
        cur = conn.execute("select * from sync_requests where id = %s", [request_id])
        names = [c.name for c in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - start


def claims(gateway: Any) -> int:
    return sum(1 for r in list(gateway.requests) if r.path.startswith(CLAIM))


def test_a_request_is_heard_and_served_at_once(pg, gateway, running_agent) -> None:
    agent = running_agent
    live = agent.app.live_requests
    assert live is not None
    wait_for(lambda: live.live)
    request_id, asked = insert_request(pg, agent)
    wait_for(lambda: request_row(pg, request_id)["status"] == "done", timeout=5)
    served_in = time.monotonic() - asked
    row = request_row(pg, request_id)
    logs = {str(r["id"]): r for r in remote_rows(pg, "sync_logs", agent.user.id, "started_at")}
    assert logs[str(row["sync_id"])]["trigger"] == "remote"
    assert served_in < 3.0
    # While subscribed, the 0.3 s fallback poll stays quiet (one poll a minute).
    time.sleep(0.5)  # the serving poll's last claim (it found nothing more)
    before = claims(gateway)
    time.sleep(1.5)
    assert claims(gateway) - before == 0


def test_the_poll_takes_over_while_realtime_is_down_and_it_resubscribes(
        pg, gateway, running_agent) -> None:
    agent = running_agent
    live = agent.app.live_requests
    assert live is not None
    wait_for(lambda: live.live)
    gateway.realtime.set_down(True)
    wait_for(lambda: not live.live)
    before = claims(gateway)
    time.sleep(1.2)
    assert claims(gateway) - before >= 3  # polling every 0.3 s now
    request_id, _ = insert_request(pg, agent)
    wait_for(lambda: request_row(pg, request_id)["status"] == "done", timeout=5)

    gateway.realtime.set_down(False)
    wait_for(lambda: live.live and live.subscription.subscriptions == 2)
    time.sleep(0.5)  # the catch-up poll after subscribing has run
    before = claims(gateway)
    request_id, asked = insert_request(pg, agent)
    wait_for(lambda: request_row(pg, request_id)["status"] == "done", timeout=5)
    assert time.monotonic() - asked < 3.0
    assert claims(gateway) - before <= 2  # heard, not polled for


def test_a_request_made_while_the_agent_was_away_is_served_on_subscribe(
        pg, gateway, tmp_path, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    scheduler: SyncScheduler | None = None
    try:
        assert app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None).ok
        (account,) = remote_rows(pg, "trading_accounts", user.id, "login")
        agent = Agent(user, app, str(account["id"]), None)  # type: ignore[arg-type]
        request_id, _ = insert_request(pg, agent)
        scheduler = SyncScheduler(app.service, interval_s=3600, hooks=app.hooks,
                                  startup_delay_s=3600,
                                  hook_intervals_s={"flush_outbox": 3600, "heartbeat": 3600,
                                                    "poll_remote_requests": 3600})
        scheduler.start()
        wait_for(lambda: request_row(pg, request_id)["status"] == "done", timeout=8)
    finally:
        if scheduler is not None:
            scheduler.shutdown()
        app.close()


def test_the_subscription_outlives_its_access_token(pg, gateway, tmp_path, make_user,
                                                    memory_keyring) -> None:
    gateway.access_token_ttl = 11  # refreshed about 8 s before it expires
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    live = app.live_requests
    assert live is not None
    scheduler = SyncScheduler(app.service, interval_s=3600, hooks=app.hooks,
                              startup_delay_s=3600,
                              hook_intervals_s={"flush_outbox": 3600, "heartbeat": 3600,
                                                "poll_remote_requests": 3600})
    try:
        assert app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None).ok
        (account,) = remote_rows(pg, "trading_accounts", user.id, "login")
        scheduler.start()
        wait_for(lambda: live.live)
        time.sleep(13)  # the first token has expired by now
        agent = Agent(user, app, str(account["id"]), scheduler)
        request_id, asked = insert_request(pg, agent)
        wait_for(lambda: request_row(pg, request_id)["status"] == "done", timeout=5)
        assert time.monotonic() - asked < 3.0
        assert live.subscription.subscriptions == 1  # never dropped
    finally:
        scheduler.shutdown()
        app.close()
