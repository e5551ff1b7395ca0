"""Netting reversals through the real adapter over the simulator: after an
`inout` deal the trade row of the position describes what the trader holds
now (the terminal's own position), and the part closed before the reversal
keeps its realized P&L."""

from __future__ import annotations

from pathlib import Path

import pytest

from mt5tray.core.engine import AgentInfo, SyncEngine
from mt5tray.core.ledger import server_ms_to_utc_iso
from mt5tray.core.models import AccountRef, SyncRequest, SyncType, Trigger
from mt5tray.store.local import LocalStore
from mt5tray.terminal import mt5_types as t
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.simulator import SimulatedMT5

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "netting_reversal.json"
NOW = 1_790_000_000.0


@pytest.fixture
def store(tmp_path):
    s = LocalStore(tmp_path / "journal.sqlite3")
    yield s
    s.close()


def sync(store: LocalStore, sim, kind: SyncType = SyncType.INCREMENTAL):
    engine = SyncEngine(store, lambda: Mt5ApiTerminal(sim, retry_delay_s=0),
                        AgentInfo("test", "host"), clock=sim.clock.utc)
    result = engine.sync(SyncRequest(AccountRef(login=None), kind, Trigger.CLI, None))
    assert result.ok, result.error
    return result


def trade(store: LocalStore, ticket: int) -> dict:
    (row,) = store.query("SELECT * FROM trades WHERE ticket = ?", (ticket,))
    return dict(row)


def test_the_netting_scenarios_reversed_position_is_the_sell_held_now(store):
    sim = simulated.from_scenario(SCENARIO)
    sync(store, sim)
    row = trade(store, 10000001)
    (held,) = sim.positions_get() if sim.initialize() else ()
    # What the terminal says the trader holds: a 0.7 sell of EURUSD.
    assert (held.type, held.volume) == (t.POSITION_TYPE_SELL, 0.7)
    assert row["status"] == "open" and row["side"] == "sell"
    assert row["volume"] == pytest.approx(0.7) and row["closed_volume"] == 0.0
    # The leg's entries: 0.5 left by the reversal at 1.103 and an add-on 0.2 at
    # 1.104 (the rollover's close-and-reopen moves no volume, as in MT5 reports).
    assert row["open_price"] == pytest.approx((0.5 * 1.103 + 0.2 * 1.104) / 0.7)
    assert row["open_time"] == server_ms_to_utc_iso(1788786000000, 120)  # the reversal
    # The 1.0 bought and closed by the reversal keeps its +300 (and the
    # rollover's +25); commissions of both legs stay in the sums.
    assert row["profit"] == pytest.approx(325.0)
    assert row["net_profit"] == pytest.approx(325.0 - 7.0 - 10.5 - 1.4 - 0.9)


def netting_sim() -> SimulatedMT5:
    sim = SimulatedMT5(server_utc_offset_minutes=120, clock=lambda: NOW)
    broker = sim.add_account(3003, server="Netting-Sim",
                             margin_mode=t.ACCOUNT_MARGIN_MODE_RETAIL_NETTING,
                             symbols={"EURUSD": SymbolSpec(1.1000, 1.1002)})
    broker.deposit(10_000, at=NOW - 10 * 3600)
    return sim


def test_a_live_reversal_then_close_on_the_simulated_broker(store):
    sim = netting_sim()
    broker = sim.broker
    pid = broker.open("EURUSD", "buy", 1.0, price=1.1000, at=NOW - 9 * 3600)
    sync(store, sim)
    assert trade(store, pid)["side"] == "buy"
    assert broker.open("EURUSD", "sell", 1.6, price=1.1050, at=NOW - 8 * 3600) == pid
    sync(store, sim)
    row = trade(store, pid)
    sim.initialize()
    (held,) = sim.positions_get()
    sim.shutdown()
    assert row["side"] == "sell" and held.type == t.POSITION_TYPE_SELL
    assert row["volume"] - row["closed_volume"] == pytest.approx(held.volume) == 0.6
    assert row["open_price"] == pytest.approx(held.price_open) == 1.1050
    closed_part = trade(store, pid)["profit"]
    assert closed_part == pytest.approx(500.0)  # 1.0 lot, 50 pips, realized by the reversal
    broker.close(pid, 0.6, price=1.1040, at=NOW - 7 * 3600)
    sync(store, sim)
    row = trade(store, pid)
    assert row["status"] == "closed" and row["side"] == "sell"
    assert row["volume"] == pytest.approx(0.6) and row["closed_volume"] == pytest.approx(0.6)
    assert row["close_price"] == pytest.approx(1.1040)
    assert row["profit"] == pytest.approx(500.0 + 60.0)  # both legs, nothing lost
