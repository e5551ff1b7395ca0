"""The simulated terminal's data calls: positions, orders, history and ticks.

A mixin of SimulatedMT5 that follows mt5-api.md section 1 to the letter:
positional-only vs keyword arguments, `None` on error vs `()` for no match,
ticket > symbol > group precedence, the three forms of `history_*_get`, and
inclusive date ranges read the way the wheel reads them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim import bars
from mt5tray.terminal.sim.book import Timeline
from mt5tray.terminal.sim.callargs import (
    INVALID_ARGS,
    NOT_FOUND,
    UNNAMED_ARGS,
    BadArgument,
    check_symbol,
    check_ticket,
    group_matcher,
    no_keywords,
    to_epoch,
)
from mt5tray.terminal.sim.plumbing import SimulatorPlumbing


class QueryCalls(SimulatorPlumbing):
    """Data calls of the MetaTrader5 API; needs the SimulatedMT5 plumbing."""

    # --- positions and active orders --------------------------------------------

    def positions_total(self) -> int | None:
        with self._lock:
            return len(self.broker.positions) if self._enter() else None

    def positions_get(self, *args: Any, symbol: Any = None, group: Any = None,
                      ticket: Any = None, **_ignored: Any) -> tuple[Any, ...] | None:
        with self._lock:
            if not self._enter():
                return None
            return self._select(args, self.broker.position_tuples, symbol, group, ticket)

    def orders_total(self) -> int | None:
        with self._lock:
            return len(self.broker.orders) if self._enter() else None

    def orders_get(self, *args: Any, symbol: Any = None, group: Any = None,
                   ticket: Any = None, **_ignored: Any) -> tuple[Any, ...] | None:
        with self._lock:
            if not self._enter():
                return None
            return self._select(args, lambda: list(self.broker.orders), symbol, group, ticket)

    def _select(self, args: Sequence[Any], items: Callable[[], list[Any]], symbol: Any,
                group: Any, ticket: Any) -> tuple[Any, ...] | None:
        """The filter of positions_get/orders_get: ticket beats symbol beats group."""
        try:
            if args:
                raise BadArgument(UNNAMED_ARGS)
            if ticket is not None:
                wanted = check_ticket(ticket)
                return tuple(x for x in items() if x.ticket == wanted)[:1]
            if symbol is not None:
                name = check_symbol(symbol)
                return tuple(x for x in items() if x.symbol == name)
            if group is not None:
                matches = group_matcher(group)
                return tuple(x for x in items() if matches(x.symbol))
            return tuple(items())
        except BadArgument as e:
            self._fail(e.error)
            return None

    # --- history ----------------------------------------------------------------

    def history_deals_total(self, *args: Any, **kwargs: Any) -> int | None:
        no_keywords("history_deals_total", kwargs)
        return self._history_total(args, "deals")

    def history_orders_total(self, *args: Any, **kwargs: Any) -> int | None:
        no_keywords("history_orders_total", kwargs)
        return self._history_total(args, "history_orders")

    def history_deals_get(self, *args: Any, group: Any = None, ticket: Any = None,
                          position: Any = None, **_ignored: Any) -> tuple[Any, ...] | None:
        with self._lock:
            return self._history_get(args, "deals", group, ticket, position)

    def history_orders_get(self, *args: Any, group: Any = None, ticket: Any = None,
                           position: Any = None, **_ignored: Any) -> tuple[Any, ...] | None:
        with self._lock:
            return self._history_get(args, "history_orders", group, ticket, position)

    def _history_total(self, args: Sequence[Any], which: str) -> int | None:
        with self._lock:
            if not self._enter():
                return None
            timeline: Timeline = getattr(self.broker, which)
            try:
                if len(args) != 2:
                    raise BadArgument(INVALID_ARGS)
                return len(timeline.between(to_epoch(args[0]), to_epoch(args[1])))
            except BadArgument as e:
                self._fail(e.error)
                return None

    def _history_get(self, args: Sequence[Any], which: str, group: Any, ticket: Any,
                     position: Any) -> tuple[Any, ...] | None:
        if not self._enter():
            return None
        timeline: Timeline = getattr(self.broker, which)
        try:
            if len(args) == 2:  # by range: ticket= and position= are ignored
                # to_epoch refuses dates past 2038-01-19 03:14:07 as the wheel does
                # (mt5-api.md 1.1, PyLong_AsLong is 32-bit on Windows), so a deal
                # dated later is out of every by-date query's reach.
                found = timeline.between(to_epoch(args[0]), to_epoch(args[1]))
                if group is not None:
                    matches = group_matcher(group)
                    found = [x for x in found if matches(x.symbol)]
                return tuple(found)
            if args:
                raise BadArgument(INVALID_ARGS)
            if ticket is not None:  # at most one record (the module reads one back)
                record = timeline.by_ticket.get(check_ticket(ticket))
                return () if record is None else (record,)
            if position is not None:
                return tuple(timeline.of_position(check_ticket(position)))
            raise BadArgument(INVALID_ARGS)  # no range and no ticket: no "all history"
        except BadArgument as e:
            self._fail(e.error)
            return None

    # --- symbols and ticks ---------------------------------------------------------

    def symbol_select(self, *args: Any, **kwargs: Any) -> bool:
        no_keywords("symbol_select", kwargs)
        with self._lock:
            if not self._enter():
                return False
            if len(args) not in (1, 2) or not isinstance(args[0], str):
                self._fail(INVALID_ARGS)
                return False
            spec = self.broker.symbols.get(args[0])
            if spec is None:
                self._fail(NOT_FOUND)
                return False
            spec.selected = bool(args[1]) if len(args) == 2 else True
            return True

    def symbol_info_tick(self, *args: Any, **kwargs: Any) -> Any:
        no_keywords("symbol_info_tick", kwargs)
        with self._lock:
            if not self._enter():
                return None
            try:
                if len(args) != 1:
                    raise BadArgument(INVALID_ARGS)
                spec = self.broker.symbols.get(check_symbol(args[0]))
            except BadArgument as e:
                self._fail(e.error)
                return None
            if spec is None or not spec.selected:  # outside Market Watch: nothing
                self._fail(NOT_FOUND)
                return None
            server_now = self._server_now()
            if bars.is_fx(args[0]):  # no ticks while the FX market is closed (weekends)
                clock = self.clock  # type: ignore[attr-defined]
                server_now = min(server_now, clock.server_time(
                    bars.last_quote_utc(clock.utc_of(server_now))))
            msc = int((server_now - spec.stale_seconds) * 1000)
            flags = t.TICK_FLAG_BID | t.TICK_FLAG_ASK
            return t.Tick(msc // 1000, spec.bid, spec.ask, spec.last, 0, msc, flags, 0.0)

    def symbol_info(self, *args: Any, **kwargs: Any) -> Any:
        """A SymbolInfo with the fields a journal might read; the rest are zero."""
        no_keywords("symbol_info", kwargs)
        with self._lock:
            tick = self.symbol_info_tick(*args)
            return None if tick is None else self._symbol_info(args[0], tick)

    def _symbol_info(self, name: str, tick: Any) -> Any:
        spec = self.broker.symbols[name]
        info = t.empty_record("SymbolInfo")
        info.update(
            name=name, path=f"Simulated\\{name}", select=int(spec.selected),
            visible=int(spec.selected), time=tick.time, digits=spec.digits, bid=spec.bid,
            ask=spec.ask, last=spec.last, point=10.0**-spec.digits,
            trade_contract_size=spec.contract(name), volume_min=0.01, volume_max=100.0,
            volume_step=0.01, currency_base=name[:3], currency_profit=name[3:6],
            currency_margin=name[:3], description=name,
        )
        return t.SymbolInfo(**info)
