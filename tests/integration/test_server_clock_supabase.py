"""Issue 10 through Supabase: the per-deal offset and the account's clock
land in PostgreSQL, and a clock change re-uploads every re-stamped deal and
trade exactly once (their row_version moves once; a later sync on the same
clock leaves them alone)."""

from __future__ import annotations

from pathlib import Path

import psycopg.rows
import pytest

from mt5tray.core.models import AccountRef, SyncType, Trigger
from tests.integration.agent_setup import agent, supabase_app
from tests.support.postgres import PostgresCluster

pytestmark = pytest.mark.postgres

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "eu_rule_gap_weeks.json"


def remote(pg: PostgresCluster, sql: str, *params: object) -> list[dict]:
    with pg.connect() as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(sql, list(params)).fetchall()


def test_a_clock_change_reaches_supabase_once(tmp_path, pg, gateway, make_user,
                                              memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "sb", gateway, user, scenario=SCENARIO)
    ref = AccountRef(None)
    try:
        first = app.service.sync_one(ref, SyncType.FULL, Trigger.CLI, None)
        assert first.ok, first.error
        assert agent(app).pending_uploads() == 0
        (account,) = remote(pg, "select * from public.trading_accounts where user_id = %s",
                            user.id)
        assert account["server_timezone"] == "GMT+2/EU"
        assert account["server_timezone_source"] == "auto"
        gap = ("select * from public.deals where user_id = %s and time_msc = %s "
               "order by ticket limit 1")
        spring = 1_773_230_400_000  # server 2026-03-11 12:00, the US spring gap week
        (deal,) = remote(pg, gap, user.id, spring)
        assert (deal["time"].isoformat(), deal["server_utc_offset_minutes"]) == \
            ("2026-03-11T10:00:00+00:00", 120)
        versions = {r["ticket"]: r["row_version"] for r in
                    remote(pg, "select ticket, row_version from public.deals where user_id = %s",
                           user.id)}

        # The user says the server runs New York close: every time moves once.
        us = AccountRef(None, server_timezone="GMT+2/US")
        assert app.service.sync_one(us, SyncType.INCREMENTAL, Trigger.CLI).ok
        assert agent(app).pending_uploads() == 0
        (deal,) = remote(pg, gap, user.id, spring)
        assert (deal["time"].isoformat(), deal["server_utc_offset_minutes"]) == \
            ("2026-03-11T09:00:00+00:00", 180)
        trades = remote(pg, "select * from public.trades where user_id = %s and "
                            "open_time::date = '2026-03-11'", user.id)
        assert [t["open_time"].isoformat() for t in trades] == ["2026-03-11T09:00:00+00:00"]
        moved = {r["ticket"]: r["row_version"] for r in
                 remote(pg, "select ticket, row_version from public.deals where user_id = %s",
                        user.id)}
        assert moved.keys() == versions.keys()  # no row added or lost
        changed = {t for t in moved if moved[t] != versions[t]}
        # only the deals in the US/EU gap weeks differ between the two clocks
        gap_weeks = {r["ticket"] for r in remote(
            pg, "select ticket from public.deals where user_id = %s and "
                "to_timestamp(time_msc / 1000)::date in ('2026-03-11', '2026-10-28')", user.id)}
        assert changed == gap_weeks and len(gap_weeks) == 4

        assert app.service.sync_one(us, SyncType.FULL, Trigger.CLI, None).ok
        again = {r["ticket"]: r["row_version"] for r in
                 remote(pg, "select ticket, row_version from public.deals where user_id = %s",
                        user.id)}
        assert again == moved  # the same clock: nothing uploaded again
        (account,) = remote(pg, "select * from public.trading_accounts where user_id = %s",
                            user.id)
        assert (account["server_timezone"], account["server_timezone_source"]) == \
            ("GMT+2/US", "user")
    finally:
        app.close()
