"""Hand-written fakes at the ports, for core tests that need exact control.

`FakeTerminal` answers like an MT5 terminal already translated by an adapter
(server-clock times, typed errors); the simulator covers the MT5 API itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mt5tray.core.errors import AccountMismatch, Mt5TrayError
from mt5tray.core.models import (
    AccountRef,
    TerminalAccount,
    TerminalDeal,
    TerminalPosition,
    TerminalStatus,
)

BUY, SELL = 0, 1
IN, OUT, INOUT, OUT_BY = 0, 1, 2, 3


def deal(
    ticket: int, position_id: int, time: int, type: int = BUY, entry: int = IN,
    volume: float = 1.0, price: float = 1.1, profit: float = 0.0, commission: float = 0.0,
    swap: float = 0.0, fee: float = 0.0, symbol: str = "EURUSD", reason: int = 0,
    magic: int = 0, comment: str = "",
) -> TerminalDeal:
    return TerminalDeal(
        ticket=ticket, order=ticket + 1000, time=time, time_msc=time * 1000, type=type,
        entry=entry, magic=magic, position_id=position_id, reason=reason, volume=volume,
        price=price, commission=commission, swap=swap, profit=profit, fee=fee, symbol=symbol,
        comment=comment, external_id="",
    )


def balance_deal(ticket: int, time: int, amount: float, type: int = 2) -> TerminalDeal:
    return TerminalDeal(ticket, 0, time, time * 1000, type, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0,
                        amount, 0.0, "", "deposit", "")


def position(
    identifier: int, time: int, type: int = BUY, volume: float = 1.0, price_open: float = 1.1,
    price_current: float = 1.2, profit: float = 10.0, symbol: str = "EURUSD",
    sl: float = 0.0, tp: float = 0.0,
) -> TerminalPosition:
    return TerminalPosition(
        ticket=identifier, time=time, time_msc=time * 1000, time_update=time,
        time_update_msc=time * 1000, type=type, magic=0, identifier=identifier, reason=0,
        volume=volume, price_open=price_open, sl=sl, tp=tp, price_current=price_current,
        swap=0.0, profit=profit, symbol=symbol, comment="", external_id="",
    )


def account(login: int = 1001, server: str = "Demo-Server", balance: float = 1000.0,
            margin_mode: int = 2) -> TerminalAccount:
    return TerminalAccount(
        login=login, server=server, name="Trader", company="Broker", currency="USD",
        leverage=100, trade_mode=0, margin_mode=margin_mode, balance=balance, credit=0.0,
        profit=0.0, equity=balance, margin=0.0, margin_free=balance, margin_level=0.0,
    )


@dataclass
class FakeTerminal:
    """An account's deals and positions, on a server clock `offset` minutes
    ahead of UTC; `now` is true UTC (seconds)."""

    acct: TerminalAccount = field(default_factory=account)
    deals_: list[TerminalDeal] = field(default_factory=list)
    positions_: list[TerminalPosition] = field(default_factory=list)
    offset_minutes: int = 120
    now: float = 1_700_000_000.0
    fail_on_open: Mt5TrayError | None = None
    switch_to_after_read: int | None = None
    calls: list[str] = field(default_factory=list)
    deals_reads: int = 0

    def open(self, ref: AccountRef) -> TerminalAccount:
        self.calls.append("open")
        if self.fail_on_open is not None:
            raise self.fail_on_open
        if ref.login is not None and ref.login != self.acct.login:
            raise AccountMismatch(f"logged into {self.acct.login}, not {ref.login}")
        return self.acct

    def account(self) -> TerminalAccount:
        if self.switch_to_after_read is not None and self.deals_reads:
            return account(login=self.switch_to_after_read)
        return self.acct

    def status(self) -> TerminalStatus:
        return TerminalStatus(True, 4000, "MetaTrader 5", "Broker", "C:/MT5")

    def positions(self) -> list[TerminalPosition]:
        return list(self.positions_)

    def deals(self, date_from: int, date_to: int) -> list[TerminalDeal]:
        self.deals_reads += 1
        self.calls.append(f"deals {date_from} {date_to}")
        return [d for d in self.deals_ if date_from <= d.time <= date_to]

    def position_deals(self, position_id: int) -> list[TerminalDeal]:
        self.calls.append(f"position {position_id}")
        return [d for d in self.deals_ if d.position_id == position_id]

    def tick_time(self, symbol: str) -> int | None:
        return int(self.now) + self.offset_minutes * 60

    def symbol_names(self, group: str) -> list[str]:
        return []  # no price history here: the clock falls back to the tick's offset

    def bar_times(self, symbol: str, date_from: int, date_to: int) -> list[int]:
        return []

    def close(self) -> None:
        self.calls.append("close")
