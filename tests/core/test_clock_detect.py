"""Auto-detection of the server clock from H1 bars (server-time.md §5.2,
§6.3 cases 6 and 7). The bars come from the simulator's session model
(Sunday 17:00 - Friday 17:00 New York, Christmas/New Year Fridays closing
2 h early), served through the MetaTrader5-style copy_rates_range call."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from mt5tray.core.clock_detect import detect, live_check, narrow
from mt5tray.core.server_clock import parse_clock
from mt5tray.terminal.sim import bars
from mt5tray.terminal.sim.scenario import load_scenario


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


NOW = ts("2026-11-20 12:00")


def served_bars(spec: str, start: str, end: str) -> list[int]:
    """H1 bar opens as a simulated terminal on that clock serves them."""
    sim = load_scenario({"server_timezone": spec, "now_utc": NOW, "account": {"login": 1},
                         "symbols": {"EURUSD.r": {"bid": 1.1, "ask": 1.1001}}})
    assert sim.initialize()
    rates = sim.copy_rates_range("EURUSD.r", sim.TIMEFRAME_H1, ts(start), ts(end))
    assert rates.dtype.names == ("time", "open", "high", "low", "close", "tick_volume",
                                 "spread", "real_volume")
    return [int(t) for t in rates["time"]]


@pytest.mark.parametrize("spec", ["GMT+2/US", "GMT+2/EU", "GMT+1/EU", "GMT+0", "GMT+3",
                                  "GMT+0/US"])
def test_each_kind_of_server_is_recovered_with_holiday_outliers(spec: str) -> None:
    found = detect(served_bars(spec, "2024-01-01", "2026-11-20"))
    assert found.clock is not None and found.clock.spec == spec
    assert not found.provisional
    assert found.weeks_total >= 140
    # the Christmas and New Year Fridays close 2 h early: outliers, not votes
    assert found.weeks_total - found.weeks_matched == len(found.outliers) >= 4
    months = {datetime.fromtimestamp(a, timezone.utc).strftime("%m-%d") for a in found.outliers}
    assert all(m >= "12-15" or m <= "01-02" for m in months), months


def test_summer_only_history_is_provisional_and_prefers_ny_close() -> None:
    found = detect(served_bars("GMT+2/US", "2025-04-05", "2025-10-20"))
    assert found.provisional
    assert {c.spec for c in found.candidates} == {"GMT+2/US", "GMT+2/EU", "GMT+3"}
    assert found.clock is not None and found.clock.spec == "GMT+2/US"


def test_a_fresh_winter_tick_narrows_fixed_plus_3_away() -> None:
    found = detect(served_bars("GMT+2/US", "2025-04-05", "2025-10-20"))
    winter_now = ts("2025-12-03 10:00")
    tick = winter_now + 120 * 60 - 2  # a tick 2 s old on a +2 server in winter
    assert {c.spec for c in narrow(found.candidates, tick, winter_now)} == \
        {"GMT+2/US", "GMT+2/EU"}


def test_the_march_gap_decides_us_over_eu() -> None:
    found = detect(served_bars("GMT+2/US", "2025-01-01", "2025-04-20"))
    assert found.clock is not None and found.clock.spec == "GMT+2/US"
    assert not found.provisional and found.weeks_matched == found.weeks_total


def test_a_convention_change_gives_two_segments() -> None:
    older = served_bars("GMT+0", "2024-01-01", "2025-06-01")
    newer = served_bars("GMT+2/US", "2025-06-01", "2026-11-20")
    found = detect(older + newer)
    assert found.clock is not None and not found.provisional
    # each span converts on its own clock: GMT+0 before, GMT+2/US after
    assert found.clock.spec == "GMT+0 until 2025-06-01, GMT+2/US"
    assert found.clock.to_utc(ts("2025-03-12 12:00")) == ts("2025-03-12 12:00")
    assert found.clock.to_utc(ts("2025-07-01 12:00")) == ts("2025-07-01 09:00")
    assert found.weeks_matched >= found.weeks_total - 6
    assert [(datetime.fromtimestamp(a, timezone.utc).date().isoformat(), c.spec)
            for a, c in found.segments] == [("2024-01-05", "GMT+0"), ("2025-06-06", "GMT+2/US")]


def test_live_check() -> None:
    """§6.3 case 7."""
    us, eu = parse_clock("GMT+2/US"), parse_clock("GMT+2/EU")
    now = ts("2026-03-10 10:00")
    tick = now + 3 * 3600 - 1  # server 12:59:59 at 10:00 UTC: +3
    assert live_check(us, tick, now) == "confirmed"
    assert live_check(eu, tick, now) == "mismatch"  # 1 h in the future under EU
    assert live_check(us, tick - 3600, now) == "stale"  # an hour-old weekend tick: no evidence
    assert live_check(us, tick - 2 * 86400, now) == "stale"
    assert live_check(us, tick + 180, now) == "stale"  # the PC clock 3 min off
    assert live_check(us, tick - 180, now) == "stale"
    assert live_check(us, None, now) == "stale"


def test_bars_follow_the_trading_week() -> None:
    """Sunday 17:00 to Friday 17:00 New York, on the server's clock."""
    times = served_bars("GMT+2/US", "2026-03-06", "2026-03-10")
    first_after_weekend = min(t for t in times if t >= ts("2026-03-08"))
    assert first_after_weekend == ts("2026-03-09 00:00")  # Sun 17:00 EDT = 00:00 server
    assert max(t for t in times if t < ts("2026-03-08")) == ts("2026-03-06 23:00")
    assert bars.timeframe_seconds(bars.TIMEFRAMES["TIMEFRAME_H1"]) == 3600
    assert bars.TIMEFRAMES["TIMEFRAME_H1"] == 16385 and bars.TIMEFRAMES["TIMEFRAME_D1"] == 16408
