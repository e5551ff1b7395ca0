"""A small simulated broker: trading actions that leave consistent books.

Each action writes what a real trade server would: a filled order, the
deals it produced, the position change and the account balance, so that
balance == sum(profit + commission + swap + fee) over all non-credit deals
and credit == the sum over credit deals. Hedging and netting follow
mt5-api.md G11/G12: partial closes share the position id; close-by makes one
CLOSE_BY order and two OUT_BY deals priced at the position_by's open price
with the P/L on the first; on a netting account an opposite order larger
than the position is one INOUT deal that keeps the identifier but gives the
position the reversing order's ticket. `at` arguments are real UTC epoch
seconds (default: the clock's now); everything stored is on the server clock.
"""

from __future__ import annotations

from typing import Any

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim.book import (
    AccountBook,
    Position,
    ServerClock,
    SymbolSpec,
    Timeline,
    trade_profit,
)

EPS = 1e-9


def side_type(side: str | int) -> int:
    """'buy'/'sell' (or 0/1) -> POSITION_TYPE_*."""
    if side in ("buy", t.POSITION_TYPE_BUY):
        return t.POSITION_TYPE_BUY
    if side in ("sell", t.POSITION_TYPE_SELL):
        return t.POSITION_TYPE_SELL
    raise ValueError(f"side must be 'buy' or 'sell', not {side!r}")


