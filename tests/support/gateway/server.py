"""The test gateway's HTTP side: a Supabase-shaped API on 127.0.0.1 for the real supabase-py.

`Gateway(pg_api_dsn, pg_admin_dsn)` serves `/auth/v1/*` (auth.AuthService),
`/rest/v1/*` (rest.RestService) behind Supabase's API-key check, and the
Realtime websocket `/realtime/v1/websocket` (realtime.RealtimeService), from a
ThreadingHTTPServer in a background thread. Tests can stop and restart it on
the same port (an outage mid-sync), count the requests it served, shorten
access-token lifetimes and inject error responses.

Browsers get CORS as PostgREST sends it (cors.py). supabase-js in a page
needed nothing else: its reads (select, eq filters, order, offset/limit from
range()), its rpc POSTs and GETs, its password sign-in, session check (GET
/user) and local sign-out are what supabase-py sends too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import cors
from .auth import AuthService, create_user
from .db import Database
from .errors import HttpError, Response
from .realtime import PATH as REALTIME_PATH
from .realtime import RealtimeService
from .rest import RestRequest, RestService
from .tokens import Tokens


@dataclass
class ServedRequest:
    method: str
    path: str  # with the query string
    status: int


@dataclass
class _Fault:
    status: int
    times: int
    path_prefix: str
    body: dict[str, Any]
    min_rows: int = 0  # only requests whose JSON body holds at least this many rows
    delay_s: float = 0.0  # wait this long before answering (a client may time out first)

    def matches(self, path: str, body: bytes) -> bool:
        if self.times <= 0 or not path.startswith(self.path_prefix):
            return False
        if self.min_rows <= 0:
            return True
        text = body.strip()
        rows = len(json.loads(text)) if text.startswith(b"[") else 1 if text else 0
        return rows >= self.min_rows


class Gateway:
    """Supabase (PostgREST + GoTrue) in miniature, on a free port of 127.0.0.1."""

    def __init__(self, api_dsn: str, admin_dsn: str, *, port: int = 0,
                 jwt_secret: str | None = None) -> None:
        self.tokens = Tokens(jwt_secret)
        self.db = Database(api_dsn, admin_dsn)
        self.auth = AuthService(self.db, self.tokens)
        self.rest = RestService(self.db)
        self.realtime = RealtimeService(self.db, self.tokens)
        self.port = port
        self.requests: list[ServedRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- what tests use --------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def anon_key(self) -> str:
        return self.tokens.anon_key

    @property
    def service_role_key(self) -> str:
        return self.tokens.service_role_key

    @property
    def access_token_ttl(self) -> int:
        return self.auth.access_token_ttl

    @access_token_ttl.setter
    def access_token_ttl(self, seconds: int) -> None:
        self.auth.access_token_ttl = seconds

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def create_user(self, email: str, password: str) -> str:
        with self.db.admin() as conn:
            return create_user(conn, email, password)

    def inject_fault(self, status: int = 503, times: int = 1, path_prefix: str = "/rest/v1/",
                     body: dict[str, Any] | None = None, min_rows: int = 0,
                     delay_s: float = 0.0) -> None:
        """Answer the next `times` requests under `path_prefix` (with at least
        `min_rows` rows in their body, when given) with `status`, after
        `delay_s` seconds."""
        payload = body or {"code": "PGRST000", "message": "injected fault",
                           "details": None, "hint": None}
        with self._lock:
            self._faults.append(_Fault(status, times, path_prefix, payload, min_rows, delay_s))

    def inject_statement_timeout(self, min_rows: int, times: int = 1_000_000,
                                 path_prefix: str = "/rest/v1/") -> None:
        """What Supabase answers when a request outlives the role's
        statement_timeout (PostgREST maps SQLSTATE 57* to HTTP 500)."""
        self.inject_fault(500, times, path_prefix, {
            "code": "57014", "message": "canceling statement due to statement timeout",
            "details": None, "hint": None}, min_rows=min_rows)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def start(self) -> Gateway:
        if self._httpd is not None:
            return self
        httpd = _Server(("127.0.0.1", self.port), _Handler)
        httpd.gateway = self
        self.port = httpd.server_address[1]
        self.auth.issuer = self.url
        self._httpd = httpd
        self.realtime.start()
        self._thread = threading.Thread(target=httpd.serve_forever, name="test-gateway",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections (clients see a network error)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.drop_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self.realtime.stop()
        self.db.close()

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- dispatch --------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: dict[str, str],
                 body: bytes) -> Response:
        parts = urlsplit(target)
        params = parse_qsl(parts.query, keep_blank_values=True)
        if cors.is_preflight(method, headers):  # a browser's, before supabase-js calls
            return cors.preflight(headers)
        try:
            fault = self._take_fault(parts.path, body)
            if fault is not None:
                time.sleep(fault.delay_s)
                return Response.json(fault.status, fault.body)
            key_role = self._check_api_key(headers, dict(params))
            if parts.path.startswith("/auth/v1/"):
                data = json.loads(body) if body.strip() else None
                return self.auth.handle(method, parts.path[len("/auth/v1/"):].strip("/"),
                                        dict(params), headers, data)
            if parts.path.startswith("/rest/v1/"):
                role, claims = self._caller(headers, key_role)
                route = parts.path[len("/rest/v1/"):].strip("/")
                return self.rest.handle(
                    RestRequest(method, route, params, headers, body, role, claims))
            return Response.json(404, {"message": "no Route matched with those values"})
        except HttpError as exc:
            return exc.response()

    def _take_fault(self, path: str, body: bytes) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, body):
                    fault.times -= 1
                    return fault
        return None

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _check_api_key(self, headers: dict[str, str], query: dict[str, str]) -> str:
        apikey = headers.get("apikey") or query.get("apikey")
        if not apikey:
            raise HttpError(401, {"message": "No API key found in request",
                                  "hint": "No `apikey` request header or url param was found."})
        role = self.tokens.key_role(apikey)
        if role is None:
            raise HttpError(401, {"message": "Invalid API key", "hint": "Double check your "
                                  "Supabase `anon` or `service_role` API key."})
        return role

    def _caller(self, headers: dict[str, str], key_role: str) -> tuple[str, dict[str, Any]]:
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return key_role, {"role": key_role}
        claims = self.tokens.claims_for_bearer(auth[7:].strip())
        return str(claims.get("role") or "anon"), claims

    def record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append(ServedRequest(method, path, status))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    gateway: Gateway

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """A websocket upgrade for Realtime goes to the websocket side, the
        rest to the HTTP handler (one port, as on a Supabase project)."""
        if _request_line(request).startswith(f"GET {REALTIME_PATH}".encode()):
            self.gateway.realtime.serve(request)
        else:
            super().finish_request(request, client_address)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timed out) before the answer is not a gateway bug.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _request_line(sock: socket.socket) -> bytes:
    """The start of the request, peeked (left in the socket for whoever reads it)."""
    wanted = len(f"GET {REALTIME_PATH}")
    seen = b""
    with contextlib.suppress(OSError):
        for _ in range(50):  # the line may arrive in pieces
            seen = sock.recv(wanted, socket.MSG_PEEK)
            if len(seen) >= wanted or not seen or b"\n" in seen:
                break
            time.sleep(0.005)
    return seen


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        gateway = self.server.gateway
        try:
            response = gateway.dispatch(self.command, self.path, headers, body)
        except Exception as exc:  # a gateway bug: answer like a crashed upstream
            response = Response.json(500, {"code": "XX000", "message": f"gateway error: {exc!r}",
                                           "details": None, "hint": None})
        gateway.record(self.command, self.path, response.status)
        self.send_response(response.status)
        for name, value in {**response.headers, **cors.response_headers(headers)}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = do_PUT = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass
