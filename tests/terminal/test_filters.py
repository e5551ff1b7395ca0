"""group= masks, filter precedence and date ranges (mt5-api.md G2, G4, G5)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.callargs import group_matcher
from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, FakeClock

SYMBOLS = ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD", "EURGBP", "eurusd", ""]


@pytest.mark.parametrize(("group", "kept"), [
    ("*", SYMBOLS),
    ("*USD*", ["EURUSD", "GBPUSD", "USDJPY", "XAUUSD"]),
    ("EUR*", ["EURUSD", "EURGBP"]),  # case-sensitive: not 'eurusd'
    ("*,!*EUR*", ["GBPUSD", "USDJPY", "XAUUSD", "eurusd", ""]),
    ("!*EUR*,*", ["GBPUSD", "USDJPY", "XAUUSD", "eurusd", ""]),  # exclusion wins in any order
    ("*, !EUR", SYMBOLS),  # the docs' example only drops a symbol named exactly EUR
    ("EURUSD", ["EURUSD"]),
    ("EUR", []),
    ("  GBPUSD , USDJPY ", ["GBPUSD", "USDJPY"]),
    ("*USD*,!XAU*", ["EURUSD", "GBPUSD", "USDJPY"]),
    ("E?RUSD", []),  # ? is not a wildcard
    ("*.*", []),  # nor is . a regex
    ("", []),
])
def test_group_masks(group: str, kept: list[str]) -> None:
    matches = group_matcher(group)
    assert [s for s in SYMBOLS if matches(s)] == kept


def test_group_filter_drops_balance_deals_unless_star(sim: SimulatedMT5) -> None:
    every = sim.history_deals_get(0, MAX)
    usd = sim.history_deals_get(0, MAX, group="*USD*")
    assert {d.symbol for d in usd} == {"EURUSD", "GBPUSD", "XAUUSD"}
    assert sim.history_deals_get(0, MAX, group="*") == every
    no_gold = sim.history_deals_get(0, MAX, group="!XAU*,*")
    assert [d for d in every if d.symbol != "XAUUSD"] == list(no_gold)
    assert {d.type for d in no_gold if d.symbol == ""} == {2, 7}  # balance and commission
    assert sim.history_deals_total(0, MAX) == len(every)


def test_bad_group(sim: SimulatedMT5) -> None:
    assert sim.history_deals_get(0, MAX, group=5) is None
    assert sim.last_error() == (-2, 'Invalid "group" argument')
    assert sim.positions_get(group="x" * 2000) is None


def test_positions_filters_and_precedence(sim: SimulatedMT5) -> None:
    every = sim.positions_get()
    gbp = next(p for p in every if p.symbol == "GBPUSD")
    assert sim.positions_get(symbol="GBPUSD") == (gbp,)
    assert sim.positions_get(symbol="gbpusd") == ()
    assert len(sim.positions_get(group="*USD")) == 3
    assert sim.positions_get(group="*,!XAU*,!EUR*") == (gbp,)
    # ticket beats symbol beats group
    assert sim.positions_get(ticket=gbp.ticket, symbol="EURUSD", group="XAU*") == (gbp,)
    assert sim.positions_get(symbol="GBPUSD", group="XAU*") == (gbp,)
    assert sim.positions_get(ticket=123) == ()
    assert sim.last_error() == (1, "Success")


def test_orders_filters(sim: SimulatedMT5) -> None:
    assert sim.orders_get() == () and sim.orders_total() == 0
    ticket = sim.broker.place_order("EURUSD", sim.ORDER_TYPE_BUY_LIMIT, 0.1, 1.09)
    sim.broker.place_order("GBPUSD", sim.ORDER_TYPE_SELL_STOP, 0.2, 1.25)
    assert sim.orders_total() == 2
    assert [o.ticket for o in sim.orders_get(symbol="EURUSD")] == [ticket]
    assert sim.orders_get(ticket=ticket, symbol="GBPUSD")[0].ticket == ticket
    assert len(sim.orders_get(group="*USD*")) == 2
    assert sim.orders_get()[0].time_done == 0  # still active


def test_ranges_are_inclusive_at_both_ends(sim: SimulatedMT5) -> None:
    deal = sim.history_deals_get(0, MAX)[2]
    assert sim.history_deals_get(deal.time, deal.time) == (deal,)
    assert sim.history_deals_get(deal.time - 10, deal.time) == (deal,)
    assert sim.history_deals_get(deal.time, deal.time + 10) == (deal,)
    assert sim.history_deals_get(deal.time + 1, deal.time + 10) == ()
    assert sim.history_deals_get(deal.time - 10, deal.time - 1) == ()
    assert sim.history_deals_get(deal.time + 10, deal.time - 10) == ()  # empty, not an error
    assert sim.last_error() == (1, "Success")
    assert sim.history_deals_get(float(deal.time) + 0.9, deal.time) == (deal,)  # truncated
    assert sim.history_deals_total(deal.time, deal.time) == 1


@pytest.fixture
def tokyo() -> Iterator[None]:
    """Host-local time UTC+9, so naive datetimes are read nine hours early."""
    import os

    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_datetime_arguments_naive_is_host_local(sim: SimulatedMT5, tokyo: None) -> None:
    deal = sim.history_deals_get(0, MAX)[2]
    aware = datetime.fromtimestamp(deal.time, timezone.utc)  # server wall clock labelled UTC
    assert sim.history_deals_get(aware, aware) == (deal,)
    naive = aware.replace(tzinfo=None)
    assert sim.history_deals_get(naive, naive) == ()  # read as Tokyo time: 9 h too early
    nine = timedelta(hours=9)
    assert sim.history_deals_get(naive + nine, naive + nine) == (deal,)


def test_history_to_now_misses_deals_when_server_clock_is_ahead(clock: FakeClock) -> None:
    """G2: history_deals_get(x, host now) misses fresh deals on a UTC+3 server."""
    sim = SimulatedMT5(server_utc_offset_minutes=180, clock=clock)
    b = sim.add_account(7, symbols={"EURUSD": SymbolSpec(1.1, 1.1002)})
    b.deposit(100)
    sim.initialize()
    assert sim.history_deals_get(0, int(clock())) == ()
    assert len(sim.history_deals_get(0, int(clock()) + 86400)) == 1
