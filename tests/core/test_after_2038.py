"""Deals dated after 2038 (issue 8): the MetaTrader5 package reads date
arguments as a signed 32-bit number (mt5-api.md section 1.1: PyLong_AsLong,
32-bit on Windows), so a by-date history query cannot reach past
2038-01-19 03:14:07. The simulator models that limit; the agent says so in
the log once instead of skipping such deals silently."""

from __future__ import annotations

import logging

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.models import AccountRef, SyncRequest, SyncType, Trigger
from mt5tray.store.local import LocalStore
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal

LIMIT = 2**31 - 1
NOW = LIMIT + 86_400 * 30  # a month past the limit


def test_a_window_past_2038_is_said_once_in_the_log(tmp_path, caplog) -> None:
    sim = simulated.from_scenario({
        "now_utc": NOW,
        "account": {"login": 4242, "server": "Sim-2038", "currency": "USD"},
        "deals": [
            {"ticket": 1, "time": LIMIT - 86_400, "type": 2, "profit": 1000.0},
            {"ticket": 2, "time": LIMIT + 86_400, "type": 2, "profit": 50.0},
        ],
    })
    store = LocalStore(tmp_path / "journal.sqlite3")
    engine = SyncEngine(store, lambda: Mt5ApiTerminal(sim), AgentInfo("t", "h"),
                        clock=sim.clock.utc)
    try:
        with caplog.at_level(logging.WARNING):
            first = engine.sync(SyncRequest(AccountRef(None), SyncType.FULL, Trigger.CLI, None))
            second = engine.sync(SyncRequest(AccountRef(None), SyncType.INCREMENTAL,
                                             Trigger.CLI))
        assert first.ok and second.ok
        # The simulator, like the package, cannot read the later deal by date.
        assert [r[0] for r in store.query("select ticket from deals")] == [1]
        said = [r for r in caplog.records if "2038" in r.getMessage()]
        assert len(said) == 1, [r.getMessage() for r in said]
        assert "32-bit" in said[0].getMessage() and "not synced" in said[0].getMessage()
    finally:
        store.close()
