"""Pure: rebuild one trade (the life of one position identifier) from deals.

A position may have several entry deals (partial fills), several exits
(partial closes, close-by `out_by`), and on netting accounts an `inout`
reversal that closes the open volume and opens the rest the other way, all
under one identifier. The trade is always rebuilt from *all* of the
position's deals so the result does not depend on which window was read.

Reversals (issue 9): the row never mixes two directions. An `inout` deal
starts a new leg: side, volume, open time and open price (and the exits,
closed_volume and close_price) describe the leg since the last reversal,
what the trader holds now; profit, commission, swap, fee and net_profit stay
sums over all of the position's deals, so the part closed before (and by)
the reversal keeps its realized P&L. README "Netting accounts" states it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from mt5tray.core.enums import EXIT_ENTRIES, NON_VOLUME_REASONS, PositionType
from mt5tray.core.ledger import server_ms_to_utc_iso_on
from mt5tray.core.models import Row, TerminalPosition
from mt5tray.core.server_clock import ServerClock, fixed_clock

_EPSILON = 1e-9


@dataclass(slots=True)
class _Leg:
    """Running volume and volume-weighted value of one side of a trade."""

    volume: float = 0.0
    value: float = 0.0

    def add(self, volume: float, price: float) -> None:
        self.volume += volume
        self.value += volume * price

    def vwap(self) -> float | None:
        return self.value / self.volume if self.volume > _EPSILON else None


@dataclass(slots=True)
class _Fold:
    entries: _Leg
    exits: _Leg
    profit: float = 0.0
    commission: float = 0.0
    swap: float = 0.0
    fee: float = 0.0
    opening: Row | None = None  # the position's first opening deal
    last_exit: Row | None = None
    leg_opening: Row | None = None  # the last reversal (`inout`), if any


def _amounts(deal: Row) -> Row:
    """A stored deal whose amount the terminal gave as NaN/inf holds NULL
    (core/clean.py): it counts as NaN, so every sum it enters is unknown
    (stored NULL too) rather than silently wrong."""
    if all(deal[k] is not None for k in _AMOUNTS):
        return deal
    return {**deal, **{k: math.nan for k in _AMOUNTS if deal[k] is None}}


_AMOUNTS = ("commission", "swap", "fee", "volume", "price", "profit")


def _fold_deals(deals: list[Row]) -> _Fold:
    fold = _Fold(entries=_Leg(), exits=_Leg())
    for deal in map(_amounts, deals):
        fold.commission += deal["commission"]
        fold.swap += deal["swap"]
        fold.fee += deal["fee"]
        entry = deal["entry"]
        counts_volume = deal["reason"] not in NON_VOLUME_REASONS
        if entry == "in":
            if counts_volume:
                fold.entries.add(deal["volume"], deal["price"])
            if fold.opening is None:
                fold.opening = deal
            fold.profit += deal["profit"] if not counts_volume else 0.0
        elif entry in EXIT_ENTRIES:
            if counts_volume:
                fold.exits.add(deal["volume"], deal["price"])
            fold.profit += deal["profit"]
            fold.last_exit = deal
        elif entry == "inout":
            _fold_reversal(fold, deal)
    return fold


def _fold_reversal(fold: _Fold, deal: Row) -> None:
    """An `inout` deal closes what is open and opens the remainder the other
    way: a new leg, whose side, volumes and prices replace the old leg's.
    Its profit is the closed part's realized P&L and stays in the sums."""
    still_open = max(fold.entries.volume - fold.exits.volume, 0.0)
    closing = min(still_open, deal["volume"])
    remainder = deal["volume"] - closing
    fold.profit += deal["profit"]
    if remainder <= _EPSILON:  # closed exactly: an exit, no new leg
        fold.exits.add(closing, deal["price"])
        fold.last_exit = deal
        return
    fold.entries, fold.exits = _Leg(), _Leg()
    fold.entries.add(remainder, deal["price"])
    fold.leg_opening = deal
    fold.last_exit = None
    if fold.opening is None:
        fold.opening = deal


def sort_deals(deals: Iterable[Row]) -> list[Row]:
    """Deals in the order they happened; ticket breaks ties within a ms."""
    unique = {deal["ticket"]: deal for deal in deals}
    return sorted(unique.values(), key=lambda d: (d["time_msc"], d["ticket"]))


def _side(fold: _Fold, position: TerminalPosition | None) -> str:
    if fold.leg_opening is not None:
        return str(fold.leg_opening["type"])
    if fold.opening is not None:
        return str(fold.opening["type"])
    if position is not None:
        return "buy" if position.type == PositionType.BUY else "sell"
    if fold.last_exit is not None:  # only exits known: an exit sells what was bought
        return "sell" if fold.last_exit["type"] == "buy" else "buy"
    return "buy"


def build_trade(
    account_id: str,
    position_id: int,
    deals: list[Row],
    position: TerminalPosition | None,
    clock: ServerClock | int,
    previous: Row | None = None,
) -> Row:
    """The `trades` row for one position.

    `deals` are the position's deal rows (any order, duplicates allowed);
    `position` is its open position, or None when the terminal no longer
    lists it (then the trade is closed). `previous` is the stored row, whose
    SL/TP survive the close (the terminal forgets them). `clock` (or a fixed
    offset in minutes) converts the position's own open time when no deal
    gives it.
    """
    ordered = sort_deals(deals)
    fold = _fold_deals(ordered)
    first = fold.opening or (ordered[0] if ordered else None)
    is_open = position is not None
    if fold.leg_opening is not None:
        open_time = fold.leg_opening["time"]
    elif first is not None:
        open_time = first["time"]
    elif position is not None:
        on = fixed_clock(clock) if isinstance(clock, int) else clock
        open_time = server_ms_to_utc_iso_on(position.time_msc or position.time * 1000, on)
    else:
        open_time = None
    volume = fold.entries.volume
    if volume <= _EPSILON and position is not None:
        volume = position.volume  # entry deal unknown: the open volume is all we know
    commission, swap, fee = fold.commission, fold.swap, fold.fee
    return {
        "account_id": account_id,
        "ticket": position_id,
        "symbol": (position.symbol if position else None) or (first["symbol"] if first else ""),
        "side": _side(fold, position),
        "status": "open" if is_open else "closed",
        "volume": volume,
        "closed_volume": fold.exits.volume,
        "open_time": open_time,
        "open_price": fold.entries.vwap() or (position.price_open if position else None),
        "close_time": None if is_open or fold.last_exit is None else fold.last_exit["time"],
        "close_price": fold.exits.vwap(),
        "sl": _level(position.sl) if position else (previous or {}).get("sl"),
        "tp": _level(position.tp) if position else (previous or {}).get("tp"),
        "current_price": position.price_current if position else None,
        "floating_profit": position.profit if position else None,
        "profit": fold.profit,
        "commission": commission,
        "swap": swap,
        "fee": fee,
        "net_profit": fold.profit + commission + swap + fee,
        "magic": first["magic"] if first else (position.magic if position else 0),
        "comment": first["comment"] if first else (position.comment if position else ""),
    }


def _level(value: float) -> float | None:
    """MT5 reports an unset SL/TP as 0.0; the journal stores NULL."""
    return value if value else None


def has_entry(deals: Iterable[Row]) -> bool:
    """Whether the opening of the position is among these deals."""
    return any(d["entry"] in ("in", "inout") for d in deals)
