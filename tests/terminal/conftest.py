"""Shared fixtures for the terminal tests: a controllable clock and a small
simulated hedging account."""

from __future__ import annotations

from pathlib import Path

import pytest

from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.simulator import SimulatedMT5

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
# 2026-09-21 13:46:40 UTC: a Monday, far from any midnight.
NOW_UTC = 1_790_000_000.0
OFFSET_MIN = 180
MAX = 2**31 - 1


class FakeClock:
    """Real UTC seconds that only move when told to."""

    def __init__(self, now: float = NOW_UTC) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_sim(clock: FakeClock) -> SimulatedMT5:
    sim = SimulatedMT5(server_utc_offset_minutes=OFFSET_MIN, clock=clock)
    b = sim.add_account(
        1001, server="Sim-Server", password="pw",
        symbols={"EURUSD": SymbolSpec(1.1000, 1.1002), "GBPUSD": SymbolSpec(1.2700, 1.2703),
                 "USDJPY": SymbolSpec(150.00, 150.02, digits=3),
                 "XAUUSD": SymbolSpec(2400.0, 2400.5, digits=2)})
    b.deposit(10_000, at=NOW_UTC - 5 * 86400)
    eur = b.open("EURUSD", "buy", 1.0, commission=-7, at=NOW_UTC - 4 * 86400)
    b.close(eur, 0.4, price=1.1010, at=NOW_UTC - 3 * 86400)
    b.open("GBPUSD", "sell", 0.5, at=NOW_UTC - 2 * 86400)
    b.open("XAUUSD", "buy", 0.1, at=NOW_UTC - 86400)
    b.charge_commission(5, at=NOW_UTC - 3600)
    return sim


@pytest.fixture
def sim(clock: FakeClock) -> SimulatedMT5:
    """Initialized, logged into 1001: a deposit, a partly closed EURUSD buy,
    open GBPUSD and XAUUSD positions and a commission deal."""
    s = make_sim(clock)
    assert s.initialize()
    return s
