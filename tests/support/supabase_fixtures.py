"""Pytest fixtures for tests that need Supabase: a PostgreSQL cluster with our
migrations (`pg`), the HTTP gateway the real supabase-py talks to (`gateway`),
and factories for auth users (`make_user`) and signed-in clients (`make_client`).

A test directory opts in from its conftest.py:

    from tests.support.supabase_fixtures import gateway, make_client, make_user, pg  # noqa: F401
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from supabase import Client, ClientOptions, create_client

from .gateway import Gateway, create_user
from .postgres import PostgresCluster, start_supabase_like_cluster


@dataclass(frozen=True)
class AuthUser:
    id: str
    email: str
    password: str


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresCluster]:
    """A running PostgreSQL with the Supabase bootstrap and every migration applied.

    Fails (never skips) when PostgreSQL cannot start: the error carries the log.
    """
    cluster = start_supabase_like_cluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def gateway(pg: PostgresCluster) -> Iterator[Gateway]:
    """A started gateway on a free port of 127.0.0.1 (stopped after the test)."""
    gw = Gateway(pg.authenticator_dsn, pg.dsn).start()
    try:
        yield gw
    finally:
        gw.close()


_counter = itertools.count(1)


@pytest.fixture
def make_user(pg: PostgresCluster) -> Callable[..., AuthUser]:
    """`make_user()` -> a new confirmed email/password user in auth.users."""

    def make(email: str | None = None, password: str | None = None) -> AuthUser:
        email = email or f"trader{next(_counter)}-{uuid.uuid4().hex[:8]}@example.test"
        password = password or f"pw-{uuid.uuid4().hex[:12]}"
        with pg.connect() as conn:
            user_id = create_user(conn, email, password)
        return AuthUser(user_id, email, password)

    return make


@pytest.fixture
def make_client(gateway: Gateway) -> Iterator[Callable[..., Client]]:
    """`make_client(user=None, key=None, auto_refresh_token=False)` -> a supabase-py Client
    on the gateway, signed in as `user` when given. Its httpx client is closed after the test.
    """
    http_clients: list[httpx.Client] = []

    def make(user: AuthUser | None = None, key: str | None = None,
             auto_refresh_token: bool = False) -> Client:
        http = httpx.Client(timeout=httpx.Timeout(30, connect=5))
        http_clients.append(http)
        options = ClientOptions(auto_refresh_token=auto_refresh_token, httpx_client=http)
        client = create_client(gateway.url, key or gateway.anon_key, options)
        if user is not None:
            client.auth.sign_in_with_password(
                {"email": user.email, "password": user.password})  # type: ignore[arg-type]
        return client

    yield make
    for http in http_clients:
        http.close()


def one(conn: psycopg.Connection, query: str, params: Sequence[Any] | None = None) -> tuple:
    """The single row a query must return."""
    row = conn.execute(query, params).fetchone()
    assert row is not None, query
    return tuple(row)


@contextmanager
def sql_as(pg: PostgresCluster, user_id: str | None, role: str = "authenticated"
           ) -> Iterator[psycopg.Connection]:
    """Raw SQL as PostgREST would run it: one transaction as `role` with the
    user's JWT claims (user_id None: no `sub`). Rolled back at the end."""
    claims = {"role": role, **({"sub": user_id} if user_id else {})}
    with psycopg.connect(pg.authenticator_dsn) as conn:
        conn.execute("select set_config('role', %s, true),"
                     " set_config('request.jwt.claims', %s, true)", [role, json.dumps(claims)])
        try:
            yield conn
        finally:
            conn.rollback()
