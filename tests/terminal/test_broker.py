"""The simulated broker keeps consistent books (mt5-api.md G11-G14)."""

from __future__ import annotations

import pytest

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.broker import Broker
from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, FakeClock


def money(deals: object) -> float:
    return round(sum(d.profit + d.commission + d.swap + d.fee for d in deals), 2)  # type: ignore[attr-defined]


def assert_consistent(sim: SimulatedMT5) -> None:
    deals = sim.history_deals_get(0, MAX)
    account = sim.account_info()
    assert money(d for d in deals if d.type != t.DEAL_TYPE_CREDIT) == account.balance
    assert money(d for d in deals if d.type == t.DEAL_TYPE_CREDIT) == account.credit
    tickets = [d.ticket for d in deals]
    assert len(set(tickets)) == len(tickets)
    orders = {o.ticket: o for o in sim.history_orders_get(0, MAX)}
    for d in deals:
        if d.type in (t.DEAL_TYPE_BUY, t.DEAL_TYPE_SELL):
            assert d.order in orders and d.position_id and d.symbol
        else:  # account operations (G13)
            assert (d.order, d.position_id, d.symbol, d.entry) == (0, 0, "", 0)
    for p in sim.positions_get():
        first = sim.history_deals_get(position=p.identifier)[0]
        assert first.entry == t.DEAL_ENTRY_IN and first.order == p.identifier
    assert account.equity == round(account.balance + account.credit + account.profit, 2)


def hedging(clock: FakeClock, **fields: object) -> tuple[SimulatedMT5, Broker]:
    sim = SimulatedMT5(server_utc_offset_minutes=120, clock=clock)
    b = sim.add_account(1, symbols={"EURUSD": SymbolSpec(1.1000, 1.1002),
                                    "USDJPY": SymbolSpec(150.00, 150.02, digits=3),
                                    "XAUUSD": SymbolSpec(2400.0, 2400.5, digits=2)}, **fields)
    sim.initialize()
    b.deposit(10_000)
    return sim, b


def test_account_operations(clock: FakeClock) -> None:
    sim, b = hedging(clock)
    b.withdraw(500)
    b.credit(300)
    b.charge_commission(12.5)
    b.balance_operation(t.DEAL_TYPE_CORRECTION, -1.5, "Correction")
    account = sim.account_info()
    assert (account.balance, account.credit, account.equity) == (9486.0, 300.0, 9786.0)
    commission = sim.history_deals_get(0, MAX)[3]
    assert (commission.type, commission.profit, commission.position_id) == (7, -12.5, 0)
    assert_consistent(sim)


def test_open_and_full_close(clock: FakeClock) -> None:
    sim, b = hedging(clock)
    pid = b.open("EURUSD", "buy", 1.0, commission=-7, sl=1.09, tp=1.12, magic=5, comment="x")
    pos = sim.positions_get(ticket=pid)[0]
    assert (pos.identifier, pos.price_open, pos.price_current, pos.sl) == (pid, 1.1002, 1.1, 1.09)
    assert pos.profit == -20.0
    assert sim.account_info().profit == -20.0
    b.set_price("EURUSD", 1.1050, 1.1052)
    deal = sim.history_deals_get(ticket=b.close(pid, reason=t.DEAL_REASON_TP))[0]
    assert (deal.entry, deal.type, deal.price, deal.profit) == (1, 1, 1.105, 480.0)
    assert deal.comment == "[tp 1.105]" and deal.reason == t.DEAL_REASON_TP
    assert sim.positions_get() == ()
    assert sim.account_info().balance == 10_000 - 7 + 480
    opening = sim.history_orders_get(ticket=pid)[0]
    assert (opening.sl, opening.tp, opening.type) == (1.09, 1.12, 0)  # initial SL/TP (G15)
    assert_consistent(sim)


def test_partial_close_shares_the_position_id(clock: FakeClock) -> None:
    sim, b = hedging(clock)
    pid = b.open("EURUSD", "sell", 1.0, price=1.1000)
    b.accrue_swap(pid, -4.0)
    clock.advance(60)
    b.close(pid, 0.25, price=1.0990)
    assert sim.positions_get()[0].volume == 0.75
    assert sim.positions_get()[0].swap == -3.0
    clock.advance(60)
    b.close(pid, price=1.0980)
    deals = sim.history_deals_get(position=pid)
    assert [(d.entry, d.volume, d.swap, d.profit) for d in deals] == [
        (0, 1.0, 0.0, 0.0), (1, 0.25, -1.0, 25.0), (1, 0.75, -3.0, 150.0)]
    assert len({d.order for d in deals}) == 3
    assert deals[2].time == deals[1].time + 60
    with pytest.raises(ValueError):
        b.close(pid)
    assert_consistent(sim)


def test_close_more_than_open_is_refused(clock: FakeClock) -> None:
    _, b = hedging(clock)
    pid = b.open("EURUSD", "buy", 0.1)
    with pytest.raises(ValueError, match="only 0.1 open"):
        b.close(pid, 0.2)


