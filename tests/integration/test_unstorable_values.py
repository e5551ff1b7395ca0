"""Values the two stores cannot hold alike (issue 8): a NUL in text (PostgreSQL
refuses it, 22P05), NaN and ±Infinity from the terminal (SQLite keeps an
infinity, JSON and PostgREST have neither). Cleaned where terminal records
become rows, counted and reported; journal and Supabase agree."""

from __future__ import annotations

import json
import math

import pytest

from mt5tray.core.models import AccountRef, SyncStatus, SyncType, Trigger
from tests.integration.agent_setup import SCENARIO, agent, supabase_app
from tests.integration.test_supabase_sync import assert_mirrored

pytestmark = pytest.mark.postgres


def unstorable_scenario(tmp_path):
    data = json.loads(SCENARIO.read_text())
    data["deals"][2]["comment"] = "[tp\x00 1.105]"
    data["account"]["name"] = "Demo\x00 Trader"
    data["deals"][1]["commission"] = math.nan
    data["positions"][0]["profit"] = math.inf
    path = tmp_path / "unstorable.json"
    path.write_text(json.dumps(data))  # Python's json writes NaN and Infinity literals
    return path


def test_nul_text_and_non_numbers_are_stored_alike_in_journal_and_supabase(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user, scenario=unstorable_scenario(tmp_path))
    try:
        result = app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert_mirrored(pg, app.store, user.id)  # what the web journal shows = the journal
        assert result.cleaned["nul_characters_removed"] == 2
        assert result.cleaned["non_finite_numbers_stored_as_null"] >= 2
        assert result.status is SyncStatus.PARTIAL and "not numbers" in result.error
        assert agent(app).upload_state()["quarantined_rows"] == 0
        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, user.id)
        (comment,) = app.store.query("select comment from deals where ticket = 5000003")[0]
        assert comment == "[tp 1.105]"
        assert [a["name"] for a in app.store.list_accounts()] == ["Demo Trader"]
        (commission,) = app.store.query("select commission from deals where ticket = 5000002")[0]
        assert commission is None
        (profit,) = app.store.query("select floating_profit from trades where ticket = 10000009")[0]
        assert profit is None

        again = app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
        assert again.ok and again.counts.trades_upserted == 0  # cleaned rows are stable
        assert_mirrored(pg, app.store, user.id)
    finally:
        app.close()
