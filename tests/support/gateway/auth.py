"""The part of Supabase Auth (GoTrue) that supabase-py's password sign-in uses.

`POST /token?grant_type=password|refresh_token`, `GET /user`, `POST /logout`.
Users live in `auth.users` (bcrypt via pgcrypto); sessions and refresh tokens
live in memory, so they survive a gateway stop/start. Refresh tokens rotate:
each is good for one refresh. Reusing a spent one fails with GoTrue's
`refresh_token_already_used` and, like GoTrue's reuse detection, revokes the
whole session, with GoTrue's one exception: the parent of the session's
active token, presented again within `refresh_reuse_interval` seconds of
being spent, is answered with the active token (no new rotation). Source:
Supabase Auth's docs, "User sessions" > refresh token reuse detection, and
the GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL setting (default 10 s);
supabase/auth PR #466 ("Using bar returns baz; using foo triggers the reuse
detection"). Where we differ: newer GoTrue releases are more lenient still
(the parent also after the interval, and the session's other recently
revoked tokens within it); the gateway keeps to the stricter case above, so
what passes here passes on Supabase.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg

from .db import Database
from .errors import HttpError, Response
from .tokens import Tokens

API_VERSION = "2024-01-01"


def auth_error(status: int, code: str, message: str, versioned: bool = True) -> HttpError:
    """GoTrue's error body: the 2024-01-01 shape when the client asked for it."""
    if versioned:
        payload: dict[str, Any] = {"code": code, "message": message}
    else:
        payload = {"code": status, "error_code": code, "msg": message}
    return HttpError(status, payload, {"X-Supabase-Api-Version": API_VERSION})


def create_user(conn: psycopg.Connection, email: str, password: str,
                user_id: str | None = None) -> str:
    """Insert a confirmed email/password user into auth.users; returns its id."""
    row = conn.execute(
        "insert into auth.users (id, email, encrypted_password)"
        " values (coalesce(%s::uuid, gen_random_uuid()), %s,"
        "         extensions.crypt(%s, extensions.gen_salt('bf', 4)))"
        " returning id::text",
        [user_id, email.lower(), password],
    ).fetchone()
    assert row is not None
    return str(row[0])


@dataclass
class _Session:
    id: str
    user_id: str
    active_token: str
    revoked: bool = False
    parent_of_active: str | None = None  # the token spent to get active_token
    spent: dict[str, float] = field(default_factory=dict)  # token -> when it was spent


