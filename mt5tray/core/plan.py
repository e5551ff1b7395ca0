"""Pure: which window of deals a sync reads, and on which server clock.

Full syncs read `history_days` back from server "now" (or everything);
incremental syncs read from the newest synced deal minus a lookback to
server "now" plus a margin. The margin covers a server clock running ahead
of the host and deals that surface late; the lookback covers deals that
arrive out of order. New deals are then picked by ticket, not by time.
"""

from __future__ import annotations

from dataclasses import dataclass

from mt5tray.core.models import AccountState, SyncRequest, SyncType
from mt5tray.core.server_clock import ServerClock, fixed_clock

MT5_MAX_TIME = 2_147_483_647  # the package converts dates to a signed 32-bit int
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class SyncTuning:
    """Engine knobs that come from settings."""

    lookback_days: float = 1.0
    initial_history_days: int | None = None  # None: all history on the first sync
    window_margin_s: int = DAY_S
    fallback_offset_minutes: int | None = None  # deprecated configured server offset
    server_timezone: str = "auto"  # default clock of accounts left at auto (the legacy offset)


@dataclass(frozen=True, slots=True)
class ReadWindow:
    sync_type: SyncType
    date_from: int  # server-clock epoch seconds
    date_to: int
    history_days: int | None


def server_now(utc_now: float, clock: ServerClock | int) -> int:
    """Server "now" on the account's clock (an int: a fixed offset in minutes)."""
    on = fixed_clock(clock) if isinstance(clock, int) else clock
    return int(on.to_server(int(utc_now)))


def plan_window(
    request: SyncRequest,
    state: AccountState,
    tuning: SyncTuning,
    utc_now: float,
    clock: ServerClock | int,
) -> ReadWindow:
    """Decide the deal window; the first sync of an account is always full.
    The dates are on the same clock the deals are converted with (issue 10:
    input windows and output times share one clock)."""
    now = server_now(utc_now, clock)
    date_to = min(now + tuning.window_margin_s, MT5_MAX_TIME)
    first_sync = state.newest_deal_time_msc is None
    if request.sync_type is SyncType.FULL or first_sync:
        days = request.history_days if request.sync_type is SyncType.FULL else (
            tuning.initial_history_days
        )
        date_from = 0 if days is None else max(now - days * DAY_S, 0)
        return ReadWindow(SyncType.FULL, date_from, date_to, days)
    lookback_s = int(max(tuning.lookback_days, 1.0) * DAY_S)
    assert state.newest_deal_time_msc is not None
    date_from = max(state.newest_deal_time_msc // 1000 - lookback_s, 0)
    return ReadWindow(SyncType.INCREMENTAL, date_from, date_to, None)
