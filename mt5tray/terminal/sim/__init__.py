"""The simulated MetaTrader 5 terminal: our model of the real one.

Entry points that build a terminal (the simulator class itself imports none of
its builders, so nothing here imports in a circle):
- `from_scenario(source)`: a terminal holding a scenario (JSON file or dict);
- `live_demo(seed)`: the seeded demo account whose history grows with the clock;
- `synthetic(deals)`: a large consistent hedging history for benchmarks, grown
  further with `add_synthetic_deals(simulator, n)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mt5tray.terminal.sim.demo import build_live_demo
from mt5tray.terminal.sim.machine import SimulatedMachine
from mt5tray.terminal.sim.scenario import ScenarioError, load_scenario
from mt5tray.terminal.sim.simulator import SimulatedMT5
from mt5tray.terminal.sim.synthetic import SyntheticTrader, build_synthetic

__all__ = ["ScenarioError", "SimulatedMT5", "SimulatedMachine", "add_synthetic_deals",
           "from_scenario",
           "live_demo", "synthetic"]


def from_scenario(source: str | Path | dict[str, Any],
                  clock: Callable[[], float] | None = None) -> Any:
    """A simulator holding a scenario (a JSON file path or the parsed dict): a
    SimulatedMT5, or a SimulatedMachine when the scenario lists "terminals"."""
    return load_scenario(source, clock)


def live_demo(seed: int = 7, clock: Callable[[], float] = time.time) -> SimulatedMT5:
    """A seeded demo account whose history keeps growing with the clock."""
    return build_live_demo(seed, clock)


def synthetic(deals: int = 100_000, seed: int = 1, **options: Any) -> SimulatedMT5:
    """A large consistent hedging history; grow it with add_synthetic_deals()."""
    return build_synthetic(deals, seed, **options)


def add_synthetic_deals(simulator: SimulatedMT5, deals: int) -> list[int]:
    """Append about `deals` new deals (after the newest); returns their tickets."""
    with simulator._lock:
        if simulator.synthetic_trader is None:
            simulator.synthetic_trader = SyntheticTrader(simulator.broker, seed=0)
        return simulator.synthetic_trader.add_deals(deals)
