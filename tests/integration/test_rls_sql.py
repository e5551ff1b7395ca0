"""Row level security and the sync-request RPCs, checked in raw SQL as PostgREST runs requests."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import psycopg
import pytest

from tests.support.postgres import PostgresCluster
from tests.support.supabase_fixtures import AuthUser, one, sql_as

pytestmark = pytest.mark.postgres


def _account(pg: PostgresCluster, user: AuthUser, login: int = 1001) -> str:
    with sql_as(pg, user.id) as conn:
        (account_id,) = one(
            conn, "insert into trading_accounts (login, server, balance) values (%s, 'Demo-1', 100)"
            " returning id::text", [login])
        conn.execute(
            "insert into deals (account_id, ticket, time, type) values (%s, 1, now(), 'buy')",
            [account_id])
        conn.commit()
    return account_id


def test_a_user_sees_and_changes_only_their_own_rows(
        pg: PostgresCluster, make_user: Callable[..., AuthUser]) -> None:
    alice, bob = make_user(), make_user()
    account = _account(pg, alice)
    with sql_as(pg, bob.id) as conn:
        assert conn.execute("select count(*) from trading_accounts where id = %s",
                            [account]).fetchone() == (0,)
        assert conn.execute("select count(*) from deals where account_id = %s",
                            [account]).fetchone() == (0,)
        assert conn.execute("update trading_accounts set name = 'mine' where id = %s",
                            [account]).rowcount == 0
        assert conn.execute("delete from deals where account_id = %s", [account]).rowcount == 0
    with sql_as(pg, alice.id) as conn:
        assert conn.execute("select count(*) from deals where account_id = %s",
                            [account]).fetchone() == (1,)


def test_child_rows_cannot_point_to_someone_elses_account(
        pg: PostgresCluster, make_user: Callable[..., AuthUser]) -> None:
    alice, bob = make_user(), make_user()
    account = _account(pg, alice)
    with sql_as(pg, bob.id) as conn, pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("insert into trades (account_id, ticket, side, status)"
                     " values (%s, 7, 'buy', 'open')", [account])
    with sql_as(pg, bob.id) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("insert into trades (account_id, user_id, ticket, side, status)"
                     " values (%s, %s, 7, 'buy', 'open')", [account, alice.id])


def test_anon_can_neither_read_nor_write(pg: PostgresCluster, make_user) -> None:
    _account(pg, make_user())
    with sql_as(pg, None, role="anon") as conn, pytest.raises(
            psycopg.errors.InsufficientPrivilege):
        conn.execute("select * from trading_accounts")
    with sql_as(pg, None, role="anon") as conn, pytest.raises(
            psycopg.errors.InsufficientPrivilege):
        conn.execute("insert into trading_accounts (login, server, user_id)"
                     " values (1, 'x', gen_random_uuid())")


def test_service_role_child_rows_take_the_accounts_owner(pg: PostgresCluster, make_user) -> None:
    alice = make_user()
    account = _account(pg, alice)
    with sql_as(pg, None, role="service_role") as conn:
        (owner,) = one(
            conn, "insert into equity_snapshots (account_id, time, equity) values (%s, now(), 1)"
            " returning user_id::text", [account])
    assert owner == alice.id


def test_updated_at_moves_on_update(pg: PostgresCluster, make_user) -> None:
    alice = make_user()
    account = _account(pg, alice)
    with pg.connect() as conn:
        conn.execute("update trading_accounts set updated_at = now() - interval '1 day'"
                     " where id = %s", [account])
        conn.commit()
        conn.execute("update trading_accounts set name = 'x' where id = %s", [account])
        (age,) = one(conn, "select now() - updated_at < interval '1 minute'"
                              " from trading_accounts where id = %s", [account])
    assert age


def _requests(pg: PostgresCluster, user: AuthUser, account: str, n: int) -> list[str]:
    """n pending requests: one for `account`, the others for further accounts of
    the user (an account holds at most one pending request)."""
    accounts = [account] + [_account(pg, user, login=2000 + i) for i in range(1, n)]
    with sql_as(pg, user.id) as conn:
        ids = [one(conn, "insert into sync_requests (account_id) values (%s)"
                        " returning id::text", [a])[0] for a in accounts]
        conn.commit()
    return ids


def test_claim_is_won_by_exactly_one_of_two_open_sessions(pg: PostgresCluster, make_user) -> None:
    alice = make_user()
    account = _account(pg, alice)
    (request_id,) = _requests(pg, alice, account, 1)
    with sql_as(pg, alice.id) as first, sql_as(pg, alice.id) as second:
        won = first.execute("select id::text, status from claim_sync_request()").fetchall()
        lost = second.execute("select id::text from claim_sync_request(%s)",
                              [[account]]).fetchall()
        assert won == [(request_id, "running")]
        assert lost == []
        first.commit()
        assert second.execute("select * from claim_sync_request()").fetchall() == []


def test_concurrent_claimers_never_share_a_request(pg: PostgresCluster, make_user) -> None:
    alice = make_user()
    account = _account(pg, alice)
    ids = _requests(pg, alice, account, 30)
    claimed: list[str] = []
    barrier = threading.Barrier(4)
    lock = threading.Lock()

    def claimer() -> None:
        barrier.wait()
        while True:
            with sql_as(pg, alice.id) as conn:
                row = conn.execute("select id::text from claim_sync_request()").fetchone()
                conn.commit()
            if row is None:
                return
            with lock:
                claimed.append(row[0])

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(claimed) == sorted(ids)


def test_requests_of_other_users_cannot_be_claimed_or_finished(
        pg: PostgresCluster, make_user) -> None:
    alice, bob = make_user(), make_user()
    account = _account(pg, alice)
    (request_id,) = _requests(pg, alice, account, 1)
    with sql_as(pg, bob.id) as conn:
        assert conn.execute("select * from claim_sync_request()").fetchall() == []
        assert conn.execute("select * from claim_sync_request(%s)", [[account]]).fetchall() == []
    with sql_as(pg, alice.id) as conn:
        conn.execute("select claim_sync_request()")
        conn.commit()
    with sql_as(pg, bob.id) as conn:
        assert conn.execute("select * from finish_sync_request(%s, 'done', null, null)",
                            [request_id]).fetchall() == []
    sync_id = str(uuid.uuid4())
    with sql_as(pg, alice.id) as conn:
        row = conn.execute("select status, sync_id::text, finished_at is not null"
                           " from finish_sync_request(%s, 'done', %s, null)",
                           [request_id, sync_id]).fetchone()
        assert row == ("done", sync_id, True)
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("select finish_sync_request(%s, 'bogus', null, null)", [request_id])


def test_a_request_abandoned_while_running_is_claimed_again(
        pg: PostgresCluster, make_user) -> None:
    """An agent that claimed a request and vanished must not block it forever;
    one that is still within its lease keeps it."""
    alice = make_user()
    account = _account(pg, alice)
    ids = _requests(pg, alice, account, 2)
    with sql_as(pg, alice.id) as conn:
        abandoned = one(conn, "select id::text from claim_sync_request()")[0]
        recent = one(conn, "select id::text from claim_sync_request()")[0]
        conn.commit()
    assert sorted([abandoned, recent]) == sorted(ids)
    with pg.connect() as admin:  # the first claim is 31 minutes old
        admin.execute("update sync_requests set started_at = now() - interval '31 minutes'"
                      " where id = %s", [abandoned])
        admin.commit()
    with sql_as(pg, alice.id) as conn:
        row = conn.execute("select id::text, status, started_at > now() - interval '1 minute'"
                           " from claim_sync_request()").fetchall()
        assert row == [(abandoned, "running", True)]
        assert conn.execute("select * from claim_sync_request()").fetchall() == []
        # A shorter lease, when an agent asks for one (never under a minute).
        conn.execute("update sync_requests set started_at = now() - interval '5 minutes'"
                     " where id = %s", [recent])
        assert one(conn, "select id::text from claim_sync_request(null, 120)")[0] == recent
        conn.execute("update sync_requests set started_at = now() - interval '30 seconds'")
        assert conn.execute("select * from claim_sync_request(null, 1)").fetchall() == []
