"""Row changes for the test gateway's Realtime endpoint, from the TEST database.

Supabase's Realtime server reads the write-ahead log (logical replication of
the `supabase_realtime` publication). The gateway gets the same changes more
simply: an AFTER trigger on every table of that publication sends each
changed row with pg_notify, and one LISTEN connection hands them to the
websocket side. Installed by the test support on the test database (never by
a migration): a table that the project's migrations did not add to the
publication gets no trigger and so sends no changes, as with Supabase.

Differences from the real server: NOTIFY payloads are capped at 8000 bytes
(enough for the small tables a client subscribes to); changes arrive when the
writing transaction commits, in commit order, as with the WAL.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

CHANNEL = "mt5tray_test_realtime"
SCHEMA = "mt5tray_test"
Change = dict[str, Any]

_FUNCTION = f"""
create schema if not exists {SCHEMA};
create or replace function {SCHEMA}.realtime_notify() returns trigger
language plpgsql as $$
begin
  perform pg_notify('{CHANNEL}', json_build_object(
    'schema', tg_table_schema,
    'table', tg_table_name,
    'type', tg_op,
    'commit_timestamp',
      to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'record', case when tg_op = 'DELETE' then null else to_jsonb(new) end,
    'old_record', case when tg_op = 'INSERT' then null else to_jsonb(old) end
  )::text);
  return null;
end;
$$;
"""


def install_triggers(admin_dsn: str) -> list[tuple[str, str]]:
    """Put the notify trigger on every table of `supabase_realtime`; returns them."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(_FUNCTION)
        tables = conn.execute(
            "select schemaname, tablename from pg_publication_tables"
            " where pubname = 'supabase_realtime'").fetchall()
        for schema, table in tables:
            target = sql.Identifier(schema, table)
            conn.execute(sql.SQL("drop trigger if exists zz_mt5tray_test_realtime on {}")
                         .format(target))
            conn.execute(sql.SQL(
                "create trigger zz_mt5tray_test_realtime after insert or update or delete"
                " on {} for each row execute function {}.realtime_notify()"
            ).format(target, sql.Identifier(SCHEMA)))
    return [(str(s), str(t)) for s, t in tables]


class ChangeFeed:
    """One LISTEN connection on a thread, calling `deliver(change)` per row change."""

    def __init__(self, admin_dsn: str, deliver: Callable[[Change], None]) -> None:
        self.admin_dsn = admin_dsn
        self.deliver = deliver
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="test-realtime-feed",
                                        daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the test gateway's LISTEN connection did not start")

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def _run(self) -> None:
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f"listen {CHANNEL}")
            self._ready.set()
            while not self._stop.is_set():
                for notify in conn.notifies(timeout=0.2):
                    try:
                        self.deliver(json.loads(notify.payload))
                    except Exception:  # a gateway bug: keep feeding the others
                        log.exception("delivering a realtime change failed")
