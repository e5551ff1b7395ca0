"""Which server clock one sync of one account uses, and why.

The user's setting wins (source `user`). Otherwise the stored clock is kept
while it is fresh (auto: a month, provisional: a day, fallback: an hour),
and detected again from the broker's H1 bars (core/clock_detect.py) when it
is missing, stale, or a fresh tick contradicts it. Detection is bounded (a
few yearly bar requests) and never fails a sync: without bars the clock
falls back (source `fallback`) to the stored clock, else to the offset of a
fresh tick as a fixed clock, else to GMT+2/US. A tick is only evidence when
it is fresh under the clock; a tick behind it (a weekend, a quiet market) is
never taken for a daylight-saving change (issue 10). Imports only the
standard library and core.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mt5tray.core.clock_detect import Detection, detect, live_check, narrow
from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.models import AccountState
from mt5tray.core.ports import Terminal
from mt5tray.core.server_clock import (
    NY_CLOSE,
    ServerClock,
    ServerClockError,
    fixed_clock,
    parse_clock,
    parse_setting,
)

log = logging.getLogger(__name__)

REFERENCE_SYMBOLS = ("EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD")  # §5.2 step 1
HISTORY_DAYS = 3 * 366  # bars asked for: three years, in yearly requests
RECHECK_S = {"auto": 30 * 86_400, "provisional": 86_400, "fallback": 3_600}
MISMATCH_WARNING = (
    "The trade server's clock disagrees with a fresh price tick (the broker changed its server "
    "clock, or this PC's clock is wrong). Times stay as they were; the clock is being detected "
    "again. Check the PC's clock, or set the account's server clock (Settings… > Edit "
    "account > Server clock; server_timezone in settings.json).")
_YEAR_S = 366 * 86_400


@dataclass(slots=True)
class ClockChoice:
    """The clock of this sync and what the account row stores about it."""

    clock: ServerClock
    source: str  # auto | user | provisional | fallback
    checked_at: str | None
    evidence: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None
    live: str = "stale"  # confirmed | stale | mismatch

    def account_columns(self) -> dict[str, Any]:
        return {
            "server_timezone": self.clock.spec,
            "server_timezone_source": self.source,
            "server_timezone_checked_at": self.checked_at,
            "server_timezone_evidence": json.dumps(self.evidence, sort_keys=True)
            if self.evidence else None,
        }


def stored_clock(state: AccountState | None) -> ServerClock | None:
    """The clock the journal holds for the account (None: none, or unreadable)."""
    if state is None or not state.server_timezone:
        return None
    try:
        return parse_clock(state.server_timezone)
    except ServerClockError:
        return None


def clock_for_probe(state: AccountState, setting: str) -> ServerClock:
    """Watch mode's cheap probe: the user's clock or the stored one, never a detection."""
    return parse_setting(setting) or stored_clock(state) or _legacy(state) \
        or parse_clock(NY_CLOSE)


def _legacy(state: AccountState) -> ServerClock | None:
    minutes = state.server_utc_offset_minutes
    return fixed_clock(minutes) if minutes is not None else None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def _evidence(state: AccountState) -> dict[str, Any]:
    try:
        found = json.loads(state.server_timezone_evidence or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def choose_clock(terminal: Terminal, state: AccountState, setting: str, utc_now: float,
                 force_detect: bool = False) -> ClockChoice:
    """The clock for this sync (see the module doc)."""
    symbol = reference_symbol(terminal)
    tick = _tick(terminal, symbol)
    user = parse_setting(setting)
    if user is not None:
        live = live_check(user, tick, utc_now)
        checked = _iso(utc_now) if live == "confirmed" else state.server_timezone_checked_at
        return ClockChoice(user, "user", checked, {}, _warning(live), live)
    stored = stored_clock(state)
    source = state.server_timezone_source or ""
    evidence = _evidence(state)
    if stored is not None and source in RECHECK_S and not force_detect:
        detected_at = float(evidence.get("detected_at", 0) or 0)
        live = live_check(stored, tick, utc_now)
        if live != "mismatch" and utc_now - detected_at < RECHECK_S[source]:
            checked = _iso(utc_now) if live == "confirmed" else state.server_timezone_checked_at
            return ClockChoice(stored, source, checked, evidence, None, live)
    detection = _detect(terminal, symbol, utc_now)
    if detection is None or detection.clock is None:
        return _fallback(stored, state, tick, utc_now)
    clock, source = detection.clock, "auto"
    if detection.provisional:
        source = "provisional"
        clock = narrow(detection.candidates, tick, utc_now)[0]
    live = live_check(clock, tick, utc_now)
    checked = _iso(utc_now) if live == "confirmed" else state.server_timezone_checked_at
    evidence = {
        "symbol": symbol, "weeks_matched": detection.weeks_matched,
        "weeks_total": detection.weeks_total, "first_week": _iso(detection.first_week or 0),
        "last_week": _iso(detection.last_week or 0), "detected_at": int(utc_now),
        "candidates": [c.spec for c in detection.candidates] if detection.provisional else [],
    }
    return ClockChoice(clock, source, checked, evidence, _warning(live), live)


def _warning(live: str) -> str | None:
    return MISMATCH_WARNING if live == "mismatch" else None


def _fallback(stored: ServerClock | None, state: AccountState, tick: int | None,
              utc_now: float) -> ClockChoice:
    """No bars to detect from: keep what is known; never rewrite it from a tick."""
    evidence = {"detected_at": int(utc_now), "reason": "no H1 bars of a major FX symbol"}
    if stored is not None:
        live = live_check(stored, tick, utc_now)
        return ClockChoice(stored, "fallback", state.server_timezone_checked_at, evidence,
                           _warning(live), live)
    clock = _from_fresh_tick(tick, utc_now) or _legacy(state) or parse_clock(NY_CLOSE)
    live = live_check(clock, tick, utc_now)
    checked = _iso(utc_now) if live == "confirmed" else None
    return ClockChoice(clock, "fallback", checked, evidence, None, live)


def _from_fresh_tick(tick: int | None, utc_now: float) -> ServerClock | None:
    """A first sync without bars: the tick's offset as a fixed clock, if the
    tick looks fresh (within two minutes of a quarter hour)."""
    if not tick:
        return None
    raw = tick - utc_now
    quarters = round(raw / 900)
    if abs(raw - quarters * 900) > 120 or not -48 <= quarters <= 56:
        return None
    return fixed_clock(quarters * 15)


def reference_symbol(terminal: Terminal) -> str | None:
    """The first major the terminal lists, suffixed or not (EURUSD.r, EURUSDc)."""
    for major in REFERENCE_SYMBOLS:
        try:
            names = terminal.symbol_names(f"*{major}*")
        except Mt5TrayError as exc:
            log.debug("symbols_get failed: %s", exc)
            return None
        fitting = sorted((n for n in names if n.upper().startswith(major)), key=len)
        if fitting:
            return fitting[0]
    return None


def _tick(terminal: Terminal, symbol: str | None) -> int | None:
    if symbol is None:
        return None
    try:
        return terminal.tick_time(symbol)
    except Mt5TrayError as exc:
        log.debug("No tick for %s: %s", symbol, exc)
        return None


def _detect(terminal: Terminal, symbol: str | None, utc_now: float) -> Detection | None:
    """Bars of the last three years, one request per year (bounded), voted."""
    if symbol is None:
        return None
    end = int(utc_now) + 14 * 3600  # server "now" is at most 14 h ahead of UTC
    times: list[int] = []
    try:
        for start in range(end - HISTORY_DAYS * 86_400, end, _YEAR_S):
            times.extend(terminal.bar_times(symbol, start, min(start + _YEAR_S, end)))
    except Mt5TrayError as exc:
        log.info("No bars for server clock detection (%s): %s", symbol, exc)
        return None
    return detect(times) if times else None
