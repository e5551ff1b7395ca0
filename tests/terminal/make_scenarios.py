"""Regenerates the example scenarios under tests/scenarios/ with the simulated
broker, so their numbers stay consistent (balance == sum of the deals' money).

Run: /work/venv/bin/python -m tests.terminal.make_scenarios
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.book import SymbolSpec
from mt5tray.terminal.sim.scenario_dump import dump_scenario, save_scenario
from mt5tray.terminal.sim.simulator import SimulatedMT5

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _server_clock(offset_minutes: int) -> Callable[..., float]:
    """at(...) takes server wall-clock fields and returns the real UTC epoch."""

    def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
           second: int = 0, ms: int = 0) -> float:
        server = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
        return server.timestamp() + ms / 1000 - offset_minutes * 60

    return at


def _symbols(**quotes: tuple[float, float, int]) -> dict[str, SymbolSpec]:
    return {name: SymbolSpec(bid, ask, digits=digits)
            for name, (bid, ask, digits) in quotes.items()}


def hedging_basic() -> SimulatedMT5:
    at = _server_clock(120)
    now = at(2026, 9, 4, 18, 0)
    sim = SimulatedMT5(server_utc_offset_minutes=120, clock=lambda: now)
    symbols = _symbols(EURUSD=(1.10650, 1.10662, 5), GBPUSD=(1.27010, 1.27028, 5),
                       XAUUSD=(2412.35, 2412.60, 2), USDJPY=(147.210, 147.225, 3))
    b = sim.add_account(1001001, server="MT5Tray-Sim", name="Hedging Trader", password="demo123",
                        symbols=symbols)
    b.deposit(10_000.0, "Initial deposit", at=at(2026, 9, 1, 9, 0))
    eur = b.open("EURUSD", "buy", 1.0, 1.10000, sl=1.09500, tp=1.10500, commission=-7.0,
                 at=at(2026, 9, 1, 10, 15, 3, 120))
    b.close(eur, price=1.10500, reason=t.DEAL_REASON_TP, at=at(2026, 9, 1, 15, 42, 10, 5))
    gbp = b.open("GBPUSD", "sell", 0.5, 1.27500, commission=-3.5, at=at(2026, 9, 1, 16, 0))
    b.close(gbp, 0.2, price=1.27300, at=at(2026, 9, 2, 9, 30))
    b.accrue_swap(gbp, -2.45)
    b.close(gbp, price=1.27650, fee=-0.3, at=at(2026, 9, 2, 14, 5))
    gold_buy = b.open("XAUUSD", "buy", 0.1, 2400.00, magic=424242, comment="grid EA",
                      reason=t.DEAL_REASON_EXPERT, at=at(2026, 9, 3, 8, 0))
    gold_sell = b.open("XAUUSD", "sell", 0.1, 2408.50, magic=424242, comment="grid EA",
                       reason=t.DEAL_REASON_EXPERT, at=at(2026, 9, 3, 11, 20))
    b.close_by(gold_buy, gold_sell, at=at(2026, 9, 3, 12, 0))
    b.charge_commission(12.5, "Monthly platform fee", at=at(2026, 9, 3, 23, 59, 59))
    b.withdraw(1000.0, "Withdrawal to card", at=at(2026, 9, 4, 9, 0))
    open_eur = b.open("EURUSD", "sell", 0.3, 1.10800, sl=1.11200, tp=1.10200, commission=-2.1,
                      at=at(2026, 9, 4, 10, 0))
    b.accrue_swap(open_eur, -1.2)
    b.open("USDJPY", "buy", 0.2, 147.000, commission=-1.4, at=at(2026, 9, 4, 11, 30))
    b.place_order("EURUSD", t.ORDER_TYPE_BUY_LIMIT, 0.5, 1.09800, sl=1.09300, tp=1.10500,
                  at=at(2026, 9, 4, 12, 0))
    return sim


def netting_reversal() -> SimulatedMT5:
    at = _server_clock(120)
    now = at(2026, 9, 10, 20, 0)
    sim = SimulatedMT5(server_utc_offset_minutes=120, clock=lambda: now)
    b = sim.add_account(1002002, server="MT5Tray-Sim", name="Netting Trader",
                        margin_mode=t.ACCOUNT_MARGIN_MODE_RETAIL_NETTING,
                        symbols=_symbols(EURUSD=(1.10150, 1.10162, 5),
                                         GBPUSD=(1.27010, 1.27028, 5)))
    b.deposit(5000.0, "Initial deposit", at=at(2026, 9, 7, 8, 0))
    eur = b.open("EURUSD", "buy", 1.0, 1.10000, commission=-7.0, at=at(2026, 9, 7, 9, 0))
    # Sell 1.5 against a 1.0 buy: one INOUT deal, the position turns into a 0.5 sell.
    b.open("EURUSD", "sell", 1.5, 1.10300, commission=-10.5, at=at(2026, 9, 7, 13, 0))
    b.accrue_swap(eur, -0.9)
    b.rollover(eur, price=1.10250, at=at(2026, 9, 8, 0, 0))
    b.open("EURUSD", "sell", 0.2, 1.10400, commission=-1.4, at=at(2026, 9, 8, 10, 0))
    gbp = b.open("GBPUSD", "buy", 0.3, 1.27000, commission=-2.1, at=at(2026, 9, 9, 9, 0))
    b.open("GBPUSD", "sell", 0.1, 1.27200, at=at(2026, 9, 9, 12, 0))  # a partial close
    b.close(gbp, price=1.26900, reason=t.DEAL_REASON_SL, at=at(2026, 9, 9, 15, 0))
    return sim


def midnight_offset() -> SimulatedMT5:
    at = _server_clock(180)
    now = at(2026, 10, 16, 12, 0)
    sim = SimulatedMT5(server_utc_offset_minutes=180, clock=lambda: now)
    b = sim.add_account(1003003, server="MT5Tray-Sim", name="Midnight Trader",
                        symbols=_symbols(EURUSD=(1.08150, 1.08162, 5),
                                         GBPUSD=(1.26010, 1.26028, 5)))
    b.deposit(2000.0, "Initial deposit", at=at(2026, 10, 14, 10, 0))
    # Server dates differ (14th vs 15th); both are on the 14th in UTC.
    eur = b.open("EURUSD", "buy", 0.5, 1.08000, commission=-3.5, at=at(2026, 10, 14, 23, 50))
    b.close(eur, price=1.08100, at=at(2026, 10, 15, 0, 10))
    # One server date (15th); in UTC the open is on the 14th and the close on the 15th.
    gbp = b.open("GBPUSD", "sell", 0.2, 1.26500, commission=-1.4, at=at(2026, 10, 15, 2, 45))
    b.close(gbp, price=1.26400, at=at(2026, 10, 15, 3, 15))
    # Exactly server midnight, and a fee charged half a second later.
    b.open("EURUSD", "sell", 0.1, 1.08200, commission=-0.7, at=at(2026, 10, 16, 0, 0))
    b.charge_commission(2.0, "Daily data fee", at=at(2026, 10, 16, 0, 0, 0, 500))
    return sim


def main() -> None:
    builders = {
        "hedging_basic": (hedging_basic, "Hedging account: deposit, TP close, partial close "
                          "with swap and fee, a close-by pair, commission and withdrawal, two "
                          "open positions, one pending order."),
        "netting_reversal": (netting_reversal, "Netting account: an INOUT reversal (ticket "
                             "changes, identifier stays), a rollover, an add-on, a partial and "
                             "an SL close; the EURUSD position is still open."),
        "midnight_offset": (midnight_offset, "Server clock UTC+3: deals around server "
                            "midnight whose UTC dates differ from their server dates."),
    }
    for name, (build, description) in builders.items():
        sim = build()
        path = SCENARIOS / f"{name}.json"
        save_scenario(sim, path, description, now_utc=sim.clock.utc())
        print(f"wrote {path} ({len(dump_scenario(sim)['deals'])} deals)")


if __name__ == "__main__":
    main()
