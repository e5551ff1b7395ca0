"""The trade rebuild: what a trader reads in the journal for each position."""

from __future__ import annotations

import pytest

from mt5tray.core.ledger import deal_row, server_ms_to_utc_iso, stamp_deals
from mt5tray.core.server_clock import fixed_clock
from mt5tray.core.trades import build_trade
from tests.support.fakes import BUY, IN, INOUT, OUT, OUT_BY, SELL, balance_deal, deal, position

T0 = 1_700_000_000  # server clock seconds


def rows(*deals, offset=0):
    stamps = stamp_deals(deals, fixed_clock(offset))
    return [deal_row(d, "acc", stamps[d.ticket], "2026-01-01T00:00:00.000+00:00") for d in deals]


def test_partial_close_then_final_close_on_hedging():
    trade = build_trade("acc", 10, rows(
        deal(1, 10, T0, BUY, IN, volume=2.0, price=1.1000, commission=-7.0),
        deal(2, 10, T0 + 60, SELL, OUT, volume=0.5, price=1.1100, profit=50.0),
        deal(3, 10, T0 + 120, SELL, OUT, volume=1.5, price=1.1200, profit=300.0, swap=-2.0),
    ), None, 0)
    assert trade["status"] == "closed"
    assert trade["side"] == "buy"
    assert trade["volume"] == 2.0 and trade["closed_volume"] == 2.0
    assert trade["open_price"] == pytest.approx(1.1)
    assert trade["close_price"] == pytest.approx((0.5 * 1.11 + 1.5 * 1.12) / 2.0)
    assert trade["profit"] == 350.0
    assert trade["net_profit"] == pytest.approx(350.0 - 7.0 - 2.0)
    assert trade["close_time"] == server_ms_to_utc_iso((T0 + 120) * 1000, 0)


def test_partially_closed_position_still_open():
    trade = build_trade("acc", 10, rows(
        deal(1, 10, T0, SELL, IN, volume=1.0, price=1.2),
        deal(2, 10, T0 + 60, BUY, OUT, volume=0.4, price=1.19, profit=40.0),
    ), position(10, T0, type=SELL, volume=0.6, price_current=1.18, profit=12.0, sl=1.25), 0)
    assert trade["status"] == "open"
    assert trade["side"] == "sell"
    assert trade["volume"] == 1.0 and trade["closed_volume"] == pytest.approx(0.4)
    assert trade["close_time"] is None
    assert trade["floating_profit"] == 12.0 and trade["current_price"] == 1.18
    assert trade["sl"] == 1.25 and trade["tp"] is None  # MT5's 0.0 means unset


def test_close_by_pair_books_profit_on_one_side():
    a = build_trade("acc", 10, rows(
        deal(1, 10, T0, BUY, IN, volume=1.0, price=1.10),
        deal(3, 10, T0 + 60, SELL, OUT_BY, volume=1.0, price=1.12, profit=200.0),
    ), None, 0)
    b = build_trade("acc", 11, rows(
        deal(2, 11, T0 + 30, SELL, IN, volume=1.0, price=1.12),
        deal(4, 11, T0 + 60, BUY, OUT_BY, volume=1.0, price=1.10, profit=0.0),
    ), None, 0)
    assert a["status"] == b["status"] == "closed"
    assert a["closed_volume"] == 1.0 and b["closed_volume"] == 1.0
    assert a["profit"] + b["profit"] == 200.0


def test_netting_reversal_describes_what_the_trader_holds_now():
    trade = build_trade("acc", 10, rows(
        deal(1, 10, T0, BUY, IN, volume=1.0, price=100.0, commission=-1.0),
        deal(2, 10, T0 + 60, SELL, INOUT, volume=3.0, price=110.0, profit=10.0),
    ), position(10, T0 + 60, type=SELL, volume=2.0, price_open=110.0), 0)
    # The reversal closed the 1.0 bought (+10 realized) and opened 2.0 sold under
    # the same id: the row is the sell the trader holds, never "buy 3.0".
    assert trade["side"] == "sell"
    assert trade["volume"] == 2.0 and trade["closed_volume"] == 0.0
    assert trade["open_price"] == 110.0 and trade["close_price"] is None
    assert trade["open_time"] == server_ms_to_utc_iso((T0 + 60) * 1000, 0)
    assert trade["status"] == "open"
    assert trade["profit"] == 10.0 and trade["net_profit"] == 9.0  # the closed part's P&L


