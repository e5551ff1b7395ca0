"""Watch mode in Supabase mode: a watch sync's rows and its sync_logs row
(trigger 'watch', allowed by the migration) reach PostgreSQL, and an equity
snapshot taken between syncs is uploaded with the account's new equity."""

from __future__ import annotations

from typing import Any

import pytest

from mt5tray.bootstrap import build_watcher
from mt5tray.core.models import AccountRef, SyncType, Trigger
from tests.integration.agent_setup import agent, supabase_app
from tests.integration.test_supabase_sync import remote_rows
from tests.terminal.conftest import FakeClock

pytestmark = pytest.mark.postgres


def test_watch_syncs_and_equity_snapshots_reach_supabase(
        tmp_path: Any, pg: Any, gateway: Any, make_user: Any, memory_keyring: Any) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    try:
        assert app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None).ok
        clock = FakeClock(1000.0)
        watcher = build_watcher(app)
        watcher.clock = clock
        api = app.engine.terminal_factory()._api  # type: ignore[attr-defined]
        assert watcher.probe_round() == []
        with api._lock:
            position = api.broker.open("EURUSD", "buy", 1.0)
        clock.advance(2)
        assert watcher.probe_round() == []
        clock.advance(0.5)
        (result,) = watcher.probe_round()
        assert result.ok and result.trigger is Trigger.WATCH
        logs = {str(r["id"]): r for r in remote_rows(pg, "sync_logs", user.id, "started_at")}
        assert logs[result.sync_id]["trigger"] == "watch"
        assert position in {r["ticket"] for r in remote_rows(pg, "trades", user.id, "ticket")}

        snapshots = len(remote_rows(pg, "equity_snapshots", user.id, "time"))
        spec = api.broker.symbols["EURUSD"]
        with api._lock:
            api.broker.set_price("EURUSD", spec.bid + 0.0025, spec.ask + 0.0025)
        clock.advance(61)
        assert watcher.probe_round() == []  # equity alone: no sync
        agent(app).flush()
        assert len(remote_rows(pg, "equity_snapshots", user.id, "time")) == snapshots + 1
        (account,) = remote_rows(pg, "trading_accounts", user.id, "login")
        local = app.store.query("select equity from trading_accounts")[0][0]
        assert float(account["equity"]) == pytest.approx(local)
        assert float(account["equity"]) == pytest.approx(api.broker.account_tuple().equity)
        watcher.stop()
    finally:
        app.close()
