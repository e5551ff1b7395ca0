"""The web journal's "Sync now" at once: a Supabase Realtime subscription to
new `sync_requests` of the signed-in user, with the poll as the fallback.

`RequestSubscription` runs realtime-py (the client supabase-py uses) on its
own asyncio event-loop thread: it joins a channel with a postgres_changes
binding for INSERTs on public.sync_requests filtered by `user_id=eq.<user>`
(Realtime also checks each row against the user's row level security), calls
`on_request()` for each one, and keeps the channel's access token current as
the session refreshes. When the subscription drops (network, Realtime,
an expired token) it subscribes again with exponential backoff (tenacity),
and after every (re)subscription asks for one poll, so that a request made
while it was down is served at once too.

`LiveRequests` ties it to the agent: a request heard is served by one poll
queued on the sync thread (several heard at once coalesce into one), and the
scheduler's poll becomes the fallback: every 60 s while subscribed, every
15 s while the subscription is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from realtime import (
    AsyncRealtimeClient,
    RealtimePostgresChangesListenEvent,
    RealtimeSubscribeStates,
)
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from mt5tray.store.supabase.session import SupabaseSession

log = logging.getLogger(__name__)
# realtime-py logs every failed connection attempt as an error; the
# subscription says once per outage what happened instead.
logging.getLogger("realtime").setLevel(logging.CRITICAL)

INSERT = RealtimePostgresChangesListenEvent.Insert
POLL_WHILE_SUBSCRIBED_S = 60.0
POLL_WHILE_DOWN_S = 15.0
Submit = Callable[[Callable[[], object], str], None]


class SubscriptionDown(Exception):
    """The channel could not be joined, or it stopped delivering."""


class RequestSubscription:
    """Hears new sync_requests of the signed-in user over Supabase Realtime."""

    def __init__(self, session: SupabaseSession, on_request: Callable[[], None], *,
                 initial_backoff_s: float = 1.0, max_backoff_s: float = 60.0,
                 join_timeout_s: int = 10) -> None:
        self.session = session
        self.on_request = on_request
        self.initial_backoff_s = initial_backoff_s
        self.max_backoff_s = max_backoff_s
        self.join_timeout_s = join_timeout_s
        self.live = False  # subscribed right now
        self.subscriptions = 0  # successful joins so far (tests and status read it)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._outage_logged = False

    # --- life cycle (any thread) ---------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,),
                                        name="mt5tray-realtime", daemon=True)
        self._thread.start()
        ready.wait(5)

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        loop, stopping = self._loop, self._stopping
        if thread is None or loop is None or stopping is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop already ended
            loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=10)
        self._loop = self._stopping = None
        self.live = False

    def _run(self, ready: threading.Event) -> None:
        async def main() -> None:
            self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
            ready.set()
            await self._supervise()

        asyncio.run(main())

    # --- on the event-loop thread -----------------------------------------------------

    async def _supervise(self) -> None:
        assert self._stopping is not None
        while not self._stopping.is_set():
            retrying = AsyncRetrying(
                wait=wait_exponential_jitter(multiplier=self.initial_backoff_s,
                                             max=self.max_backoff_s),
                retry=retry_if_exception_type(Exception),
                stop=lambda _: self._stopping is not None and self._stopping.is_set(),
                sleep=self._sleep, before_sleep=self._note_outage, reraise=False)
            try:
                async for attempt in retrying:
                    with attempt:
                        client, down = await self._subscribe()
            except Exception:  # stopped while retrying
                return
            try:
                await self._listen(client, down)
            finally:
                self.live = False
                await _close_quietly(client)
            if not self._stopping.is_set():
                await self._sleep(self.initial_backoff_s)  # flapping never spins

    async def _subscribe(self) -> tuple[AsyncRealtimeClient, asyncio.Event]:
        """Connect and join; returns the client and an event set when it drops."""
        user_id, token, _ = await asyncio.to_thread(self._credentials)
        client = AsyncRealtimeClient(f"{self.session.url}/realtime/v1", token=self.session.key,
                                     auto_reconnect=False, max_retries=1,
                                     timeout=self.join_timeout_s)
        down = asyncio.Event()
        states: list[RealtimeSubscribeStates] = []

        def on_state(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            states.append(state)
            if state is not RealtimeSubscribeStates.SUBSCRIBED:
                down.set()

        try:
            await client.set_auth(token)
            channel = client.channel(f"mt5tray-sync-requests-{user_id}")
            channel.on_postgres_changes(INSERT, self._heard, table="sync_requests",
                                        schema="public", filter=f"user_id=eq.{user_id}")
            await channel.subscribe(on_state)
        except BaseException:
            await _close_quietly(client)
            raise
        if states[:1] != [RealtimeSubscribeStates.SUBSCRIBED] or down.is_set():
            await _close_quietly(client)
            raise SubscriptionDown(f"joining the channel gave {[s.value for s in states]}")
        self.live = True
        self.subscriptions += 1
        if self._outage_logged:
            log.info("Realtime subscription to Sync Now requests is back")
        else:
            log.info("Subscribed to Sync Now requests over Supabase Realtime")
        self._outage_logged = False
        self._ask()  # requests made while we were not listening
        return client, down

    async def _listen(self, client: AsyncRealtimeClient, down: asyncio.Event) -> None:
        """Until the channel drops or we stop: keep its access token current."""
        assert self._stopping is not None
        token = client.access_token
        while not down.is_set() and not self._stopping.is_set():
            _, fresh, expires_at = await asyncio.to_thread(self._credentials)
            if fresh != token:
                await client.set_auth(fresh)
                token = fresh
            # Wake just inside supabase-auth's refresh margin (10 s before expiry).
            wait = 60.0 if expires_at is None else expires_at - time.time() - 8
            await _first(down.wait(), self._stopping.wait(), timeout=min(max(wait, 1.0), 60.0))
        if down.is_set() and not self._stopping.is_set():
            self._note_outage(None)

    def _credentials(self) -> tuple[str, str, float | None]:
        """(user id, access token, its expiry) of the session, refreshed if due."""
        session = self.session.ensure()
        return str(session.user.id), str(session.access_token), session.expires_at

    def _heard(self, payload: Any) -> None:
        record = (payload.get("data") or {}).get("record") or {}
        log.info("Sync Now request %s heard over Realtime", record.get("id", "?"))
        self._ask()

    def _ask(self) -> None:
        try:
            self.on_request()
        except Exception:  # the caller's problem must not end the subscription
            log.exception("Serving a Sync Now request heard over Realtime failed")

    def _note_outage(self, state: RetryCallState | None) -> None:
        self.live = False
        if self._outage_logged:
            return
        self._outage_logged = True
        error = state.outcome.exception() if state is not None and state.outcome else None
        reason = f" ({error})" if error else ""
        log.info("Realtime subscription to Sync Now requests is down%s; polling every "
                 "%.0f s until it is back", reason, POLL_WHILE_DOWN_S)

    async def _sleep(self, seconds: float) -> None:
        assert self._stopping is not None
        await _first(self._stopping.wait(), timeout=seconds)


class LiveRequests:
    """Realtime first, the poll as the fallback, for one agent."""

    def __init__(self, session: SupabaseSession, poll: Callable[[], object],
                 enabled: bool = True, clock: Callable[[], float] = time.monotonic,
                 **subscription: Any) -> None:
        self.poll = poll
        self.enabled = enabled
        self.clock = clock
        self.subscription = RequestSubscription(session, self._heard, **subscription)
        self._submit: Submit | None = None
        self._queued = False
        self._lock = threading.Lock()
        self._last_poll: float | None = None

    def start(self, submit: Submit) -> Callable[[], None]:
        """Listen from now on; a request heard is served by `submit(poll, name)`
        (the sync thread). Returns the function that stops listening."""
        self._submit = submit
        if self.enabled and self.session_ready():
            self.subscription.start()
        return self.stop

    def session_ready(self) -> bool:
        return self.subscription.session.has_saved_token()

    def stop(self) -> None:
        self._submit = None  # a fallback poll running now must not start it again
        self.subscription.stop()

    @property
    def live(self) -> bool:
        return self.subscription.live

    def fallback_poll(self) -> object:
        """The scheduler's poll (every POLL_WHILE_DOWN_S): skipped while the
        subscription is live and polled less than POLL_WHILE_SUBSCRIBED_S ago."""
        last = self._last_poll
        if self.live and last is not None and self.clock() - last < POLL_WHILE_SUBSCRIBED_S:
            return []
        if self.enabled and self._submit is not None and self.session_ready():
            self.subscription.start()  # signed in since start-up: listen now
        return self._poll()

    def _heard(self) -> None:
        with self._lock:
            if self._queued or self._submit is None:
                return
            self._queued = True
        self._submit(self._serve_heard, "remote sync request")

    def _serve_heard(self) -> object:
        with self._lock:
            self._queued = False
        return self._poll()

    def _poll(self) -> object:
        self._last_poll = self.clock()
        return self.poll()


async def _first(*waits: Any, timeout: float) -> None:
    """Wait until the first of `waits` finishes, or `timeout` seconds."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def _close_quietly(client: AsyncRealtimeClient) -> None:
    try:
        await client.close()
    except Exception:
        log.debug("Closing the Realtime client failed", exc_info=True)
