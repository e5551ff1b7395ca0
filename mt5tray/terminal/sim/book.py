"""One simulated account's books: what its terminal would hold in cache.

Owns the account record, the symbol table, open positions, active orders,
and the deal and order history with the indexes the simulator queries them
by (time range, ticket, position). It stores and answers; it does not trade
(broker.py does). All times are trade-server wall-clock (mt5-api.md G1).
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from mt5tray.core import server_clock as core_clock
from mt5tray.terminal import mt5_types as t


class ServerClock:
    """Real UTC (injectable) and the trade server's clock rule (issue 10:
    a zone such as GMT+2/US, so server time jumps at the real switch
    instants; a bare offset is a fixed clock)."""

    def __init__(self, utc: Callable[[], float] = time.time,
                 offset_minutes: int = 0, rule: core_clock.ServerClock | None = None) -> None:
        self.utc = utc
        self.rule = rule or core_clock.fixed_clock(offset_minutes)

    @property
    def offset_minutes(self) -> int:
        """The offset in force now (display; conversions use the rule)."""
        return self.rule.offset_at(self.utc())

    @offset_minutes.setter
    def offset_minutes(self, minutes: int) -> None:
        self.rule = core_clock.fixed_clock(minutes)

    def server_time(self, at_utc: float | None = None) -> float:
        """Server wall-clock epoch seconds for `at_utc` (default: now)."""
        return self.rule.to_server(self.utc() if at_utc is None else at_utc)

    def utc_of(self, server_seconds: float) -> float:
        """UTC epoch seconds of a server wall time."""
        return self.rule.to_utc(server_seconds)


@dataclass
class SymbolSpec:
    """A Market Watch entry: the prices ticks report, and how profit is computed."""

    bid: float
    ask: float
    last: float = 0.0
    contract_size: float = 0.0  # 0 = guess from the name (see contract_size())
    digits: int = 5
    stale_seconds: float = 0.0  # tick age, to simulate a quiet market or a weekend
    selected: bool = True  # in Market Watch; symbol_info_tick needs it

    def contract(self, symbol: str) -> float:
        return self.contract_size or contract_size(symbol)


def contract_size(symbol: str) -> float:
    if symbol.startswith("XAU"):
        return 100.0
    if symbol.startswith("XAG"):
        return 5000.0
    return 100_000.0


def trade_profit(symbol: str, spec: SymbolSpec | None, pos_type: int, volume: float,
                 price_open: float, price_close: float, currency: str) -> float:
    """Profit of closing `volume` at `price_close`, in the account currency."""
    diff = price_close - price_open if pos_type == t.POSITION_TYPE_BUY else price_open - price_close
    size = spec.contract(symbol) if spec else contract_size(symbol)
    value = diff * volume * size
    # USDJPY-style symbols quote in another currency: convert at the close price.
    if len(symbol) >= 6 and symbol[3:6] != currency and symbol[:3] == currency and price_close:
        value /= price_close
    return round(value, 2)


@dataclass
class Position:
    """An open position. `price_current`/`profit` None means priced live from
    the symbol table; scenario positions carry fixed values."""

    ticket: int
    identifier: int
    symbol: str
    type: int
    volume: float
    price_open: float
    time_msc: int
    time_update_msc: int
    magic: int = 0
    reason: int = 0
    sl: float = 0.0
    tp: float = 0.0
    swap: float = 0.0
    comment: str = ""
    external_id: str = ""
    price_current: float | None = None
    profit: float | None = None


class Timeline:
    """Records sorted by a millisecond time, indexed by ticket and position."""

    def __init__(self, type_name: str, msc_field: str, position_field: str) -> None:
        fields = t.TYPES[type_name]._fields
        self._msc_i, self._pos_i = fields.index(msc_field), fields.index(position_field)
        self.records: list[Any] = []
        self._msc: list[int] = []
        self.by_ticket: dict[int, Any] = {}
        self.by_position: dict[int, list[Any]] = {}

    def add(self, record: Any) -> None:
        msc = record[self._msc_i]
        if not self._msc or msc >= self._msc[-1]:
            self.records.append(record)
            self._msc.append(msc)
        else:  # an explicit earlier time: keep the history sorted
            i = bisect_right(self._msc, msc)
            self.records.insert(i, record)
            self._msc.insert(i, msc)
        self.by_ticket[record[0]] = record
        pos = record[self._pos_i]
        if pos:
            if pos in self.by_position:
                self.by_position[pos].append(record)
            else:
                self.by_position[pos] = [record]

    def between(self, date_from: int, date_to: int) -> list[Any]:
        """Records with date_from <= time (seconds) <= date_to, both inclusive."""
        lo = bisect_left(self._msc, date_from * 1000)
        hi = bisect_left(self._msc, (date_to + 1) * 1000)
        return self.records[lo:hi]

    def of_position(self, position_id: int) -> list[Any]:
        return sorted(self.by_position.get(position_id, ()), key=lambda r: r.ticket)


class AccountBook:
    """The account record, symbols, positions, orders and history of one login."""

    def __init__(self, account: dict[str, Any], symbols: dict[str, SymbolSpec] | None = None,
                 password: str | None = None) -> None:
        self.account = {**t.empty_record("AccountInfo"), **account}
        self.symbols: dict[str, SymbolSpec] = dict(symbols or {})
        self.password = password
        self.positions: dict[int, Position] = {}  # by identifier
        self.orders: list[Any] = []  # active (pending) TradeOrders
        self.deals = Timeline("TradeDeal", "time_msc", "position_id")
        self.history_orders = Timeline("TradeOrder", "time_setup_msc", "position_id")
        self.pinned: set[str] = set()  # account fields a scenario fixed explicitly
        self.next_order = 10_000_001
        self.next_deal = 5_000_001

    @property
    def login(self) -> int:
        return int(self.account["login"])

    @property
    def netting(self) -> bool:
        return self.account["margin_mode"] == t.ACCOUNT_MARGIN_MODE_RETAIL_NETTING

    def renumber_from(self, tickets: Iterable[int], deal_tickets: Iterable[int]) -> None:
        """Continue ticket sequences after everything already in the books."""
        self.next_order = max([self.next_order, *(x + 1 for x in tickets)])
        self.next_deal = max([self.next_deal, *(x + 1 for x in deal_tickets)])

    # --- views the simulator returns --------------------------------------

    def position_tuple(self, pos: Position) -> Any:
        price, profit = self._mark(pos)
        return t.TradePosition(
            pos.ticket, pos.time_msc // 1000, pos.time_msc, pos.time_update_msc // 1000,
            pos.time_update_msc, pos.type, pos.magic, pos.identifier, pos.reason, pos.volume,
            pos.price_open, pos.sl, pos.tp, price, pos.swap, profit, pos.symbol, pos.comment,
            pos.external_id,
        )

    def position_tuples(self) -> list[Any]:
        return [self.position_tuple(p) for p in self.positions.values()]

    def _mark(self, pos: Position) -> tuple[float, float]:
        if pos.price_current is not None and pos.profit is not None:
            return pos.price_current, pos.profit
        spec = self.symbols.get(pos.symbol)
        if spec is None:
            return pos.price_open, 0.0
        price = spec.bid if pos.type == t.POSITION_TYPE_BUY else spec.ask
        profit = trade_profit(pos.symbol, spec, pos.type, pos.volume, pos.price_open, price,
                              self.account["currency"])
        return price, profit

    def account_tuple(self) -> Any:
        """AccountInfo with profit/equity/margin derived from the open positions
        (unless a scenario pinned them)."""
        acc = dict(self.account)
        marks = [(p, *self._mark(p)) for p in self.positions.values()]
        derived = {
            "profit": round(sum(profit + p.swap for p, _, profit in marks), 2),
            "margin": round(sum(self._margin(p, price) for p, price, _ in marks), 2),
        }
        derived["equity"] = round(acc["balance"] + acc["credit"] + derived["profit"], 2)
        for name, value in derived.items():
            if name not in self.pinned:
                acc[name] = value
        if "margin_free" not in self.pinned:
            acc["margin_free"] = round(acc["equity"] - acc["margin"], 2)
        if "margin_level" not in self.pinned:  # a percentage; 0 when no margin is used
            level = acc["equity"] / acc["margin"] * 100 if acc["margin"] else 0.0
            acc["margin_level"] = round(level, 2)
        return t.AccountInfo(**acc)

    def _margin(self, pos: Position, price: float) -> float:
        leverage = self.account["leverage"] or 100
        spec = self.symbols.get(pos.symbol)
        notional = pos.volume * (spec.contract(pos.symbol) if spec else contract_size(pos.symbol))
        if pos.symbol[:3] != self.account["currency"]:
            notional *= price
        return notional / leverage
