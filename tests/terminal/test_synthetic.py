"""Big synthetic histories for benchmarks."""

from __future__ import annotations

import time
from collections import Counter

from mt5tray.terminal import sim as simulated
from mt5tray.terminal.sim.simulator import SimulatedMT5
from tests.terminal.conftest import MAX, FakeClock
from tests.terminal.test_broker import assert_consistent


def test_small_synthetic_is_consistent() -> None:
    clock = FakeClock()
    sim = simulated.synthetic(2_000, seed=3, clock=clock)
    sim.initialize()
    deals = sim.history_deals_get(0, MAX)
    assert len(deals) == 2_000
    assert deals[-1].time <= clock.now
    assert_consistent(sim)
    again = simulated.synthetic(2_000, seed=3, clock=clock)
    assert again.broker.deals.records == list(deals)


def test_append_deals_after_the_newest() -> None:
    clock = FakeClock()
    sim = simulated.synthetic(1_000, clock=clock)
    sim.initialize()
    newest = sim.history_deals_get(0, MAX)[-1]
    clock.advance(3600)
    tickets = simulated.add_synthetic_deals(sim, 250)
    assert len(tickets) == 250 and min(tickets) == newest.ticket + 1
    fresh = sim.history_deals_get(newest.time + 1, MAX)
    assert [d.ticket for d in fresh] == tickets
    assert fresh[-1].time <= clock.now
    assert_consistent(sim)


def test_append_to_any_simulator(sim: SimulatedMT5) -> None:
    before = sim.history_deals_total(0, MAX)
    assert len(simulated.add_synthetic_deals(sim, 50)) == 50
    assert sim.history_deals_total(0, MAX) == before + 50
    assert_consistent(sim)


def test_hundred_thousand_deals() -> None:
    started = time.perf_counter()
    sim = simulated.synthetic(100_000)
    elapsed = time.perf_counter() - started
    assert elapsed < 10  # ~2 s on a quiet machine; generous for busy CI
    deals = sim.broker.deals.records
    assert len(deals) == 100_000
    positions = Counter(d.position_id for d in deals if d.position_id)
    assert 35_000 <= len(positions) <= 45_000
    assert sum(1 for n in positions.values() if n >= 3) > 10_000  # partial closes
