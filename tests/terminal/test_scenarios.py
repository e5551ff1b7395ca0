"""Scenario files: the shipped examples and the loader's errors."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.sim.scenario import ScenarioError
from mt5tray.terminal.sim.scenario_dump import dump_scenario
from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, SCENARIOS
from tests.terminal.test_broker import assert_consistent, money


def load(name: str) -> SimulatedMT5:
    sim = simulated.from_scenario(SCENARIOS / f"{name}.json")
    assert sim.initialize()
    return sim


@pytest.mark.parametrize("name", ["hedging_basic", "netting_reversal", "midnight_offset"])
def test_shipped_scenarios_are_consistent(name: str) -> None:
    sim = load(name)
    assert_consistent(sim)
    assert sim.positions_total() >= 1
    # A dump of the loaded simulator loads back to the same thing.
    again = simulated.from_scenario(json.loads(json.dumps(dump_scenario(sim))))
    again.initialize()
    assert again.history_deals_get(0, MAX) == sim.history_deals_get(0, MAX)
    assert again.history_orders_get(0, MAX) == sim.history_orders_get(0, MAX)
    assert again.positions_get() == sim.positions_get()
    assert again.account_info() == sim.account_info()


def test_hedging_basic() -> None:
    sim = load("hedging_basic")
    deals = sim.history_deals_get(0, MAX)
    assert sim.account_info().margin_mode == t.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
    assert len({d.symbol for d in deals if d.symbol}) >= 2
    assert sum(d.entry == t.DEAL_ENTRY_OUT_BY for d in deals) == 2
    assert any(d.type == t.DEAL_TYPE_COMMISSION for d in deals)
    exits = [d.position_id for d in deals if d.entry == t.DEAL_ENTRY_OUT]
    assert any(exits.count(p) >= 2 for p in exits)  # a partial close
    assert sim.positions_total() == 2 and sim.orders_total() == 1
    assert sim.account_info().balance == money(deals)
    sim.shutdown()
    assert sim.initialize(login=1001001, password="nope") is False


def test_netting_reversal() -> None:
    sim = load("netting_reversal")
    assert sim.account_info().margin_mode == t.ACCOUNT_MARGIN_MODE_RETAIL_NETTING
    (pos,) = sim.positions_get()
    deals = sim.history_deals_get(position=pos.identifier)
    inout = [d for d in deals if d.entry == t.DEAL_ENTRY_INOUT]
    assert len(inout) == 1 and pos.ticket != pos.identifier
    assert deals[0].order == pos.identifier


def test_midnight_offset_dates_differ() -> None:
    sim = load("midnight_offset")
    assert sim.server_utc_offset_minutes == 180
    deals = sim.history_deals_get(0, MAX)

    def dates(d: Any) -> tuple[object, object]:
        server = datetime.fromtimestamp(d.time, timezone.utc).date()
        utc = datetime.fromtimestamp(d.time - 180 * 60, timezone.utc).date()
        return server, utc

    assert sum(1 for d in deals if dates(d)[0] != dates(d)[1]) >= 3
    midnight = [d for d in deals if d.time % 86400 == 0]
    assert midnight, "a deal exactly at server midnight"


def minimal(**extra: Any) -> dict[str, Any]:
    return {"account": {"login": 5}, **extra}


def test_defaults_and_derived_fields() -> None:
    sim = simulated.from_scenario(minimal(
        now_utc=1_790_000_000,
        symbols={"EURUSD": {"bid": 1.2, "ask": 1.2002}},
        deals=[{"ticket": 2, "time_msc": 1_789_000_000_123, "type": 2, "profit": 100},
               {"ticket": 3, "order": 9, "time": 1_789_000_100, "type": 0,
                "position_id": 9, "volume": 1, "price": 1.1, "symbol": "EURUSD"}],
        positions=[{"ticket": 9, "time": 1_789_000_100, "volume": 1.0, "price_open": 1.1,
                    "symbol": "EURUSD"}]))
    sim.initialize()
    first, second = sim.history_deals_get(0, MAX)
    assert (first.time, first.symbol, first.commission) == (1_789_000_000, "", 0.0)
    assert second.time_msc == 1_789_000_100_000
    (pos,) = sim.positions_get()
    assert pos.identifier == 9 and pos.time_update == pos.time
    assert pos.price_current == 1.2 and pos.profit == 10_000.0  # priced from the symbols
    account = sim.account_info()
    assert (account.balance, account.profit, account.equity) == (100.0, 10_000.0, 10_100.0)
    (order,) = sim.history_orders_get(0, MAX)  # derived from the deal
    assert (order.ticket, order.state, order.position_id) == (9, t.ORDER_STATE_FILLED, 9)
    assert sim.symbol_info_tick("EURUSD").time == 1_790_000_000


def test_other_accounts() -> None:
    sim = simulated.from_scenario(minimal(other_accounts=[
        {"account": {"login": 6, "server": "B"}, "password": "p",
         "deals": [{"ticket": 1, "time": 1, "type": 2, "profit": 7}]}]))
    sim.initialize()
    assert sim.login(6, "p", "B") and sim.account_info().balance == 7.0


@pytest.mark.parametrize(("data", "message"), [
    ({"deals": [{"ticket": 1}, {"ticket": 2}, {"ticket": 3}, {"ticket": 4, "volume": "abc"}]},
     "deals[3].volume: expected a number, got 'abc'"),
    ({"deals": [{"ticket": 1, "order": 1.5}]}, "deals[0].order: expected an integer, got 1.5"),
    ({"deals": [{"ticket": 1, "magic": -1}]}, "deals[0].magic: expected a non-negative integer"),
    ({"deals": [{"ticket": 1, "volume": True}]}, "deals[0].volume: expected a number, got True"),
    ({"deals": [{"ticket": 1, "sl": 1.0}]}, "deals[0].sl: unknown field"),
    ({"deals": [{"ticket": 1}, {"ticket": 1}]}, "deals[1].ticket: duplicate ticket 1"),
    ({"deals": [{"time": 5}]}, "deals[0].ticket: required"),
    ({"deals": [{"ticket": 1, "time": 5, "time_msc": 7000}]},
     "deals[0].time: 5 does not match time_msc 7000 (expected 7)"),
    ({"deals": {"ticket": 1}}, "deals: expected a list, got dict"),
    ({"deals": ["x"]}, "deals[0]: expected an object, got str"),
    ({"positions": [{"ticket": 1, "symbol": 5}]}, "positions[0].symbol: expected a string"),
    ({"symbols": {"EURUSD": {"bid": 1.0}}}, "symbols.EURUSD.ask: required"),
    ({"symbols": {"EURUSD": {"bid": 1.0, "ask": 1, "spread": 2}}},
     "symbols.EURUSD.spread: unknown field"),
    ({"colour": "red"}, "colour: unknown field"),
    ({"account": {"login": 0}}, "account.login: required"),
    ({"account": {"login": 5, "trade_allowed": 1}},
     "account.trade_allowed: expected true or false"),
    ({"other_accounts": [{"account": {"login": 5}}]},
     "other_accounts[0].account.login: duplicate login 5"),
    ({"other_accounts": [{"deals": []}]}, "other_accounts[0].account: required"),
    ({"server_utc_offset_minutes": "120"}, "server_utc_offset_minutes: expected an integer"),
])
def test_scenario_errors_name_the_field(data: dict[str, Any], message: str) -> None:
    scenario = {"account": {"login": 5}, **data}
    with pytest.raises(ScenarioError) as e:
        simulated.from_scenario(scenario)
    assert str(e.value).startswith(f"scenario <dict>: {message}")


def test_missing_account() -> None:
    with pytest.raises(ScenarioError, match=r"scenario <dict>: account: required"):
        simulated.from_scenario({"deals": []})


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"account": {"login": 5}, "deals": [{"ticket": 1}, {"ticket": 2}, '
                   '{"ticket": 3}, {"ticket": 4, "volume": "abc"}]}')
    with pytest.raises(ScenarioError) as e:
        simulated.from_scenario(bad)
    assert str(e.value) == f"scenario {bad}: deals[3].volume: expected a number, got 'abc'"
    assert isinstance(e.value, ValueError)
    broken = tmp_path / "broken.json"
    broken.write_text('{"account": ')
    with pytest.raises(ScenarioError, match=r"broken.json: line 1 column 13: invalid JSON"):
        simulated.from_scenario(broken)
    with pytest.raises(ScenarioError, match=r"missing.json: cannot read the file"):
        simulated.from_scenario(tmp_path / "missing.json")
    with pytest.raises(ScenarioError, match=r"list.json: top level: expected an object, got list"):
        simulated.from_scenario(_write(tmp_path / "list.json", "[]"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
