"""When "today" starts for an account: the server's trading day.

MetaTrader 5 dates deals and daily statistics in the trade server's time,
so "today's realized P&L" counts from the server's midnight, not the
computer's. For now the account's current server offset (minutes east of
UTC, as the journal stores it) is applied; the server-clock model of issue
10 will replace the offset here, in this one function.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def trading_day_start(now_utc: datetime, server_offset_minutes: int | None) -> datetime:
    """The UTC instant of the current trading day's 00:00 on the server."""
    offset = timedelta(minutes=server_offset_minutes or 0)
    server_now = now_utc.astimezone(timezone.utc) + offset
    midnight = server_now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - offset
