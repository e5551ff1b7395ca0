"""Big synthetic histories for benchmarks and load tests.

`build_synthetic(deals=100_000)` makes a consistent hedging account of about
that many deals (one per event: opens, partial closes, closes, the odd balance
operation), about 40% of them opening positions, in a second or two.
`SyntheticTrader.add_deals(n)` (or `sim.add_synthetic_deals(simulator, n)`)
appends n more after the newest deal, ending near the clock's now, for
incremental-sync benchmarks.
"""

from __future__ import annotations

import gc
import random
import time
from collections.abc import Callable

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.broker import Broker
from mt5tray.terminal.sim.simulator import SimulatedMT5

# symbol: (start bid, spread, digits, step)
MARKETS = {
    "EURUSD": (1.0850, 0.0001, 5, 0.0004),
    "GBPUSD": (1.2700, 0.00015, 5, 0.0005),
    "USDJPY": (147.50, 0.012, 3, 0.06),
    "XAUUSD": (2400.0, 0.2, 2, 1.5),
    "AUDUSD": (0.6600, 0.0001, 5, 0.0003),
}
SYMBOLS = sorted(MARKETS)
LOTS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


class SyntheticTrader:
    """Generates events on one broker: keeps ~20 positions open, partly closes
    about half of them before closing them."""

    def __init__(self, broker: Broker, seed: int = 1, open_target: int = 20) -> None:
        self.broker, self.rng, self.open_target = broker, random.Random(seed), open_target
        self.open_ids: list[int] = list(broker.positions)
        self.partial: set[int] = set()
        self.last_at = broker.clock.utc() - 1.0
        if broker.deals.records:  # continue after the newest deal, in UTC
            newest = broker.deals.records[-1].time_msc / 1000
            self.last_at = broker.clock.utc_of(newest)
        for sym, (bid, spread, digits, _) in MARKETS.items():
            broker.symbols.setdefault(sym, SymbolSpec(bid, round(bid + spread, digits),
                                                      digits=digits))

    def add_deals(self, n: int, start_utc: float | None = None, spacing: float = 1.0) -> list[int]:
        """Append n deals, `spacing` seconds apart; returns their tickets."""
        if start_utc is None:  # end near now, but never before the newest deal
            start_utc = max(self.last_at + spacing, self.broker.clock.utc() - n * spacing)
        first = self.broker.next_deal
        # Millions of small tuples, none cyclic: the cyclic GC would only rescan them.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            for i in range(n):
                self.last_at = start_utc + i * spacing
                self.step(self.last_at)
        finally:
            if was_enabled:
                gc.enable()
        return list(range(first, self.broker.next_deal))

    def step(self, at: float) -> None:
        """One event, one deal."""
        rng, b = self.rng, self.broker
        r = rng.random()
        if r < 0.002 or not b.account["balance"]:
            b.deposit(rng.choice((1000.0, 5000.0)) if b.account["balance"] else 100_000.0, at=at)
        elif len(self.open_ids) < self.open_target and (r < 0.5 or len(self.open_ids) < 3):
            self._open(at)
        else:
            pid = self.open_ids[int(rng.random() * len(self.open_ids))]
            self._move(b.positions[pid].symbol)
            pos = b.positions[pid]
            if pid not in self.partial and pos.volume >= 0.02 and r < 0.75:
                self.partial.add(pid)
                b.close(pid, round(pos.volume / 2, 2), at=at)
            else:
                self.open_ids.remove(pid)
                self.partial.discard(pid)
                b.close(pid, at=at, reason=t.DEAL_REASON_TP if r > 0.9 else 0)

    def _open(self, at: float) -> None:
        rng = self.rng
        sym = SYMBOLS[int(rng.random() * len(SYMBOLS))]
        self._move(sym)
        lots = LOTS[int(rng.random() * len(LOTS))]
        side = "buy" if rng.random() < 0.5 else "sell"
        self.open_ids.append(self.broker.open(sym, side, lots, commission=-3.5 * lots, at=at))

    def _move(self, sym: str) -> None:
        spec = self.broker.symbols[sym]
        _, spread, digits, step = MARKETS[sym]
        bid = round(max(spec.bid + self.rng.uniform(-step, step), step), digits)
        spec.bid, spec.ask = bid, round(bid + spread, digits)


def build_synthetic(deals: int = 100_000, seed: int = 1, *,
                    clock: Callable[[], float] = time.time,
                    server_utc_offset_minutes: int = 0, login: int = 7_000_001,
                    server: str = "MT5Tray-Synthetic", spacing: float = 60.0) -> SimulatedMT5:
    """A simulator with `deals` deals, `spacing` seconds apart, ending about now."""
    sim = SimulatedMT5(server_utc_offset_minutes=server_utc_offset_minutes, clock=clock)
    broker = sim.add_account(login, server=server, name="Synthetic Trader",
                             margin_mode=t.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING, leverage=500)
    trader = SyntheticTrader(broker, seed)
    trader.add_deals(deals, start_utc=clock() - deals * spacing, spacing=spacing)
    sim.synthetic_trader = trader
    return sim
