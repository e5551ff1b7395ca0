"""The counts watch mode probes (positions_total, orders_total,
history_deals_total) through Mt5ApiTerminal over the simulator, and the
simulator's calls themselves as mt5-api.md section 1 describes them."""

from __future__ import annotations

import pytest

from mt5tray.core.errors import TerminalNotRunning
from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.mt5api import Mt5ApiTerminal
from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, NOW_UTC, OFFSET_MIN
from tests.terminal.test_adapter import ATTACH, Recorder


def test_totals_through_the_adapter(sim: SimulatedMT5) -> None:
    api = Recorder(sim)
    with Mt5ApiTerminal(api, retry_delay_s=0) as term:
        term.open(ATTACH)
        assert term.positions_total() == 3
        assert term.orders_total() == 0
        assert term.deals_total(0, MAX) == 6
        sim.broker.place_order("EURUSD", t.ORDER_TYPE_BUY_LIMIT, 0.1, 1.05, at=NOW_UTC)
        assert term.orders_total() == 1
        sim.broker.open("EURUSD", "sell", 0.2, at=NOW_UTC)
        assert (term.positions_total(), term.deals_total(0, MAX)) == (4, 7)


def test_deals_total_counts_an_inclusive_server_clock_window(sim: SimulatedMT5) -> None:
    with Mt5ApiTerminal(sim, retry_delay_s=0) as term:
        term.open(ATTACH)
        newest = term.deals(0, MAX)[-1]
        assert term.deals_total(newest.time, newest.time) == 1
        assert term.deals_total(newest.time + 1, MAX) == 0
        assert term.deals_total(-5, 2**40) == 6  # clamped to the package's 32 bits
        hour_ago = int(NOW_UTC) + OFFSET_MIN * 60 - 3600
        assert term.deals_total(hour_ago, MAX) == 1  # the commission, server clock


def test_a_failed_total_is_an_error_not_zero(sim: SimulatedMT5) -> None:
    with Mt5ApiTerminal(sim, retry_delay_s=0) as term:
        term.open(ATTACH)
        sim.inject_fault("terminal_closed")
        for call in (term.positions_total, term.orders_total, lambda: term.deals_total(0, MAX)):
            with pytest.raises(TerminalNotRunning, match="No IPC connection"):
                call()


def test_simulated_totals_take_their_arguments_like_the_package(sim: SimulatedMT5) -> None:
    with pytest.raises(TypeError):
        sim.positions_total(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        sim.orders_total(group="*")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        sim.history_deals_total(date_from=0, date_to=MAX)
    assert sim.history_deals_total(0) is None
    assert sim.last_error() == (-2, "Invalid arguments")
    assert sim.history_deals_total("yesterday", MAX) is None
    sim.shutdown()
    assert sim.positions_total() is None and sim.last_error()[0] == -10004
