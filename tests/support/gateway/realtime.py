"""The test gateway's Realtime endpoint: `/realtime/v1/websocket`, the part of
Supabase Realtime's Phoenix channel protocol that realtime-py (the client
supabase-py uses) speaks for postgres_changes.

What it serves, as realtime-py 2.x sends and expects it (realtime/_async/
channel.py, push.py, message.py):
- the websocket handshake with `?apikey=<key>&vsn=1.0.0`; an unknown key is
  refused (403), like Realtime's API-key check;
- `heartbeat` on topic `phoenix` -> `phx_reply` ok;
- `phx_join` on `realtime:<name>` with `config.postgres_changes` bindings
  (event, schema, table, filter) and `access_token` -> `phx_reply` ok with the
  bindings and their server ids, then the `system` "Subscribed to PostgreSQL"
  message; a bad or expired token is an error reply;
- `access_token` updates (the client's set_auth) for a joined channel;
- `phx_leave` -> `phx_reply` ok and `phx_close`;
- every row change of a published table (realtime_feed) whose binding and
  filter match, and that the subscriber's row level security lets them see
  (checked with a SELECT as their role and claims, as Realtime does), as a
  `postgres_changes` message carrying the ids of the matching bindings. A
  channel whose token has expired gets a `system` error and `phx_close`.

Where it differs from Supabase's server: filters support `eq` only (Realtime
also has neq, lt, lte, gt, gte, in); no broadcast, presence or private
channels; DELETEs are not checked against RLS (Realtime sends only the
primary key of a deleted row); no rate limits and no replay.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from psycopg import sql
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.server import ServerProtocol
from websockets.sync.server import ServerConnection

from .db import Database
from .realtime_feed import Change, ChangeFeed, install_triggers
from .tokens import Tokens

log = logging.getLogger(__name__)
PATH = "/realtime/v1/websocket"


@dataclass
class _Binding:
    id: int
    event: str
    schema: str
    table: str | None
    filter: str | None

    def reply(self) -> dict[str, Any]:
        found = {"id": self.id, "event": self.event, "schema": self.schema}
        if self.table:
            found["table"] = self.table
        if self.filter:
            found["filter"] = self.filter
        return found

    def matches(self, change: Change) -> bool:
        if self.event not in ("*", change["type"]) or self.schema != change["schema"]:
            return False
        if self.table not in (None, "*", change["table"]):
            return False
        if not self.filter:
            return True
        column, _, value = self.filter.partition("=eq.")
        row = change.get("record") or change.get("old_record") or {}
        return str(row.get(column)) == value


@dataclass
class _Channel:
    topic: str
    join_ref: str | None
    claims: dict[str, Any]
    bindings: list[_Binding] = field(default_factory=list)


class _Socket:
    """One client connection: its joined channels; sends are serialized."""

    def __init__(self, conn: ServerConnection) -> None:
        self.conn = conn
        self.channels: dict[str, _Channel] = {}
        self._send_lock = threading.Lock()

    def send(self, topic: str, event: str, payload: dict[str, Any], ref: str | None = None,
             join_ref: str | None = None) -> None:
        message = {"topic": topic, "event": event, "payload": payload, "ref": ref}
        if join_ref is not None:
            message["join_ref"] = join_ref
        try:
            with self._send_lock:
                self.conn.send(json.dumps(message, default=str))
        except ConnectionClosed:
            pass


class RealtimeService:
    """Phoenix channels for postgres_changes over the test database."""

    def __init__(self, db: Database, tokens: Tokens) -> None:
        self.db = db
        self.tokens = tokens
        self.down = False  # refuse websockets (a Realtime outage; REST stays up)
        self.feed = ChangeFeed(db.admin_dsn, self.deliver)
        self._sockets: set[_Socket] = set()
        self._lock = threading.Lock()
        self._next_id = 1
        self._columns: dict[tuple[str, str], list[dict[str, str]]] = {}

    # --- what the gateway and tests call -------------------------------------------

    def start(self) -> None:
        install_triggers(self.db.admin_dsn)
        self.feed.start()

    def stop(self) -> None:
        self.feed.stop()
        self.drop_all()

    def set_down(self, down: bool) -> None:
        """A Realtime outage: drop every websocket and refuse new ones (or end it)."""
        self.down = down
        if down:
            self.drop_all()

    def drop_all(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            sock.conn.close_socket()

    @property
    def subscribers(self) -> int:
        """Channels joined right now."""
        with self._lock:
            return sum(len(s.channels) for s in self._sockets)

    # --- one websocket ------------------------------------------------------------------

    def serve(self, raw: Any) -> None:
        """Run one websocket on an accepted socket until it closes (blocks)."""
        conn = ServerConnection(raw, ServerProtocol())
        try:
            conn.handshake(process_request=self._check_request, timeout=10)
        except Exception:
            conn.close_socket()
            return
        sock = _Socket(conn)
        with self._lock:
            self._sockets.add(sock)
        try:
            for text in conn:
                self._handle(sock, json.loads(text))
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._sockets.discard(sock)
            conn.close()

    def _check_request(self, conn: ServerConnection, request: Request) -> Response | None:
        query = parse_qs(urlsplit(request.path).query)
        if self.down:
            return conn.respond(HTTPStatus.SERVICE_UNAVAILABLE, "Realtime is down\n")
        if self.tokens.key_role((query.get("apikey") or [""])[0]) is None:
            return conn.respond(HTTPStatus.FORBIDDEN, "Invalid API key\n")
        return None

    def _handle(self, sock: _Socket, message: dict[str, Any]) -> None:
        topic, event = message.get("topic", ""), message.get("event")
        ref, payload = message.get("ref"), message.get("payload") or {}
        if topic == "phoenix" and event == "heartbeat":
            sock.send("phoenix", "phx_reply", {"status": "ok", "response": {}}, ref)
        elif event == "phx_join":
            self._join(sock, topic, ref, message.get("join_ref"), payload)
        elif event == "access_token":
            self._update_token(sock, topic, payload.get("access_token"))
        elif event == "phx_leave":
            channel = sock.channels.pop(topic, None)
            join_ref = channel.join_ref if channel else None
            sock.send(topic, "phx_reply", {"status": "ok", "response": {}}, ref, join_ref)
            sock.send(topic, "phx_close", {}, ref, join_ref)
        else:
            sock.send(topic, "phx_reply", {"status": "error",
                                           "response": {"reason": f"unhandled {event}"}}, ref)

    def _join(self, sock: _Socket, topic: str, ref: str | None, join_ref: str | None,
              payload: dict[str, Any]) -> None:
        claims, error = self._claims(payload.get("access_token"))
        config = payload.get("config") or {}
        bindings: list[_Binding] = []
        for spec in config.get("postgres_changes") or []:
            flt = spec.get("filter")
            if flt and "=eq." not in flt:
                error = f"Unsupported filter {flt!r}: the test gateway knows only eq"
            bindings.append(self._binding(spec))
        if error is not None:
            sock.send(topic, "phx_reply", {"status": "error", "response": {"reason": error}},
                      ref, join_ref)
            return
        sock.channels[topic] = _Channel(topic, join_ref or ref, claims, bindings)
        reply = {"postgres_changes": [b.reply() for b in bindings]}
        sock.send(topic, "phx_reply", {"status": "ok", "response": reply}, ref, join_ref)
        if bindings:
            sock.send(topic, "system", {"channel": topic.removeprefix("realtime:"),
                                        "extension": "postgres_changes", "status": "ok",
                                        "message": "Subscribed to PostgreSQL"})

    def _binding(self, spec: dict[str, Any]) -> _Binding:
        with self._lock:
            binding_id, self._next_id = self._next_id, self._next_id + 1
        return _Binding(binding_id, str(spec.get("event", "*")), spec.get("schema") or "public",
                        spec.get("table"), spec.get("filter"))

    def _claims(self, token: str | None) -> tuple[dict[str, Any], str | None]:
        """The caller's JWT claims (anon without a token), or why they are refused."""
        if not token:
            return {"role": "anon"}, None
        role = self.tokens.key_role(token)
        if role is not None:
            return {"role": role}, None
        claims = self.tokens.verify_quietly(token)
        if claims is None:
            return {}, "Invalid token: it is malformed, signed with another key, or expired"
        return claims, None

    def _update_token(self, sock: _Socket, topic: str, token: str | None) -> None:
        channel = sock.channels.get(topic)
        if channel is None:
            return
        claims, error = self._claims(token)
        if error is None:
            channel.claims = claims
            return
        self._close_channel(sock, channel, error)

    def _close_channel(self, sock: _Socket, channel: _Channel, reason: str) -> None:
        sock.channels.pop(channel.topic, None)
        sock.send(channel.topic, "system", {"channel": channel.topic.removeprefix("realtime:"),
                                            "extension": "system", "status": "error",
                                            "message": reason})
        sock.send(channel.topic, "phx_close", {}, None, channel.join_ref)

    # --- changes ------------------------------------------------------------------------

    def deliver(self, change: Change) -> None:
        """Send a row change to every channel that subscribed to it and may see it."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            for channel in list(sock.channels.values()):
                ids = [b.id for b in channel.bindings if b.matches(change)]
                if not ids:
                    continue
                if _expired(channel.claims):
                    self._close_channel(sock, channel, "Token has expired")
                    continue
                if not self._visible(change, channel.claims):
                    continue
                data = {"schema": change["schema"], "table": change["table"],
                        "commit_timestamp": change["commit_timestamp"],
                        "type": change["type"], "errors": None,
                        "columns": self._columns_of(change["schema"], change["table"]),
                        "record": change.get("record") or {},
                        "old_record": change.get("old_record") or {}}
                sock.send(channel.topic, "postgres_changes", {"data": data, "ids": ids})

    def _visible(self, change: Change, claims: dict[str, Any]) -> bool:
        """Realtime's RLS check: can the subscriber SELECT this row right now?"""
        record = change.get("record")
        if change["type"] == "DELETE" or not record:
            return True
        role = str(claims.get("role") or "anon")
        # Every table this project publishes has an `id` primary key.
        target = sql.Identifier(change["schema"], change["table"])
        try:
            with self.db.as_role(role, claims) as conn:
                row = conn.execute(
                    sql.SQL("select 1 from {} where id = %s").format(target),
                    [record.get("id")]).fetchone()
        except Exception:  # no privilege at all is "not visible"
            return False
        return row is not None

    def _columns_of(self, schema: str, table: str) -> list[dict[str, str]]:
        key = (schema, table)
        if key not in self._columns:
            with self.db.admin() as conn:
                rows = conn.execute(
                    "select column_name, udt_name from information_schema.columns"
                    " where table_schema = %s and table_name = %s order by ordinal_position",
                    [schema, table]).fetchall()
            self._columns[key] = [{"name": n, "type": t} for n, t in rows]
        return self._columns[key]


def _expired(claims: dict[str, Any]) -> bool:
    exp = claims.get("exp")
    return isinstance(exp, (int, float)) and exp < time.time()