def test_close_by(clock: FakeClock) -> None:
    sim, b = hedging(clock)
    buy = b.open("XAUUSD", "buy", 0.3, price=2400.0)
    sell = b.open("XAUUSD", "sell", 0.1, price=2410.0)
    b.accrue_swap(buy, -3.0)
    order = b.close_by(buy, sell)
    deals = [d for d in sim.history_deals_get(0, MAX) if d.order == order]
    assert [(d.position_id, d.entry, d.type, d.price, d.volume) for d in deals] == [
        (buy, 3, 1, 2410.0, 0.1), (sell, 3, 0, 2410.0, 0.1)]
    assert [d.profit for d in deals] == [100.0, 0.0]  # the pair's P/L on one deal only
    assert deals[0].swap == -1.0
    close_by = sim.history_orders_get(ticket=order)[0]
    assert (close_by.type, close_by.position_id, close_by.position_by_id) == (8, buy, sell)
    (rest,) = sim.positions_get()
    assert (rest.identifier, rest.volume, rest.swap) == (buy, 0.2, -2.0)
    assert_consistent(sim)


def test_close_by_needs_opposite_positions(clock: FakeClock) -> None:
    _, b = hedging(clock)
    one, two = b.open("XAUUSD", "buy", 0.1), b.open("XAUUSD", "buy", 0.1)
    with pytest.raises(ValueError, match="opposite"):
        b.close_by(one, two)


def test_usdjpy_profit_in_account_currency(clock: FakeClock) -> None:
    sim, b = hedging(clock)
    pid = b.open("USDJPY", "buy", 1.0, price=150.00)
    deal = sim.history_deals_get(ticket=b.close(pid, price=151.50))[0]
    assert deal.profit == round(1.5 * 100_000 / 151.5, 2)


def test_netting_reversal(clock: FakeClock) -> None:
    sim, b = hedging(clock, margin_mode=t.ACCOUNT_MARGIN_MODE_RETAIL_NETTING)
    pid = b.open("EURUSD", "buy", 1.0, price=1.1000)
    assert b.open("EURUSD", "buy", 0.5, price=1.1030) == pid  # adds to the one position
    assert sim.positions_get()[0].price_open == 1.101
    clock.advance(3600)
    assert b.open("EURUSD", "sell", 2.0, price=1.1050) == pid
    (pos,) = sim.positions_get()
    reversal = sim.history_deals_get(position=pid)[-1]
    assert reversal.entry == t.DEAL_ENTRY_INOUT and reversal.volume == 2.0
    assert reversal.profit == 600.0  # (1.1050 - 1.1010) * 1.5 lots
    assert (pos.identifier, pos.type, pos.volume, pos.price_open) == (pid, 1, 0.5, 1.105)
    assert pos.ticket == reversal.order != pid  # the ticket changed, the identifier did not
    assert sim.positions_get(ticket=pos.ticket) == (pos,)
    assert sim.positions_get(ticket=pid) == ()
    b.open("EURUSD", "buy", 0.2, price=1.1040)  # a partial close on netting
    b.close(pid, price=1.1040)
    assert sim.positions_get() == ()
    entries = [d.entry for d in sim.history_deals_get(position=pid)]
    assert entries == [0, 0, 2, 1, 1]
    assert_consistent(sim)


def test_rollover_reopens_with_rollover_deals(clock: FakeClock) -> None:
    sim, b = hedging(clock, margin_mode=t.ACCOUNT_MARGIN_MODE_RETAIL_NETTING)
    pid = b.open("EURUSD", "buy", 1.0, price=1.1000)
    b.accrue_swap(pid, -5.0)
    b.rollover(pid, price=1.1010)
    out, back_in = sim.history_deals_get(position=pid)[1:]
    assert (out.reason, out.entry, out.profit, out.swap) == (7, 1, 100.0, -5.0)
    assert (back_in.reason, back_in.entry, back_in.volume) == (7, 0, 1.0)
    (pos,) = sim.positions_get()
    assert (pos.identifier, pos.price_open, pos.swap) == (pid, 1.101, 0.0)
    assert_consistent(sim)


def test_tickets_increase_and_cancelled_orders(clock: FakeClock) -> None:
    sim, b = hedging(clock)
    for _ in range(3):
        b.close(b.open("EURUSD", "buy", 0.1))
    deals = sim.history_deals_get(0, MAX)
    assert [d.ticket for d in deals] == sorted(d.ticket for d in deals)
    pending = b.place_order("EURUSD", t.ORDER_TYPE_BUY_LIMIT, 0.1, 1.05)
    b.cancel_order(pending)
    assert sim.orders_get() == ()
    assert sim.history_orders_get(ticket=pending)[0].state == t.ORDER_STATE_CANCELED


def test_unknown_symbol_needs_a_price(clock: FakeClock) -> None:
    sim, b = hedging(clock)
    with pytest.raises(ValueError, match="pass price="):
        b.open("BTCUSD", "buy", 0.1)
    pid = b.open("BTCUSD", "buy", 0.1, price=60_000)
    assert sim.positions_get(ticket=pid)[0].profit == 0.0  # no quote: not marked
