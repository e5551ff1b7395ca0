"""The issue-13 migration: sync_requests joins Realtime's publication whether
or not the database has it, and sync logs may say trigger = 'watch'."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.postgres import BOOTSTRAP_SQL, PostgresCluster, migration_files

pytestmark = pytest.mark.postgres

PUBLISHED = ("select count(*) from pg_publication_tables where pubname = 'supabase_realtime'"
             " and schemaname = 'public' and tablename = 'sync_requests'")


def _fresh_database(pg: PostgresCluster, name: str) -> None:
    with pg.connect(autocommit=True) as conn:
        conn.execute(f"drop database if exists {name}")
        conn.execute(f"create database {name}")


def test_sync_requests_are_published_to_realtime(pg: PostgresCluster) -> None:
    with pg.connect() as conn:
        assert conn.execute(PUBLISHED).fetchone() == (1,)


def test_the_migration_works_without_the_publication(pg: PostgresCluster) -> None:
    _fresh_database(pg, "no_realtime")
    pg.apply_sql_file(BOOTSTRAP_SQL, "no_realtime")
    with psycopg.connect(pg.dsn_for("postgres", "no_realtime"), autocommit=True) as conn:
        conn.execute("drop publication supabase_realtime")
    pg.apply_files(migration_files(), "no_realtime")
    with psycopg.connect(pg.dsn_for("postgres", "no_realtime")) as conn:
        assert conn.execute(PUBLISHED).fetchone() == (1,)


def test_the_migration_works_with_a_publication_for_all_tables(pg: PostgresCluster) -> None:
    _fresh_database(pg, "all_tables")
    pg.apply_sql_file(BOOTSTRAP_SQL, "all_tables")
    with psycopg.connect(pg.dsn_for("postgres", "all_tables"), autocommit=True) as conn:
        conn.execute("drop publication supabase_realtime")
        conn.execute("create publication supabase_realtime for all tables")
    pg.apply_files(migration_files(), "all_tables")
    with psycopg.connect(pg.dsn_for("postgres", "all_tables")) as conn:
        assert conn.execute(PUBLISHED).fetchone() == (1,)


def test_watch_is_a_sync_log_trigger(pg: PostgresCluster) -> None:
    with pg.connect() as conn:
        definition = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint"
            " where conname = 'sync_logs_trigger_check'").fetchone()[0]
    assert "'watch'" in definition and "'schedule'" in definition
