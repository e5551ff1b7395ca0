"""The trade-server clock and ticks (mt5-api.md G1)."""

from __future__ import annotations

from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, NOW_UTC, OFFSET_MIN, FakeClock


def test_reported_times_are_server_wall_clock(sim: SimulatedMT5) -> None:
    offset = OFFSET_MIN * 60
    deposit = sim.history_deals_get(0, MAX)[0]
    assert deposit.time == int(NOW_UTC - 5 * 86400 + offset)
    assert deposit.time_msc == deposit.time * 1000
    xau = sim.positions_get(symbol="XAUUSD")[0]
    assert xau.time == int(NOW_UTC - 86400 + offset)


def test_tick_is_server_now(sim: SimulatedMT5, clock: FakeClock) -> None:
    tick = sim.symbol_info_tick("EURUSD")
    assert tick.time == int(NOW_UTC) + OFFSET_MIN * 60
    assert tick.time_msc // 1000 == tick.time
    flags = sim.TICK_FLAG_BID | sim.TICK_FLAG_ASK
    assert (tick.bid, tick.ask, tick.flags) == (1.1000, 1.1002, flags)
    # the offset the engine measures: round((tick.time - time.time()) / 900) * 900
    assert round((tick.time - clock()) / 900) * 900 == OFFSET_MIN * 60
    clock.advance(61)
    assert sim.symbol_info_tick("EURUSD").time == tick.time + 61


def test_stale_ticks(sim: SimulatedMT5) -> None:
    sim.broker.symbols["XAUUSD"].stale_seconds = 2 * 86400 + 5  # a weekend
    tick = sim.symbol_info_tick("XAUUSD")
    assert tick.time == int(NOW_UTC) + OFFSET_MIN * 60 - 2 * 86400 - 5


def test_unknown_and_unselected_symbols(sim: SimulatedMT5) -> None:
    assert sim.symbol_info_tick("NOPE") is None
    assert sim.last_error() == (-4, "Terminal: Not found")
    assert sim.symbol_select("NOPE", True) is False
    assert sim.symbol_select("GBPUSD", False) is True
    assert sim.symbol_info_tick("GBPUSD") is None  # outside Market Watch
    assert sim.symbol_select("GBPUSD", True) is True
    assert sim.symbol_info_tick("GBPUSD").bid == 1.27
    assert sim.symbol_info_tick("X" * 40) is None
    assert sim.last_error() == (-2, "Invalid arguments")


def test_symbol_info(sim: SimulatedMT5) -> None:
    info = sim.symbol_info("USDJPY")
    assert (info.name, info.digits, info.bid, info.currency_profit) == ("USDJPY", 3, 150.0, "JPY")
    assert info.trade_contract_size == 100_000
    assert sim.symbol_info("NOPE") is None


def test_offset_can_change(sim: SimulatedMT5) -> None:
    sim.server_utc_offset_minutes = 120  # daylight saving ended
    assert sim.symbol_info_tick("EURUSD").time == int(NOW_UTC) + 7200