class AuthService:
    def __init__(self, db: Database, tokens: Tokens, issuer: str = "") -> None:
        self.db = db
        self.tokens = tokens
        self.issuer = issuer
        self.access_token_ttl = 3600
        self.refresh_reuse_interval = 10.0  # GoTrue's default, seconds
        self._sessions: dict[str, _Session] = {}
        self._by_token: dict[str, str] = {}  # refresh token -> session id
        self._lock = threading.Lock()

    # -- dispatch -------------------------------------------------------------

    def handle(self, method: str, route: str, query: dict[str, str],
               headers: dict[str, str], body: Any) -> Response:
        versioned = headers.get("x-supabase-api-version", "") >= API_VERSION
        try:
            if method == "POST" and route == "token":
                return self._token(query.get("grant_type", ""), body or {})
            if method == "GET" and route == "user":
                return Response.json(200, self._user_json(self._bearer_session(headers)[1]))
            if method == "POST" and route == "logout":
                return self._logout(headers, query.get("scope", "global"))
            if method == "GET" and route == "health":
                return Response.json(200, {"name": "GoTrue", "version": "test-gateway"})
        except HttpError as exc:
            if not versioned and "error_code" not in exc.payload and "code" in exc.payload:
                raise auth_error(exc.status, exc.payload["code"], exc.payload["message"],
                                 versioned=False) from None
            raise
        raise auth_error(404, "not_found", f"{method} /auth/v1/{route} is not served here")

    # -- grants ---------------------------------------------------------------

    def _token(self, grant_type: str, body: dict[str, Any]) -> Response:
        if grant_type == "password":
            user = self._check_password(str(body.get("email") or ""),
                                        str(body.get("password") or ""))
            return Response.json(200, self._new_session(user))
        if grant_type == "refresh_token":
            return Response.json(200, self._refresh(str(body.get("refresh_token") or "")))
        raise auth_error(400, "validation_failed", "unsupported_grant_type")

    def _check_password(self, email: str, password: str) -> dict[str, Any]:
        if not email or not password:
            raise auth_error(400, "validation_failed",
                             "missing email or phone" if not email else "missing password")
        with self.db.admin() as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            user = cur.execute(
                "update auth.users set last_sign_in_at = now()"
                " where email = %s"
                "   and encrypted_password = extensions.crypt(%s, encrypted_password)"
                " returning *",
                [email.lower(), password],
            ).fetchone()
        if user is None:
            raise auth_error(400, "invalid_credentials", "Invalid login credentials")
        return user

    def _new_session(self, user: dict[str, Any]) -> dict[str, Any]:
        token = secrets.token_urlsafe(9)
        session = _Session(str(uuid.uuid4()), str(user["id"]), token)
        with self._lock:
            self._sessions[session.id] = session
            self._by_token[token] = session.id
        return self._session_json(session, user)

    def _refresh(self, token: str) -> dict[str, Any]:
        if not token:
            raise auth_error(400, "validation_failed", "refresh_token required")
        with self._lock:
            session = self._sessions.get(self._by_token.get(token, ""))
            if session is None or session.revoked:
                raise auth_error(400, "refresh_token_not_found",
                                 "Invalid Refresh Token: Refresh Token Not Found")
            if token != session.active_token:
                spent_at = session.spent.get(token, 0.0)
                parent = token == session.parent_of_active
                if not parent or time.time() - spent_at > self.refresh_reuse_interval:
                    session.revoked = True
                    raise auth_error(400, "refresh_token_already_used",
                                     "Invalid Refresh Token: Already Used")
                # The client lost the reply that rotated it: send the active token again.
            else:
                session.spent[token] = time.time()
                session.parent_of_active = token
                session.active_token = secrets.token_urlsafe(9)
                self._by_token[session.active_token] = session.id
        return self._session_json(session, self._load_user(session.user_id))

    def _logout(self, headers: dict[str, str], scope: str) -> Response:
        session, user = self._bearer_session(headers)
        with self._lock:
            for other in self._sessions.values():
                if other.user_id != session.user_id:
                    continue
                if scope == "global" or (scope == "local") == (other.id == session.id):
                    other.revoked = True
        return Response(204)

    # -- sessions and users ---------------------------------------------------

    def _bearer_session(self, headers: dict[str, str]) -> tuple[_Session, dict[str, Any]]:
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            raise auth_error(401, "no_authorization",
                             "This endpoint requires a valid Bearer token")
        claims = self.tokens.verify_quietly(auth[7:].strip())
        if claims is None or "session_id" not in claims:
            raise auth_error(403, "bad_jwt", "invalid JWT: unable to parse or verify "
                             "signature, token has invalid claims: token is expired")
        with self._lock:
            session = self._sessions.get(claims["session_id"])
        if session is None or session.revoked:
            raise auth_error(403, "session_not_found",
                             "Session from session_id claim in JWT does not exist")
        return session, self._load_user(session.user_id)

    def _load_user(self, user_id: str) -> dict[str, Any]:
        with self.db.admin() as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
            user = cur.execute("select * from auth.users where id = %s", [user_id]).fetchone()
        if user is None:
            raise auth_error(403, "user_not_found", "User from sub claim in JWT does not exist")
        return user

    def _session_json(self, session: _Session, user: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        expires_at = now + int(self.access_token_ttl)
        claims = {
            "iss": f"{self.issuer}/auth/v1", "sub": session.user_id, "aud": "authenticated",
            "exp": expires_at, "iat": now, "email": user["email"], "phone": "",
            "app_metadata": user.get("raw_app_meta_data") or {},
            "user_metadata": user.get("raw_user_meta_data") or {},
            "role": "authenticated", "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
            "session_id": session.id, "is_anonymous": False,
        }
        return {
            "access_token": self.tokens.sign(claims),
            "token_type": "bearer",
            "expires_in": int(self.access_token_ttl),
            "expires_at": expires_at,
            "refresh_token": session.active_token,
            "user": self._user_json(user),
        }

    @staticmethod
    def _user_json(user: dict[str, Any]) -> dict[str, Any]:
        def iso(value: Any) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "id": str(user["id"]), "aud": user.get("aud") or "authenticated",
            "role": user.get("role") or "authenticated", "email": user["email"],
            "email_confirmed_at": iso(user.get("email_confirmed_at")),
            "confirmed_at": iso(user.get("email_confirmed_at")),
            "last_sign_in_at": iso(user.get("last_sign_in_at")), "phone": "",
            "app_metadata": user.get("raw_app_meta_data") or {},
            "user_metadata": user.get("raw_user_meta_data") or {},
            "identities": [], "created_at": iso(user["created_at"]),
            "updated_at": iso(user.get("updated_at")), "is_anonymous": False,
        }

    def revoke_sessions(self, user_id: str | None = None) -> None:
        """Test hook: revoke every session (of one user, or of everyone)."""
        with self._lock:
            for session in self._sessions.values():
                if user_id is None or session.user_id == user_id:
                    session.revoked = True
