"""Injected faults behave the way a real terminal fails (mt5-api.md G8, G10)."""

from __future__ import annotations

import pytest

from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, FakeClock, make_sim

NO_IPC = (-10004, "No IPC connection")
TIMEOUT = (-10005, "IPC timeout")
AUTH = (-6, "Terminal: Authorization failed")


def test_unknown_fault_kind(sim: SimulatedMT5) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        sim.inject_fault("meteor")


def test_ipc_timeout_until_cleared(clock: FakeClock) -> None:
    sim = make_sim(clock)
    sim.inject_fault("ipc_timeout")
    for _ in range(3):
        assert sim.initialize() is False and sim.last_error() == TIMEOUT
    sim.clear_faults()
    assert sim.initialize() is True
    sim.inject_fault("ipc_timeout")
    assert sim.login(1001) is False and sim.last_error() == TIMEOUT


def test_ipc_timeout_once(clock: FakeClock) -> None:
    sim = make_sim(clock)
    sim.inject_fault("ipc_timeout_once")
    assert sim.initialize() is False and sim.last_error() == TIMEOUT
    assert sim.account_info() is None and sim.last_error() == NO_IPC  # the pipe was closed
    assert sim.initialize() is True


def test_auth_failed(clock: FakeClock) -> None:
    sim = make_sim(clock)
    sim.inject_fault("auth_failed")
    assert sim.initialize(login=1001, password="pw") is False and sim.last_error() == AUTH
    assert sim.initialize() is False and sim.last_error() == AUTH
    sim.clear_faults()
    assert sim.initialize(login=1001, password="pw") is True
    sim.inject_fault("auth_failed")
    assert sim.login(1001, "pw") is False and sim.last_error() == AUTH


def test_not_connected_answers_from_cache(sim: SimulatedMT5, clock: FakeClock) -> None:
    before = sim.history_deals_get(0, MAX)
    tick = sim.symbol_info_tick("EURUSD")
    sim.inject_fault("not_connected")
    assert sim.terminal_info().connected is False
    assert sim.history_deals_get(0, MAX) == before
    assert sim.account_info().login == 1001
    clock.advance(600)
    assert sim.symbol_info_tick("EURUSD").time == tick.time  # no new ticks arrive
    assert sim.login(1001) is False and sim.last_error() == TIMEOUT
    sim.clear_faults()
    assert sim.terminal_info().connected is True
    assert sim.symbol_info_tick("EURUSD").time == tick.time + 600


def test_not_connected_after_calls(sim: SimulatedMT5) -> None:
    sim.inject_fault("not_connected", after_calls=2)
    assert sim.terminal_info().connected is True
    assert sim.terminal_info().connected is True
    assert sim.terminal_info().connected is False


def test_account_switched(sim: SimulatedMT5) -> None:
    sim.inject_fault("account_switched", after_calls=1)
    assert sim.account_info().login == 1001
    assert sim.account_info().login == 1002  # a new account the simulator made up
    assert sim.positions_total() == 0
    assert [d.profit for d in sim.history_deals_get(0, MAX)] == [5000.0]
    assert sim.account_info().login == 1002  # it stays switched: a state, not a glitch


def test_account_switched_to_a_known_account(clock: FakeClock) -> None:
    sim = make_sim(clock)
    sim.add_account(4242).deposit(1)
    sim.initialize()
    sim.inject_fault("account_switched")
    assert sim.account_info().login == 4242
    assert sim.login(1001, "pw") is True
    assert sim.account_info().login == 1001


def test_terminal_closed(sim: SimulatedMT5) -> None:
    sim.inject_fault("terminal_closed", after_calls=1)
    assert sim.positions_total() == 3
    for call in (sim.positions_total, sim.account_info, sim.terminal_info, sim.version):
        assert call() is None and sim.last_error() == NO_IPC
    assert sim.history_deals_get(0, MAX) is None and sim.last_error() == NO_IPC
    assert sim.initialize() is False
    assert sim.last_error() == (-10003, "IPC initialize failed, Process create failed")
    assert sim.account_info() is None and sim.last_error() == NO_IPC
    sim.clear_faults()  # the user started MT5 again
    assert sim.account_info() is None  # still needs a new initialize
    assert sim.initialize() is True
    assert sim.positions_total() == 3


def test_terminal_closed_is_once_off(sim: SimulatedMT5) -> None:
    sim.inject_fault("terminal_closed")
    assert sim.positions_total() is None
    sim.clear_faults()
    assert sim.initialize() is True
    for _ in range(5):
        assert sim.positions_total() == 3