def test_netting_reversal_then_close():
    trade = build_trade("acc", 10, rows(
        deal(1, 10, T0, BUY, IN, volume=1.0, price=100.0),
        deal(2, 10, T0 + 60, SELL, INOUT, volume=3.0, price=110.0, profit=10.0),
        deal(3, 10, T0 + 120, BUY, OUT, volume=2.0, price=105.0, profit=10.0),
    ), None, 0)
    assert trade["status"] == "closed" and trade["side"] == "sell"
    assert trade["volume"] == trade["closed_volume"] == 2.0
    assert trade["open_price"] == 110.0 and trade["close_price"] == 105.0
    assert trade["profit"] == 20.0  # both legs' realized P&L


def test_two_reversals_keep_only_the_last_leg():
    trade = build_trade("acc", 10, rows(
        deal(1, 10, T0, BUY, IN, volume=1.0, price=100.0),
        deal(2, 10, T0 + 60, SELL, INOUT, volume=2.0, price=110.0, profit=10.0),
        deal(3, 10, T0 + 120, BUY, INOUT, volume=1.5, price=105.0, profit=5.0),
    ), position(10, T0 + 120, type=BUY, volume=0.5, price_open=105.0), 0)
    assert (trade["side"], trade["volume"], trade["open_price"]) == ("buy", 0.5, 105.0)
    assert trade["profit"] == 15.0


def test_an_inout_that_closes_exactly_is_an_exit():
    trade = build_trade("acc", 10, rows(
        deal(1, 10, T0, BUY, IN, volume=1.0, price=100.0),
        deal(2, 10, T0 + 60, SELL, INOUT, volume=1.0, price=110.0, profit=10.0),
    ), None, 0)
    assert (trade["side"], trade["volume"], trade["closed_volume"]) == ("buy", 1.0, 1.0)
    assert trade["status"] == "closed" and trade["close_price"] == 110.0


def test_rollover_deals_count_money_not_volume():
    trade = build_trade("acc", 10, rows(
        deal(1, 10, T0, BUY, IN, volume=1.0, price=1.10),
        deal(2, 10, T0 + 60, SELL, OUT, volume=1.0, price=1.11, reason=7, swap=-3.0),
        deal(3, 10, T0 + 60, BUY, IN, volume=1.0, price=1.11, reason=7),
    ), position(10, T0, volume=1.0), 0)
    assert trade["volume"] == 1.0 and trade["closed_volume"] == 0.0
    assert trade["open_price"] == pytest.approx(1.10)
    assert trade["swap"] == -3.0


def test_entry_outside_known_deals_falls_back_to_position():
    trade = build_trade("acc", 10, [], position(10, T0, volume=0.3, price_open=1.05), 60)
    assert trade["volume"] == 0.3 and trade["open_price"] == 1.05
    assert trade["open_time"] == server_ms_to_utc_iso(T0 * 1000, 60)


def test_server_clock_converted_across_midnight():
    # 01:30 on the server (UTC+3) is 22:30 the previous day in UTC.
    server_midnight_plus = 1_700_006_400 + 5400  # 2023-11-15 00:00 + 1:30, server clock
    row = rows(deal(1, 10, server_midnight_plus), offset=180)[0]
    assert row["time"] == "2023-11-14T22:30:00.000+00:00"
    assert row["time_msc"] == server_midnight_plus * 1000  # raw value kept


def test_balance_operations_are_deals_only():
    row = rows(balance_deal(1, T0, 500.0))[0]
    assert row["type"] == "balance" and row["entry"] == "in" and row["position_id"] == 0
    from mt5tray.core.ledger import is_trade_deal
    assert not is_trade_deal(row)
