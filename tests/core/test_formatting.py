"""One formatting module for every text a person reads (issue 11, P1)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mt5tray.core import formatting as f
from mt5tray.core.trading_day import trading_day_start

NOW = datetime(2026, 12, 2, 14, 0, tzinfo=timezone.utc)


def test_money_has_separators_currency_and_a_real_minus() -> None:
    assert f.money(44602.614, "USD") == "44,602.61 USD"
    assert f.money(96.48, "EUR", signed=True) == "+96.48 EUR"
    assert f.money(-1234.5, "USD", signed=True) == "−1,234.50 USD"
    assert f.money(0, "USD", signed=True) == "0.00 USD"
    assert f.money(None, "USD") == f.MISSING and "None" not in f.money(None)


def test_counts_have_correct_plurals() -> None:
    assert f.count(1, "deal") == "1 deal"
    assert f.count(4607, "deal") == "4,607 deals"
    assert f.count(0, "sync") == "0 syncs"
    assert f.count(2, "entry") == "2 entries"
    assert f.count(None, "deal") == f.MISSING


def test_times_are_local_without_microseconds_and_relative() -> None:
    stamp = "2026-12-02T04:06:33.253246+00:00"
    text = f.local_time(stamp)
    assert "." not in text and "+" not in text and len(text) == len("2026-12-02 04:06:33")
    assert text == datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert f.local_time(None) == f.MISSING
    assert f.relative(NOW - timedelta(minutes=2), NOW) == "2 min ago"
    assert f.relative(NOW + timedelta(minutes=4), NOW) == "in 4 min"
    assert f.relative(None, NOW) == "never"
    assert f.countdown(59.2) == "60 s" and f.countdown(125) == "2 min 05 s"
    assert f.duration_ms(70) == "70 ms" and f.duration_ms(2300) == "2.3 s"


def test_prices_and_volumes_read_as_the_terminal_shows_them() -> None:
    assert f.price(1.05272) == "1.05272" and f.price(2128.73) == "2,128.73"
    assert f.price(140.0) == "140.0" and f.volume(0.5) == "0.5" and f.volume(1.0) == "1"


def test_the_trading_day_starts_at_the_servers_midnight() -> None:
    # server at UTC+2: 14:00 UTC is 16:00 there; its day began at 22:00 UTC the day before
    assert trading_day_start(NOW, 120) == datetime(2026, 12, 1, 22, 0, tzinfo=timezone.utc)
    # 23:30 UTC is already tomorrow on a UTC+2 server
    late = datetime(2026, 12, 2, 23, 30, tzinfo=timezone.utc)
    assert trading_day_start(late, 120) == datetime(2026, 12, 2, 22, 0, tzinfo=timezone.utc)
    assert trading_day_start(NOW, None) == datetime(2026, 12, 2, tzinfo=timezone.utc)
    assert trading_day_start(NOW, -300) == datetime(2026, 12, 2, 5, 0, tzinfo=timezone.utc)


def test_the_trading_day_follows_the_server_clock_across_a_switch() -> None:
    # New York close clock (server-time.md 6.1): GMT+3 in US summer, GMT+2 in winter,
    # whatever offset the journal last stored
    summer = datetime(2026, 7, 1, 14, 0, tzinfo=timezone.utc)
    assert trading_day_start(summer, 120, "GMT+2/US") == datetime(2026, 6, 30, 21, 0,
                                                                  tzinfo=timezone.utc)
    assert trading_day_start(NOW, 180, "GMT+2/US") == datetime(2026, 12, 1, 22, 0,
                                                               tzinfo=timezone.utc)
    # in the US-only summer weeks an EU-rule server is still on GMT+2
    gap = datetime(2026, 3, 11, 14, 0, tzinfo=timezone.utc)
    assert trading_day_start(gap, None, "GMT+2/US").hour == 21
    assert trading_day_start(gap, None, "GMT+2/EU").hour == 22
    # a spec this build cannot read falls back to the stored offset
    assert trading_day_start(NOW, 120, "Mars/Olympus") == datetime(2026, 12, 1, 22, 0,
                                                                    tzinfo=timezone.utc)
