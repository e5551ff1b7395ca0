"""The simulator's calling conventions and error semantics (mt5-api.md 1.1, 6)."""

from __future__ import annotations

import pytest

from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, FakeClock, make_sim

NO_IPC = (-10004, "No IPC connection")
SUCCESS = (1, "Success")
INVALID = (-2, "Invalid arguments")


def test_every_call_before_initialize_fails_with_no_ipc(clock: FakeClock) -> None:
    sim = make_sim(clock)
    for call, args, failed in [
        (sim.account_info, (), None), (sim.terminal_info, (), None), (sim.version, (), None),
        (sim.positions_total, (), None), (sim.positions_get, (), None),
        (sim.orders_total, (), None), (sim.orders_get, (), None),
        (sim.history_deals_total, (0, MAX), None), (sim.history_deals_get, (0, MAX), None),
        (sim.history_orders_total, (0, MAX), None), (sim.history_orders_get, (0, MAX), None),
        (sim.symbol_info_tick, ("EURUSD",), None), (sim.symbol_select, ("EURUSD", True), False),
        (sim.login, (1001,), False),
    ]:
        assert call(*args) is failed, call.__name__
        assert sim.last_error() == NO_IPC, call.__name__


def test_initialize_twice_and_shutdown(clock: FakeClock) -> None:
    sim = make_sim(clock)
    assert sim.initialize() is True
    assert sim.last_error() == SUCCESS
    assert sim.initialize() is False
    assert sim.last_error() == (-10003, "IPC initialize failed, CInterClient already initialized")
    assert sim.account_info() is not None  # the first connection still works
    assert sim.shutdown() is True
    assert sim.account_info() is None and sim.last_error() == NO_IPC
    assert sim.initialize() is True


def test_every_call_resets_last_error(sim: SimulatedMT5) -> None:
    assert sim.history_deals_get() is None
    assert sim.last_error() == INVALID
    assert sim.last_error() == INVALID  # reading it does not reset it
    assert sim.positions_total() == 3
    assert sim.last_error() == SUCCESS


def test_version_and_terminal_info(sim: SimulatedMT5) -> None:
    major, build, date = sim.version()
    assert (major, build, isinstance(date, str)) == (500, 5120, True)
    info = sim.terminal_info()
    assert info.connected is True and info.build == build
    assert info.path == r"C:\Program Files\MetaTrader 5"


def test_no_argument_functions_refuse_arguments(sim: SimulatedMT5) -> None:
    for call in (sim.account_info, sim.terminal_info, sim.positions_total, sim.orders_total,
                 sim.version, sim.last_error, sim.shutdown):
        with pytest.raises(TypeError):
            call(1)


def test_positional_only_functions_refuse_keywords(sim: SimulatedMT5) -> None:
    with pytest.raises(TypeError):
        sim.history_deals_total(date_from=0, date_to=MAX)
    with pytest.raises(TypeError):
        sim.symbol_info_tick(symbol="EURUSD")
    with pytest.raises(TypeError):
        sim.symbol_select("EURUSD", enable=True)
    assert sim.history_deals_total(0) is None and sim.last_error() == INVALID
    assert sim.history_orders_total("x", MAX) is None and sim.last_error() == INVALID


def test_positions_and_orders_get_refuse_positional_arguments(sim: SimulatedMT5) -> None:
    assert sim.positions_get("EURUSD") is None
    assert sim.last_error() == (-2, "Unnamed arguments not allowed")
    assert sim.orders_get("EURUSD") is None
    assert sim.last_error() == (-2, "Unnamed arguments not allowed")


def test_unknown_keywords_are_ignored(sim: SimulatedMT5) -> None:
    assert len(sim.positions_get(symbl="EURUSD")) == 3  # every position
    assert sim.history_deals_get(from_date=0, to_date=MAX) is None
    assert sim.last_error() == INVALID


