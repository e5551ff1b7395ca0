"""The migrations apply to a fresh Supabase-like cluster and set up what the data contract asks."""

from __future__ import annotations

import pytest

from tests.support import postgres
from tests.support.postgres import PostgresCluster, migration_files
from tests.support.supabase_fixtures import one

pytestmark = pytest.mark.postgres

TABLES = ["trading_accounts", "deals", "trades", "sync_logs", "equity_snapshots", "sync_requests",
          "agents"]
NATURAL_KEYS = {
    "trading_accounts": ["user_id", "server", "login"],
    "deals": ["account_id", "ticket"],
    "trades": ["account_id", "ticket"],
    "equity_snapshots": ["account_id", "time"],
    "agents": ["user_id", "install_id"],
}


def test_bootstrap_and_migrations_apply_on_a_fresh_cluster() -> None:
    assert migration_files(), "no migrations found in supabase/migrations"
    cluster = PostgresCluster.start()
    try:
        cluster.bootstrap_and_migrate()
        with cluster.connect() as conn:
            found = {r[0] for r in conn.execute(
                "select tablename from pg_tables where schemaname = 'public'")}
        assert set(TABLES) <= found
    finally:
        cluster.destroy()


def test_every_table_has_rls_and_four_policies_for_authenticated(pg: PostgresCluster) -> None:
    with pg.connect() as conn:
        for table in TABLES:
            (rls,) = one(
                conn, "select relrowsecurity from pg_class where oid = %s::regclass",
                [f"public.{table}"])
            assert rls, table
            policies = conn.execute(
                "select cmd, roles::text[], qual, with_check from pg_policies"
                " where schemaname = 'public' and tablename = %s", [table]).fetchall()
            assert sorted(p[0] for p in policies) == ["DELETE", "INSERT", "SELECT", "UPDATE"]
            for cmd, roles, qual, with_check in policies:
                assert roles == ["authenticated"], (table, cmd)
                assert "auth.uid()" in (qual or with_check), (table, cmd)


def test_anon_has_no_privileges_and_authenticated_has_crud(pg: PostgresCluster) -> None:
    with pg.connect() as conn:
        for table in TABLES:
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
                anon, authed = one(
                    conn, "select has_table_privilege('anon', %s, %s),"
                    " has_table_privilege('authenticated', %s, %s)",
                    [f"public.{table}", privilege] * 2)
                assert not anon, (table, privilege)
                assert authed, (table, privilege)
        for fn in ("public.claim_sync_request(uuid[], integer)",
                   "public.finish_sync_request(uuid, text, uuid, text, jsonb)",
                   "public.request_sync(uuid, text, integer)",
                   "public.sync_request_status(uuid)", "public.sync_status(uuid)"):
            anon, authed = one(
                conn, "select has_function_privilege('anon', %s, 'execute'),"
                " has_function_privilege('authenticated', %s, 'execute')", [fn, fn])
            assert (anon, authed) == (False, True), fn


def test_natural_keys_are_non_partial_unique_constraints(pg: PostgresCluster) -> None:
    with pg.connect() as conn:
        for table, columns in NATURAL_KEYS.items():
            keys = conn.execute(
                """
                select array(select a.attname from unnest(c.conkey) with ordinality k(n, o)
                             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
                             order by k.o)
                from pg_constraint c where c.conrelid = %s::regclass and c.contype = 'u'
                """, [f"public.{table}"]).fetchall()
            assert columns in [k[0] for k in keys], table


def test_user_id_defaults_to_auth_uid_everywhere(pg: PostgresCluster) -> None:
    with pg.connect() as conn:
        rows = conn.execute(
            "select table_name, is_nullable, column_default from information_schema.columns"
            " where table_schema = 'public' and column_name = 'user_id'").fetchall()
    by_table = {r[0]: r for r in rows}
    for table in TABLES:
        assert by_table[table][1] == "NO"
        assert by_table[table][2] == "auth.uid()"


def test_a_cluster_that_cannot_start_fails_loudly_with_the_log(monkeypatch) -> None:
    monkeypatch.setattr(postgres, "_SERVER_SETTINGS", ("shared_buffers=bogus",))
    with pytest.raises(postgres.PostgresError, match="shared_buffers"):
        PostgresCluster.start()
