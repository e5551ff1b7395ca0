"""The live demo: a seeded hedging account whose history grows with the clock.

Trading happens on a fixed grid of 30-minute slots counted from a fixed
anchor (2026-08-01 00:00 UTC). Slot k's event (its minute, the price moves
and what is traded) comes from a RNG seeded by (seed, k) and the books as
slot k-1 left them, so every process replays the same past whenever it
starts, and a running app sees new deals appear as slots pass. A slot is
played only once its event time has passed. Prices are a seeded random walk
per symbol; between slots ticks wobble around the walk so they move.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timezone

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.broker import Broker
from mt5tray.terminal.sim.simulator import SimulatedMT5

ANCHOR_UTC = int(datetime(2026, 8, 1, tzinfo=timezone.utc).timestamp())
SLOT_SECONDS = 30 * 60
DEMO_LOGIN = 5090001
DEMO_SERVER = "MT5Tray-Demo"
DEMO_OFFSET_MINUTES = 120  # the demo server's winter offset
DEMO_SERVER_TIMEZONE = "ny-close"  # GMT+2/+3 on US dates, as most MT5 brokers (issue 10)
EA_MAGIC = 20260801
_SQRT12 = math.sqrt(12)

# symbol: (start mid, spread, digits, volatility per slot, lot sizes)
MARKETS: dict[str, tuple[float, float, int, float, tuple[float, ...]]] = {
    "EURUSD": (1.0850, 0.00012, 5, 0.0007, (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)),
    "GBPUSD": (1.2700, 0.00018, 5, 0.0008, (0.01, 0.05, 0.1, 0.3, 0.5)),
    "USDJPY": (147.50, 0.015, 3, 0.0008, (0.01, 0.05, 0.1, 0.2, 0.5)),
    "XAUUSD": (2400.0, 0.25, 2, 0.0012, (0.01, 0.02, 0.05, 0.1)),
}


class LiveDemo:
    """Plays the demo's slots into a broker, up to any moment (a simulator ticker)."""

    def __init__(self, broker: Broker, seed: int, anchor_utc: int = ANCHOR_UTC,
                 slot_seconds: int = SLOT_SECONDS) -> None:
        self.broker, self.seed = broker, seed
        self.anchor, self.slot = anchor_utc, slot_seconds
        self.next_slot = 0
        self.mid = {sym: m[0] for sym, m in MARKETS.items()}
        for sym in MARKETS:
            broker.symbols[sym] = SymbolSpec(0.0, 0.0, digits=MARKETS[sym][2])
            self._quote(sym, self.mid[sym])

    def __call__(self, now_utc: float) -> None:
        self.advance(now_utc)

    def advance(self, now_utc: float) -> None:
        """Play every slot whose event time is <= now, then quote live prices."""
        while True:
            k = self.next_slot
            start = self.anchor + k * self.slot
            rng = random.Random((self.seed << 32) + k)
            at = start + rng.randrange(self.slot)
            if at > now_utc:
                break
            self.next_slot += 1
            self._play(k, at, rng)
        self._wobble(now_utc)

    def _play(self, k: int, at: float, rng: random.Random) -> None:
        mid, random_ = self.mid, rng.random
        for sym, (_, _, _, vol, _) in MARKETS.items():
            # A uniform step with the slot's standard deviation: cheaper than gauss.
            mid[sym] *= 1.0 + (random_() - 0.5) * vol * _SQRT12
        if self._crosses_server_midnight(k):
            self._charge_swaps(at, rng)
        if k == 0:
            self.broker.deposit(10_000.0, "Initial deposit", at=at)
            return
        r = random_()
        if r >= 0.25:  # not a quiet slot: trade at this slot's prices
            for sym, price in mid.items():
                self._quote(sym, price)
        self._trade(rng, r, at)

    def _trade(self, rng: random.Random, r: float, at: float) -> None:
        b, n = self.broker, len(self.broker.positions)
        if r < 0.004:
            b.deposit(rng.choice((500.0, 1000.0, 2500.0)), "Deposit", at=at)
        elif r < 0.010:
            b.charge_commission(round(rng.uniform(1.0, 15.0), 2), "Platform fee", at=at)
        elif r < 0.25:
            return  # a quiet slot
        elif n < 4 or (n < 12 and r < 0.6):
            self._open(rng, at)
        elif r < 0.72:
            self._partial_close(rng, at)
        elif r < 0.74 and self._close_by(rng, at):
            return
        else:
            self._close(rng, at)

    def _open(self, rng: random.Random, at: float) -> None:
        sym = rng.choice(sorted(MARKETS))
        side = rng.choice(("buy", "sell"))
        volume = rng.choice(MARKETS[sym][4])
        price = self.broker.market_price(sym, 0 if side == "buy" else 1)
        away = price * 0.004 * (1 if side == "buy" else -1)
        digits = MARKETS[sym][2]
        sl, tp = (round(price - away, digits), round(price + away * 1.5, digits))
        expert = rng.random() < 0.4
        self.broker.open(
            sym, side, volume, sl=sl if rng.random() < 0.7 else 0.0,
            tp=tp if rng.random() < 0.6 else 0.0, commission=-max(0.01, round(3.5 * volume, 2)),
            magic=EA_MAGIC if expert else 0, comment="demo EA" if expert else "",
            reason=t.DEAL_REASON_EXPERT if expert else t.DEAL_REASON_CLIENT, at=at)

    def _partial_close(self, rng: random.Random, at: float) -> None:
        candidates = [p for p in self.broker.positions.values() if p.volume >= 0.02]
        if not candidates:
            return self._close(rng, at)
        pos = rng.choice(candidates)
        part = max(0.01, round(pos.volume * rng.choice((0.25, 0.5)), 2))
        self.broker.close(pos.identifier, part, at=at)

    def _close(self, rng: random.Random, at: float) -> None:
        if not self.broker.positions:
            return
        pos = rng.choice(list(self.broker.positions.values()))
        roll = rng.random()
        reason = t.DEAL_REASON_TP if roll < 0.2 else t.DEAL_REASON_SL if roll < 0.4 else 0
        self.broker.close(pos.identifier, reason=reason, at=at)

    def _close_by(self, rng: random.Random, at: float) -> bool:
        positions = list(self.broker.positions.values())
        pairs = [(a, b) for a in positions for b in positions
                 if a.symbol == b.symbol and a.type == t.POSITION_TYPE_BUY != b.type]
        if not pairs:
            return False
        first, second = rng.choice(pairs)
        self.broker.close_by(first.identifier, second.identifier, at=at)
        return True

    def _charge_swaps(self, at: float, rng: random.Random) -> None:
        """Overnight: swap accrues on every open position (triple on Wednesday)."""
        server_day = datetime.fromtimestamp(self.broker.clock.server_time(at), timezone.utc)
        triple = 3 if server_day.weekday() == 2 else 1
        for pos in self.broker.positions.values():
            rate = -0.6 if rng.random() < 0.85 else 0.25
            self.broker.accrue_swap(pos.identifier, round(rate * pos.volume * 10 * triple, 2))

    def _crosses_server_midnight(self, k: int) -> bool:
        clock = self.broker.clock
        start = self.anchor + k * self.slot
        return k > 0 and (clock.server_time(start) // 86400
                          != clock.server_time(start - self.slot) // 86400)

    def _quote(self, sym: str, mid: float) -> None:
        spread, digits = MARKETS[sym][1], MARKETS[sym][2]
        spec = self.broker.symbols[sym]
        spec.bid = round(mid - spread / 2, digits)
        spec.ask = round(spec.bid + spread, digits)

    def _wobble(self, now_utc: float) -> None:
        """Ticks between slots: a small deterministic move every 2 seconds."""
        for i, sym in enumerate(sorted(MARKETS)):
            rng = random.Random(f"mt5tray-tick:{self.seed}:{i}:{int(now_utc // 2)}")
            self._quote(sym, self.mid[sym] * (1 + (rng.random() - 0.5) * MARKETS[sym][3] / 2))


def build_live_demo(seed: int = 7, clock: Callable[[], float] | None = None) -> SimulatedMT5:
    """A SimulatedMT5 holding the demo account, played up to the clock's now."""
    sim = SimulatedMT5(server_timezone=DEMO_SERVER_TIMEZONE, clock=clock)
    broker = sim.add_account(DEMO_LOGIN, server=DEMO_SERVER, name="Demo Trader",
                             company="mt5tray simulator", leverage=100,
                             trade_mode=t.ACCOUNT_TRADE_MODE_DEMO,
                             margin_mode=t.ACCOUNT_MARGIN_MODE_RETAIL_HEDGING)
    demo = LiveDemo(broker, seed)
    demo.advance(sim.clock.utc())
    sim.tickers.append(demo)
    return sim
