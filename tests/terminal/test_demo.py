"""The live demo is deterministic and grows with the clock."""

from __future__ import annotations

import time
from collections import Counter

from mt5tray.core.server_clock import parse_clock
from mt5tray.terminal import mt5_types as t
from mt5tray.terminal import sim as simulated
from mt5tray.terminal.sim.demo import ANCHOR_UTC, DEMO_LOGIN
from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, FakeClock
from tests.terminal.test_broker import assert_consistent

TEN_DAYS = ANCHOR_UTC + 10 * 86400 + 3600


def started(clock: FakeClock, seed: int = 7) -> SimulatedMT5:
    sim = simulated.live_demo(seed=seed, clock=clock)
    assert sim.initialize()
    return sim


def test_identity_and_account() -> None:
    sim = started(FakeClock(TEN_DAYS))
    account = sim.account_info()
    assert (account.login, account.server, account.company, account.currency) == (
        DEMO_LOGIN, "MT5Tray-Demo", "mt5tray simulator", "USD")
    assert account.margin_mode == t.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING
    assert_consistent(sim)


def test_same_seed_same_history() -> None:
    a, b = started(FakeClock(TEN_DAYS)), started(FakeClock(TEN_DAYS))
    assert a.history_deals_get(0, MAX) == b.history_deals_get(0, MAX)
    assert a.positions_get() == b.positions_get()
    other = started(FakeClock(TEN_DAYS), seed=8)
    assert other.history_deals_get(0, MAX) != a.history_deals_get(0, MAX)


def test_a_running_demo_agrees_with_one_started_later() -> None:
    clock = FakeClock(TEN_DAYS)
    running = started(clock)
    early = running.history_deals_get(0, MAX)
    clock.advance(3 * 86400)
    grown = running.history_deals_get(0, MAX)  # new deals appeared as time passed
    assert grown[: len(early)] == early and len(grown) > len(early) + 50
    fresh = started(FakeClock(clock.now))
    assert fresh.history_deals_get(0, MAX) == grown
    assert fresh.positions_get() == running.positions_get()
    assert fresh.account_info() == running.account_info()
    assert_consistent(running)


def test_activity_mix() -> None:
    sim = started(FakeClock(TEN_DAYS))
    deals = sim.history_deals_get(0, MAX)
    per_day = len(deals) / 10
    assert 20 <= per_day <= 80
    kinds = Counter((d.type, d.entry) for d in deals)
    assert kinds[(t.DEAL_TYPE_BALANCE, 0)] >= 1
    assert kinds[(0, 0)] + kinds[(1, 0)] > 50  # opens
    assert kinds[(0, 1)] + kinds[(1, 1)] > 50  # closes
    assert {d.symbol for d in deals} >= {"EURUSD", "GBPUSD", "USDJPY", "XAUUSD"}
    assert any(d.swap for d in deals)
    partial = Counter(d.position_id for d in deals if d.entry == 1)
    assert max(partial.values()) >= 2  # partial closes happen
    assert 3 <= sim.positions_total() <= 15


def test_ticks_move_and_are_on_server_time() -> None:
    clock = FakeClock(TEN_DAYS)
    sim = started(clock)
    first = sim.symbol_info_tick("EURUSD")
    # the demo server runs the New York close clock (GMT+2/US): +2 h or +3 h
    assert first.time == int(clock.now) + parse_clock("ny-close").offset_at(clock.now) * 60
    clock.advance(30)
    second = sim.symbol_info_tick("EURUSD")
    assert second.time == first.time + 30 and second.bid != first.bid


def test_not_connected_freezes_the_demo() -> None:
    clock = FakeClock(TEN_DAYS)
    sim = started(clock)
    sim.inject_fault("not_connected")
    before = sim.history_deals_total(0, MAX)
    clock.advance(86400)
    assert sim.history_deals_total(0, MAX) == before
    sim.clear_faults()
    assert sim.history_deals_total(0, MAX) > before  # downloaded on reconnect


def test_building_four_months_is_fast() -> None:
    started_at = time.perf_counter()
    sim = simulated.live_demo(clock=FakeClock(ANCHOR_UTC + 120 * 86400))
    assert time.perf_counter() - started_at < 1.0  # ~0.2 s on a quiet machine
    assert len(sim.broker.deals.records) > 3000


def test_real_clock_default() -> None:
    sim = simulated.live_demo()
    assert sim.initialize()
    assert abs(sim.symbol_info_tick("EURUSD").time - (time.time() + 7200)) < 5
