"""When "today" starts for an account: the server's trading day.

MetaTrader 5 dates deals and daily statistics in the trade server's time,
so "today's realized P&L" counts from the server's midnight, not the
computer's. With the account's server clock (issue 10's spec, e.g.
`GMT+2/US`) midnight is found on that clock, so the day is right on both
sides of a daylight-saving switch; without one the account's current server
offset (minutes east of UTC, as the journal stores it) is applied.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from mt5tray.core.server_clock import ServerClockError, parse_clock


def trading_day_start(now_utc: datetime, server_offset_minutes: int | None,
                      server_timezone: str | None = None) -> datetime:
    """The UTC instant of the current trading day's 00:00 on the server."""
    if server_timezone:
        try:
            clock = parse_clock(server_timezone)
        except ServerClockError:
            clock = None  # a stored spec this build cannot read: use the offset
        if clock is not None:
            server_now = clock.to_server(now_utc.timestamp())
            midnight = server_now - server_now % 86_400
            return datetime.fromtimestamp(clock.to_utc(midnight), timezone.utc)
    offset = timedelta(minutes=server_offset_minutes or 0)
    server_now_dt = now_utc.astimezone(timezone.utc) + offset
    midnight_dt = server_now_dt.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight_dt - offset
