"""Database access for the test gateway: a tiny connection pool and PostgREST's per-request
transaction (`SET LOCAL ROLE`, `request.jwt.claims`, the role's own settings).

API requests connect as `authenticator`, like PostgREST; the auth endpoints use
a superuser connection because GoTrue owns the auth schema.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg


class Database:
    def __init__(self, api_dsn: str, admin_dsn: str, max_idle: int = 8) -> None:
        self.api_dsn = api_dsn
        self.admin_dsn = admin_dsn
        self._max_idle = max_idle
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._role_settings: dict[str, list[tuple[str, str]]] | None = None

    # -- pool -----------------------------------------------------------------

    def _get(self) -> psycopg.Connection:
        with self._lock:
            while self._idle:
                conn = self._idle.pop()
                if not conn.closed:
                    return conn
        return psycopg.connect(self.api_dsn, autocommit=True)

    def _put(self, conn: psycopg.Connection) -> None:
        if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.close()
            return
        with self._lock:
            if len(self._idle) < self._max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # -- transactions ---------------------------------------------------------

    @contextmanager
    def as_role(self, role: str, claims: dict[str, Any], method: str = "GET",
                path: str = "/") -> Iterator[psycopg.Connection]:
        """One transaction as `role` with `claims`, the way PostgREST runs a request."""
        conn = self._get()
        try:
            with conn.transaction():
                conn.execute(
                    "select set_config('role', %s, true),"
                    " set_config('request.jwt.claims', %s, true),"
                    " set_config('request.method', %s, true),"
                    " set_config('request.path', %s, true)",
                    [role, json.dumps(claims), method, path],
                )
                for name, value in self._settings_of(conn, role):
                    conn.execute("select set_config(%s, %s, true)", [name, value])
                yield conn
        finally:
            self._put(conn)

    @contextmanager
    def admin(self) -> Iterator[psycopg.Connection]:
        """A superuser transaction (auth schema work); committed on success."""
        with psycopg.connect(self.admin_dsn) as conn:
            yield conn

    def _settings_of(self, conn: psycopg.Connection, role: str) -> list[tuple[str, str]]:
        # PostgREST applies a role's ALTER ROLE ... SET values (statement_timeout)
        # itself, since SET ROLE does not.
        if self._role_settings is None:
            rows = conn.execute(
                "select r.rolname, s.setconfig from pg_db_role_setting s"
                " join pg_roles r on r.oid = s.setrole where s.setdatabase = 0"
            ).fetchall()
            settings: dict[str, list[tuple[str, str]]] = {}
            for rolname, config in rows:
                pairs = [item.split("=", 1) for item in config or []]
                settings[rolname] = [(k, v) for k, v in pairs]
            self._role_settings = settings
        return self._role_settings.get(role, [])