def test_history_get_forms(sim: SimulatedMT5) -> None:
    every = sim.history_deals_get(0, MAX)
    assert len(every) == 6 and every == tuple(sorted(every, key=lambda d: d.time_msc))
    assert sim.history_deals_get(group="*") is None and sim.last_error() == INVALID
    assert sim.history_deals_get(0) is None and sim.last_error() == INVALID
    assert sim.history_deals_get(0, MAX, "*") is None
    # With two dates, ticket= and position= are ignored.
    assert sim.history_deals_get(0, MAX, ticket=every[1].ticket) == every
    assert sim.history_deals_get(ticket=every[1].ticket) == (every[1],)
    assert sim.history_deals_get(ticket=1) == ()
    assert sim.last_error() == SUCCESS
    eur = every[1].position_id
    assert [d.entry for d in sim.history_deals_get(position=eur)] == [0, 1]
    assert sim.history_deals_get(position=123) == ()
    assert sim.history_deals_get(ticket=-1) is None
    assert sim.last_error() == (-2, 'Invalid "ticket" argument')


def test_history_orders(sim: SimulatedMT5) -> None:
    deals = sim.history_deals_get(0, MAX)
    orders = sim.history_orders_get(0, MAX)
    # At least one filled order per trade deal, and every trade deal's order exists.
    assert {d.order for d in deals if d.order} <= {o.ticket for o in orders}
    assert all(o.state == sim.ORDER_STATE_FILLED for o in orders)
    assert sim.history_orders_total(0, MAX) == len(orders)
    first = orders[0]
    assert sim.history_orders_get(ticket=first.ticket) == (first,)
    assert sim.history_orders_get(position=first.position_id)[0] == first


def test_dates_out_of_32_bits_raise_system_error(sim: SimulatedMT5) -> None:
    with pytest.raises(SystemError):
        sim.history_deals_get(0, 2**31)


def test_date_objects_are_invalid(sim: SimulatedMT5) -> None:
    from datetime import date

    assert sim.history_deals_get(date(2020, 1, 1), MAX) is None
    assert sim.last_error() == INVALID


def test_initialize_arguments(clock: FakeClock) -> None:
    sim = make_sim(clock)
    assert sim.initialize("a", "b") is False
    assert sim.last_error() == (-2, "Invalid number of arguments")
    assert sim.initialize(login="1001") is False  # login must be an int
    assert sim.last_error()[0] == -2
    assert sim.initialize(r"C:\Nowhere\terminal64.exe") is False
    assert sim.last_error() == (-10003, "IPC initialize failed, MetaTrader 5 x64 not found")
    assert sim.initialize(r"c:/program files/metatrader 5/terminal64.exe") is True
    sim.shutdown()
    assert sim.initialize(path=r"C:\Program Files\MetaTrader 5") is True


def test_login_checks_password_and_server(clock: FakeClock) -> None:
    sim = make_sim(clock)
    assert sim.initialize(login=1001, password="wrong", server="Sim-Server") is False
    assert sim.last_error() == (-6, "Terminal: Authorization failed")
    assert sim.initialize(login=1001, password="pw", server="Other") is False
    assert sim.initialize(login=1001, password="pw", server="Sim-Server") is True
    assert sim.login(1001, "wrong") is False and sim.last_error()[0] == -6
    assert sim.login(9999) is False and sim.last_error()[0] == -6
    assert sim.login(1001, "pw", "Sim-Server") is True


def test_login_switches_account(clock: FakeClock) -> None:
    sim = make_sim(clock)
    other = sim.add_account(2002, server="Sim-Server", password="x")
    other.deposit(500)
    sim.initialize()
    assert sim.account_info().login == 1001
    assert sim.login(2002, password="x") is True
    assert sim.account_info().login == 2002
    assert sim.positions_total() == 0
    assert [d.profit for d in sim.history_deals_get(0, MAX)] == [500.0]
    sim.shutdown()
    assert sim.initialize(login=1001) is True  # a saved password: no password needed
    assert sim.account_info().login == 1001
