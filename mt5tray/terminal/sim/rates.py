"""The simulated terminal's bar and symbol-list calls.

A mixin of SimulatedMT5, following the MetaTrader5 package's calling
conventions (mt5-api.md 1.1: `copy_*` and `symbols_total` are positional
only; `symbols_get(group=)` takes the group mask by keyword and filters it
client-side like history_*_get): `copy_rates_range(symbol, timeframe,
date_from, date_to)`, `copy_rates_from(symbol, timeframe, date_from, count)`
and `copy_rates_from_pos(symbol, timeframe, start_pos, count)` return numpy
structured arrays in time order (sim/bars.py has the session model), None
with last_error on a bad call. Bars exist for FX symbols in the account's
symbol table (suffixed names such as EURUSD.r included).
"""

from __future__ import annotations

from typing import Any

from mt5tray.terminal import mt5_types as t
from mt5tray.terminal.sim import bars
from mt5tray.terminal.sim.book import ServerClock
from mt5tray.terminal.sim.callargs import (
    INVALID_ARGS,
    NOT_FOUND,
    BadArgument,
    Error,
    check_symbol,
    group_matcher,
    no_keywords,
    to_epoch,
)
from mt5tray.terminal.sim.plumbing import SimulatorPlumbing

UNSUPPORTED: Error = (t.RES_E_UNSUPPORTED, "Terminal: Unsupported function")
_MAX_COUNT = 100_000  # TerminalInfo.maxbars of the simulated terminal


class RateCalls(SimulatorPlumbing):
    """copy_rates_* and symbols_get/symbols_total; needs the SimulatedMT5 plumbing."""

    clock: ServerClock

    # --- symbols --------------------------------------------------------------------

    def symbols_total(self, *args: Any, **kwargs: Any) -> int | None:
        no_keywords("symbols_total", kwargs)
        with self._lock:
            return len(self.broker.symbols) if self._enter() else None

    def symbols_get(self, *args: Any, group: Any = None, **_ignored: Any) -> Any:
        with self._lock:
            if not self._enter():
                return None
            try:
                if args:
                    raise BadArgument(INVALID_ARGS)
                matches = group_matcher(group) if group is not None else (lambda _s: True)
            except BadArgument as e:
                self._fail(e.error)
                return None
            return tuple(self._symbol_record(name) for name in self.broker.symbols
                         if matches(name))

    def _symbol_record(self, name: str) -> Any:
        spec = self.broker.symbols[name]
        info = t.empty_record("SymbolInfo")
        info.update(name=name, path=f"Simulated\\{name}", select=int(spec.selected),
                    visible=int(spec.selected), digits=spec.digits, bid=spec.bid, ask=spec.ask,
                    point=10.0**-spec.digits, description=name)
        return t.SymbolInfo(**info)

    # --- bars -----------------------------------------------------------------------

    def copy_rates_range(self, *args: Any, **kwargs: Any) -> Any:
        no_keywords("copy_rates_range", kwargs)
        with self._lock:
            return self._rates(args, "range")

    def copy_rates_from(self, *args: Any, **kwargs: Any) -> Any:
        no_keywords("copy_rates_from", kwargs)
        with self._lock:
            return self._rates(args, "from")

    def copy_rates_from_pos(self, *args: Any, **kwargs: Any) -> Any:
        no_keywords("copy_rates_from_pos", kwargs)
        with self._lock:
            return self._rates(args, "pos")

    def _rates(self, args: tuple[Any, ...], form: str) -> Any:
        if not self._enter():
            return None
        try:
            if len(args) != 4:
                raise BadArgument(INVALID_ARGS)
            symbol = check_symbol(args[0])
            timeframe = args[1]
            if isinstance(timeframe, bool) or not isinstance(timeframe, int):
                raise BadArgument(INVALID_ARGS)
            period = bars.timeframe_seconds(timeframe)
            if period is None:
                raise BadArgument(UNSUPPORTED)
            if symbol not in self.broker.symbols:
                raise BadArgument(NOT_FOUND)
            times = self._bar_times(symbol, period, form, args[2], args[3])
        except BadArgument as e:
            self._fail(e.error)
            return None
        return bars.rates(symbol, self.clock.rule, times)

    bars_from_utc: float | None

    def _bar_times(self, symbol: str, period: int, form: str, first: Any, second: Any
                   ) -> list[int]:
        if not bars.is_fx(symbol):
            return []
        times = self._all_bar_times(period, form, first, second)
        if self.bars_from_utc is None:
            return times
        start = self.clock.server_time(self.bars_from_utc)
        return [t for t in times if t >= start]

    def _all_bar_times(self, period: int, form: str, first: Any, second: Any) -> list[int]:
        now_utc = self.clock.utc_of(self._server_now())
        rule = self.clock.rule
        if form == "range":
            return bars.bar_times(rule, period, to_epoch(first), to_epoch(second), now_utc)
        count = second
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise BadArgument(INVALID_ARGS)
        count = min(count, _MAX_COUNT)
        if form == "from":  # the `count` bars whose open is at or before date_from
            end = to_epoch(first)
            start_pos = 0
        else:  # start_pos 0 is the current bar
            if isinstance(first, bool) or not isinstance(first, int) or first < 0:
                raise BadArgument(INVALID_ARGS)
            end, start_pos = int(self._server_now()), first
        wanted = count + start_pos
        span = bars.window_for_count(period, wanted)
        times = bars.bar_times(rule, period, end - span, end, now_utc)
        while len(times) < wanted and span < 40 * 366 * 86_400:
            span *= 2
            times = bars.bar_times(rule, period, end - span, end, now_utc)
        kept = times[: len(times) - start_pos] if start_pos else times
        return kept[-count:] if count else []