class Broker(AccountBook):
    """An account's books plus the actions that change them."""

    def __init__(self, account: dict[str, Any], clock: ServerClock | None = None,
                 symbols: dict[str, SymbolSpec] | None = None,
                 password: str | None = None) -> None:
        super().__init__(account, symbols, password)
        self.clock = clock or ServerClock()

    # --- account operations (symbol '', position 0, order 0: G13) ------------

    def deposit(self, amount: float, comment: str = "Deposit", at: float | None = None) -> int:
        return self.balance_operation(t.DEAL_TYPE_BALANCE, abs(amount), comment, at)

    def withdraw(self, amount: float, comment: str = "Withdrawal", at: float | None = None) -> int:
        return self.balance_operation(t.DEAL_TYPE_BALANCE, -abs(amount), comment, at)

    def credit(self, amount: float, comment: str = "Credit", at: float | None = None) -> int:
        return self.balance_operation(t.DEAL_TYPE_CREDIT, amount, comment, at)

    def charge_commission(self, amount: float, comment: str = "Commission",
                          at: float | None = None) -> int:
        return self.balance_operation(t.DEAL_TYPE_COMMISSION, -abs(amount), comment, at)

    def balance_operation(self, deal_type: int, amount: float, comment: str = "",
                          at: float | None = None) -> int:
        """Any account deal (balance, credit, charge, correction, commission, ...)."""
        msc = self._msc(at)
        deal = t.TradeDeal(self._deal_ticket(), 0, msc // 1000, msc, deal_type,
                           t.DEAL_ENTRY_IN, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, round(float(amount), 2),
                           0.0, "", comment, "")
        self.book_deal(deal)
        return deal.ticket

    # --- trading --------------------------------------------------------------

    def open(self, symbol: str, side: str | int, volume: float, price: float | None = None,
             sl: float = 0.0, tp: float = 0.0, commission: float = 0.0, fee: float = 0.0,
             magic: int = 0, comment: str = "", reason: int = t.DEAL_REASON_CLIENT,
             at: float | None = None) -> int:
        """A market order; returns the position identifier it opened or changed."""
        ptype = side_type(side)
        _check_volume(volume)
        if self.netting:
            current = next((p for p in self.positions.values() if p.symbol == symbol), None)
            if current is not None:
                return self._net(current, ptype, volume, price, commission, fee, magic,
                                 comment, reason, at)
        msc = self._msc(at)
        fill = price or self.market_price(symbol, ptype)
        order = self._order_ticket()
        self.positions[order] = Position(order, order, symbol, ptype, volume, fill, msc, msc,
                                         magic, min(reason, t.DEAL_REASON_EXPERT), sl, tp,
                                         comment=comment)
        self._fill(order, ptype, msc, symbol, volume, fill, t.DEAL_ENTRY_IN, order, reason,
                   magic=magic, comment=comment, commission=commission, fee=fee, sl=sl, tp=tp)
        return order

    def close(self, position_id: int, volume: float | None = None, price: float | None = None,
              reason: int = t.DEAL_REASON_CLIENT, commission: float = 0.0, fee: float = 0.0,
              comment: str = "", at: float | None = None) -> int:
        """Close all of a position, or part when `volume` is smaller; returns the deal ticket."""
        pos = self.position(position_id)
        vol = pos.volume if volume is None else volume
        _check_volume(vol)
        if vol > pos.volume + EPS:
            raise ValueError(f"cannot close {vol} lots of position {position_id}: "
                             f"only {pos.volume} open")
        close_type = 1 - pos.type
        fill = price or self.market_price(pos.symbol, close_type)
        if not comment and reason in (t.DEAL_REASON_SL, t.DEAL_REASON_TP):
            comment = f"[{'sl' if reason == t.DEAL_REASON_SL else 'tp'} {fill}]"
        msc = self._msc(at)
        profit = self._profit(pos, vol, fill)
        swap = self._take_swap(pos, vol)
        deal = self._fill(self._order_ticket(), close_type, msc, pos.symbol, vol, fill,
                          t.DEAL_ENTRY_OUT, pos.identifier, reason, magic=pos.magic,
                          comment=comment, commission=commission, fee=fee, profit=profit,
                          swap=swap)
        self._reduce(pos, vol, msc)
        return deal

    def close_by(self, position_id: int, opposite_id: int, at: float | None = None) -> int:
        """Close a position by an opposite one (hedging); returns the CLOSE_BY order."""
        pos, by = self.position(position_id), self.position(opposite_id)
        if self.netting or pos.symbol != by.symbol or pos.type == by.type:
            raise ValueError("close-by needs two opposite positions on one symbol "
                             "of a hedging account")
        vol, fill, msc = min(pos.volume, by.volume), by.price_open, self._msc(at)
        order = self._order_ticket()
        self._add_order(order, 1 - pos.type, msc, pos.symbol, vol, fill, pos.identifier,
                        t.ORDER_TYPE_CLOSE_BY, position_by=by.identifier)
        # The pair's P/L goes on the first deal only; both are priced at by's open.
        self._deal(order, 1 - pos.type, msc, pos.symbol, vol, fill, t.DEAL_ENTRY_OUT_BY,
                   pos.identifier, 0, pos.magic, "", profit=self._profit(pos, vol, fill),
                   swap=self._take_swap(pos, vol))
        self._deal(order, 1 - by.type, msc, by.symbol, vol, fill, t.DEAL_ENTRY_OUT_BY,
                   by.identifier, 0, by.magic, "", swap=self._take_swap(by, vol))
        self._reduce(pos, vol, msc)
        self._reduce(by, vol, msc)
        return order

    def accrue_swap(self, position_id: int, amount: float) -> None:
        """Overnight swap: it accumulates on the position and is booked on the closing deal."""
        pos = self.position(position_id)
        pos.swap = round(pos.swap + amount, 2)

    def rollover(self, position_id: int, price: float | None = None,
                 at: float | None = None) -> None:
        """Swap charged by re-opening (netting/exchange): an OUT and an IN deal with
        reason ROLLOVER; the position reopens at `price` with the same identifier."""
        pos = self.position(position_id)
        fill = price or self.market_price(pos.symbol, 1 - pos.type)
        msc = self._msc(at)
        profit, swap = self._profit(pos, pos.volume, fill), self._take_swap(pos, pos.volume)
        for deal_type, entry, money in ((1 - pos.type, t.DEAL_ENTRY_OUT, (profit, swap)),
                                        (pos.type, t.DEAL_ENTRY_IN, (0.0, 0.0))):
            self._fill(self._order_ticket(), deal_type, msc, pos.symbol, pos.volume, fill,
                       entry, pos.identifier, t.DEAL_REASON_ROLLOVER, magic=pos.magic,
                       profit=money[0], swap=money[1])
        pos.price_open, pos.time_update_msc = fill, msc

    def place_order(self, symbol: str, order_type: int, volume: float, price: float,
                    sl: float = 0.0, tp: float = 0.0, magic: int = 0, comment: str = "",
                    at: float | None = None) -> int:
        """A pending order (limit/stop) that stays active; returns its ticket."""
        msc, ticket = self._msc(at), self._order_ticket()
        spec = self.symbols.get(symbol)
        self.orders.append(t.TradeOrder(
            ticket, msc // 1000, msc, 0, 0, 0, order_type, t.ORDER_TIME_GTC,
            t.ORDER_FILLING_RETURN, t.ORDER_STATE_PLACED, magic, 0, 0, 0, volume, volume,
            price, sl, tp, spec.bid if spec else price, 0.0, symbol, comment, ""))
        return ticket

    def cancel_order(self, ticket: int, at: float | None = None) -> None:
        order = next(o for o in self.orders if o.ticket == ticket)
        self.orders.remove(order)
        msc = self._msc(at)
        self.history_orders.add(order._replace(
            time_done=msc // 1000, time_done_msc=msc, state=t.ORDER_STATE_CANCELED))

    # --- helpers ----------------------------------------------------------------

    def position(self, position_id: int) -> Position:
        try:
            return self.positions[position_id]
        except KeyError:
            raise ValueError(f"no open position {position_id}") from None

    def market_price(self, symbol: str, order_type: int) -> float:
        """Buys fill at the ask, sells at the bid."""
        spec = self.symbols.get(symbol)
        if spec is None:
            raise ValueError(f"unknown symbol {symbol!r}: add it to the symbols or pass price=")
        return spec.ask if order_type == t.ORDER_TYPE_BUY else spec.bid

    def set_price(self, symbol: str, bid: float, ask: float | None = None) -> None:
        spec = self.symbols.setdefault(symbol, SymbolSpec(bid, ask or bid))
        spec.bid, spec.ask = bid, bid if ask is None else ask

    def archive_deals(self, before: float, at: float | None = None) -> list[int]:
        """The broker archives (deletes) the deals of closed history before
        `before` (real UTC seconds) and leaves a 0.00 correction deal "Archived
        deals"; the balance stays, so the remaining deals no longer sum to it
        (mt5-api.md G3, from cookieboom/mt5-journal's deal model, trap 16).
        Deals of still-open positions are kept. Returns the archived tickets."""
        cutoff = int(self.clock.server_time(before) * 1000)
        open_ids = set(self.positions)
        archived = [d for d in self.deals.records
                    if d.time_msc < cutoff and d.position_id not in open_ids]
        gone = {d.ticket for d in archived}
        kept = Timeline("TradeDeal", "time_msc", "position_id")
        for deal in self.deals.records:
            if deal.ticket not in gone:
                kept.add(deal)
        self.deals = kept
        self.balance_operation(t.DEAL_TYPE_CORRECTION, 0.0, "Archived deals", at)
        return sorted(gone)

    def book_deal(self, deal: Any) -> None:
        """Record a deal and move the balance (or the credit) by its money."""
        self.deals.add(deal)
        money = deal.profit + deal.commission + deal.swap + deal.fee
        field = "credit" if deal.type == t.DEAL_TYPE_CREDIT else "balance"
        self.account[field] = round(self.account[field] + money, 2)
        self.pinned.clear()  # the books moved: derived fields are derived again

    def _net(self, pos: Position, ptype: int, volume: float, price: float | None,
             commission: float, fee: float, magic: int, comment: str, reason: int,
             at: float | None) -> int:
        """A netting account's order on a symbol that already has a position."""
        fill = price or self.market_price(pos.symbol, ptype)
        if ptype != pos.type and volume <= pos.volume + EPS:
            self.close(pos.identifier, volume, fill, reason, commission, fee, comment, at)
            return pos.identifier
        msc, order = self._msc(at), self._order_ticket()
        if ptype == pos.type:  # adding to the position: volume-weighted price
            total = pos.volume + volume
            pos.price_open = round((pos.price_open * pos.volume + fill * volume) / total, 8)
            pos.volume, pos.time_update_msc = round(total, 8), msc
            self._fill(order, ptype, msc, pos.symbol, volume, fill, t.DEAL_ENTRY_IN,
                       pos.identifier, reason, magic=magic, comment=comment,
                       commission=commission, fee=fee)
            return pos.identifier
        profit = self._profit(pos, pos.volume, fill)
        swap = self._take_swap(pos, pos.volume)
        self._fill(order, ptype, msc, pos.symbol, volume, fill, t.DEAL_ENTRY_INOUT,
                   pos.identifier, reason, magic=magic, comment=comment,
                   commission=commission, fee=fee, profit=profit, swap=swap)
        # Reversal: same identifier, new direction, and the reversing order's ticket.
        pos.type, pos.volume = ptype, round(volume - pos.volume, 8)
        pos.price_open, pos.ticket = fill, order
        pos.time_msc = pos.time_update_msc = msc
        return pos.identifier

    def _fill(self, order: int, order_type: int, msc: int, symbol: str, volume: float,
              price: float, entry: int, position_id: int, reason: int, *, magic: int = 0,
              comment: str = "", commission: float = 0.0, fee: float = 0.0,
              profit: float = 0.0, swap: float = 0.0, sl: float = 0.0, tp: float = 0.0) -> int:
        """A filled market order and its one deal."""
        self._add_order(order, order_type, msc, symbol, volume, price, position_id,
                        order_type, reason=reason, magic=magic, comment=comment, sl=sl, tp=tp)
        return self._deal(order, order_type, msc, symbol, volume, price, entry, position_id,
                          reason, magic, comment, commission=commission, fee=fee,
                          profit=profit, swap=swap)

    def _add_order(self, ticket: int, side: int, msc: int, symbol: str, volume: float,
                   price: float, position_id: int, order_type: int, *, reason: int = 0,
                   magic: int = 0, comment: str = "", sl: float = 0.0, tp: float = 0.0,
                   position_by: int = 0) -> None:
        order_reason = reason if reason <= t.ORDER_REASON_SO else t.ORDER_REASON_CLIENT
        self.history_orders.add(t.TradeOrder(
            ticket, msc // 1000, msc, msc // 1000, msc, 0, order_type, t.ORDER_TIME_GTC,
            t.ORDER_FILLING_FOK, t.ORDER_STATE_FILLED, magic, position_id, position_by,
            order_reason, volume, 0.0, price, sl, tp, price, 0.0, symbol, comment, ""))

    def _deal(self, order: int, deal_type: int, msc: int, symbol: str, volume: float,
              price: float, entry: int, position_id: int, reason: int, magic: int,
              comment: str, *, commission: float = 0.0, fee: float = 0.0,
              profit: float = 0.0, swap: float = 0.0) -> int:
        deal = t.TradeDeal(self._deal_ticket(), order, msc // 1000, msc, deal_type, entry,
                           magic, position_id, reason, float(volume), float(price),
                           round(float(commission), 2), round(float(swap), 2),
                           round(float(profit), 2), round(float(fee), 2), symbol, comment, "")
        self.book_deal(deal)
        return deal.ticket

    def _profit(self, pos: Position, volume: float, price: float) -> float:
        return trade_profit(pos.symbol, self.symbols.get(pos.symbol), pos.type, volume,
                            pos.price_open, price, self.account["currency"])

    def _take_swap(self, pos: Position, volume: float) -> float:
        """The accumulated swap is booked on closing deals, pro rata for partial closes."""
        share = pos.swap if volume >= pos.volume - EPS else round(pos.swap * volume / pos.volume, 2)
        pos.swap = round(pos.swap - share, 2)
        return share

    def _reduce(self, pos: Position, volume: float, msc: int) -> None:
        pos.volume = round(pos.volume - volume, 8)
        pos.time_update_msc = msc
        if pos.volume <= EPS:
            del self.positions[pos.identifier]

    def _msc(self, at: float | None) -> int:
        return round(self.clock.server_time(at) * 1000)

    def _order_ticket(self) -> int:
        self.next_order += 1
        return self.next_order - 1

    def _deal_ticket(self) -> int:
        self.next_deal += 1
        return self.next_deal - 1


def _check_volume(volume: float) -> None:
    if not volume > 0:
        raise ValueError(f"volume must be positive, not {volume}")
