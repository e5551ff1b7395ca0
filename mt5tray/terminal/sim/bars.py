"""Simulated price bars: `copy_rates_range`, `copy_rates_from`, `copy_rates_from_pos`.

The forex session model of server-time.md §4/§5.3: FX symbols trade from
Sunday 17:00 to Friday 17:00 New York; the Fridays before Christmas and New
Year close 2 h early (15:00 New York), as brokers' holiday schedules do.
Bars are labelled on the trade server's clock (a bar's `time` is its open
in server wall time, MT5 docs copy_rates_from: "UTC (without the shift)"),
so a server whose clock switches on other dates than New York shows it in
the weekly closes, which is what auto-detection reads.

Results are numpy structured arrays with the MetaTrader5 package's dtype
(fields time, open, high, low, close, tick_volume, spread, real_volume:
mt5-api.md / server-time.md §4; the official examples index them by name).
Timeframes: M1..H12 and D1 (TIMEFRAME_* constants, values from the wheel's
__init__.py: minutes; hours | 0x4000; D1 = 24 | 0x4000). W1 and MN1 are
refused with (-7, 'Terminal: Unsupported function') rather than faked.
Non-FX symbols (metals, indices, crypto) have no bars here, as on a terminal
whose history for them was never downloaded.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from mt5tray.core.server_clock import ServerClock

RATES_DTYPE = np.dtype([
    ("time", "<i8"), ("open", "<f8"), ("high", "<f8"), ("low", "<f8"), ("close", "<f8"),
    ("tick_volume", "<u8"), ("spread", "<i4"), ("real_volume", "<u8"),
])
TIMEFRAMES = {
    **{f"TIMEFRAME_M{m}": m for m in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)},
    **{f"TIMEFRAME_H{h}": h | 0x4000 for h in (1, 2, 3, 4, 6, 8, 12)},
    "TIMEFRAME_D1": 24 | 0x4000, "TIMEFRAME_W1": 1 | 0x8000, "TIMEFRAME_MN1": 1 | 0xC000,
}
_NY = ZoneInfo("America/New_York")
_CURRENCIES = {"USD", "EUR", "GBP", "JPY", "CHF", "AUD", "NZD", "CAD", "SEK", "NOK", "SGD",
               "HKD", "ZAR", "MXN", "PLN", "TRY", "DKK", "CNH"}
_FX = re.compile(r"^([A-Z]{3})([A-Z]{3})")


def timeframe_seconds(timeframe: int) -> int | None:
    """Seconds of one bar, or None for W1/MN1/unknown values."""
    if timeframe & 0xC000 == 0x4000 and (timeframe & 0x3FFF) in (1, 2, 3, 4, 6, 8, 12, 24):
        return (timeframe & 0x3FFF) * 3600
    if timeframe in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30):
        return timeframe * 60
    return None


def is_fx(symbol: str) -> bool:
    """EURUSD, EURUSD.r, EURUSDc, ...: two currency codes first."""
    match = _FX.match(symbol)
    return bool(match) and match[1] in _CURRENCIES and match[2] in _CURRENCIES  # type: ignore[index]


def _early_close(friday: date) -> bool:
    """The last Friday before Christmas Day and before New Year's Day."""
    for holiday in (date(friday.year, 12, 25), date(friday.year + 1, 1, 1)):
        if timedelta(0) < holiday - friday <= timedelta(days=7):
            return True
    return False


def market_open(utc_seconds: float) -> bool:
    """Is the FX market open at this UTC instant (Sunday 17:00 - Friday 17:00 NY)?"""
    ny = datetime.fromtimestamp(utc_seconds, timezone.utc).astimezone(_NY)
    weekday, hour = ny.weekday(), ny.hour
    if weekday == 5:
        return False
    if weekday == 6:
        return hour >= 17
    if weekday == 4:
        return hour < (15 if _early_close(ny.date()) else 17)
    return True


def last_quote_utc(utc_seconds: float) -> float:
    """When an FX symbol last ticked: now while the market is open, else a
    second before it closed (server time "stands still" without ticks:
    MQL5 book, "Local and server time"; server-time.md §1)."""
    if market_open(utc_seconds):
        return utc_seconds
    hour = int(utc_seconds) // 3600 * 3600
    for _ in range(24 * 7):
        if market_open(hour - 1):
            return hour - 1
        hour -= 3600
    return utc_seconds


def _price(symbol: str, utc_hour: int) -> float:
    base = 150.0 if symbol[3:6] == "JPY" else 1.1
    return round(base * (1 + 0.01 * math.sin(utc_hour / 37.0) + 0.003 * math.sin(utc_hour / 5.0)),
                 5)


def bar_times(clock: ServerClock, period_s: int, server_from: int, server_to: int,
              utc_now: float) -> list[int]:
    """Open times (server clock) of the bars with server_from <= time <= server_to
    that exist by `utc_now`: a bar exists if the market traded in it."""
    step = min(period_s, 3600)
    start = int(clock.to_utc(server_from)) // step * step
    end = min(int(clock.to_utc(server_to)) + period_s, int(utc_now))
    opens: list[int] = []
    last = None
    for utc in range(start, end, step):
        if not market_open(utc):
            continue
        server = int(clock.to_server(utc))
        bar = server - server % period_s
        if bar != last and server_from <= bar <= server_to:
            opens.append(bar)
            last = bar
    return opens


def rates(symbol: str, clock: ServerClock, times: list[int]) -> Any:
    """The structured array for these bar opens."""
    out = np.zeros(len(times), dtype=RATES_DTYPE)
    for i, server in enumerate(times):
        utc_hour = int(clock.to_utc(server)) // 3600
        price = _price(symbol, utc_hour)
        out[i] = (server, price, price + 0.0008, price - 0.0007, _price(symbol, utc_hour + 1),
                  1200 + utc_hour % 300, 8, 0)
    return out


def window_for_count(period_s: int, count: int) -> int:
    """Server seconds that surely hold `count` bars (weekends and holidays included)."""
    return int(count * period_s * 7 / 5) + 10 * 86_400
