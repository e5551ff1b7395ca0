"""Pure transforms: terminal records -> data-contract rows.

Owns the stamping of server times on the account's clock
(core/server_clock.py) and the deal row. No I/O here, so every rule is
testable in isolation.
Imports only the standard library and core.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from mt5tray.core.enums import (
    TRADE_DEAL_TYPES,
    deal_entry_word,
    deal_reason_word,
    deal_type_word,
    margin_mode_word,
    trade_mode_word,
)
from mt5tray.core.models import Row, TerminalAccount, TerminalDeal
from mt5tray.core.server_clock import ServerClock, TimeKind

# Columns of a trade row that describe the trade (everything but bookkeeping);
# used to decide whether a rebuilt trade differs from the stored one.
TRADE_COLUMNS = (
    "account_id", "ticket", "symbol", "side", "status", "volume", "closed_volume",
    "open_time", "open_price", "close_time", "close_price", "sl", "tp", "current_price",
    "floating_profit", "profit", "commission", "swap", "fee", "net_profit", "magic", "comment",
)

DEAL_COLUMNS = (
    "account_id", "ticket", "order_ticket", "position_id", "time", "time_msc", "type",
    "entry", "reason", "symbol", "volume", "price", "commission", "swap", "profit", "fee",
    "magic", "comment", "external_id", "synced_at",
    "server_utc_offset_minutes",  # issue 10: the offset applied to this row's time
)

_VOLUME_EPSILON = 1e-9


# --- clocks -------------------------------------------------------------------


def utc_iso_from_ms(epoch_ms: int) -> str:
    """ISO-8601 UTC text with milliseconds; sorts correctly as text."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds")


def server_ms_to_utc_iso(server_ms: int, offset_minutes: int) -> str:
    """Convert an MT5 server wall-clock time (ms) to UTC text."""
    return utc_iso_from_ms(server_ms - offset_minutes * 60_000)


def deal_time_msc(deal: TerminalDeal) -> int:
    """Milliseconds of a deal; scenario data may give only `time`."""
    return deal.time_msc or deal.time * 1000


Stamp = tuple[str, int]  # (UTC ISO text, offset minutes applied)


def stamp_times(items: Iterable[tuple[int, int]], clock: ServerClock,
                gaps: list[int] | None = None) -> dict[int, Stamp]:
    """UTC time and offset for (ticket, server ms) pairs on one clock.

    A time in the repeated autumn hour (fold) takes the reading that keeps
    UTC order equal to ticket order: the earlier one, unless a lower ticket
    already lies after it. A time in the skipped spring hour (gap) cannot be
    right under this clock; it is converted with the pre-switch offset and
    its ticket appended to `gaps` (server-time.md §5.2).
    """
    stamps: dict[int, Stamp] = {}
    latest_utc_ms: int | None = None
    for ticket, server_ms in sorted(items):
        earlier, later, kind = clock.resolve(server_ms / 1000)
        offset = earlier
        if kind is TimeKind.FOLD and latest_utc_ms is not None and \
                server_ms - earlier * 60_000 < latest_utc_ms:
            offset = later
        elif kind is TimeKind.GAP and gaps is not None:
            gaps.append(ticket)
        utc_ms = server_ms - offset * 60_000
        latest_utc_ms = utc_ms if latest_utc_ms is None else max(latest_utc_ms, utc_ms)
        stamps[ticket] = (utc_iso_from_ms(utc_ms), offset)
    return stamps


def stamp_deals(deals: Iterable[TerminalDeal], clock: ServerClock,
                gaps: list[int] | None = None) -> dict[int, Stamp]:
    return stamp_times(((d.ticket, deal_time_msc(d)) for d in deals), clock, gaps)


def restamp_rows(rows: Iterable[Row], clock: ServerClock) -> list[Row]:
    """Stored deal rows with time and offset recomputed from the raw time_msc."""
    rows = list(rows)
    stamps = stamp_times(((r["ticket"], r["time_msc"]) for r in rows), clock)
    return [{**r, "time": stamps[r["ticket"]][0],
             "server_utc_offset_minutes": stamps[r["ticket"]][1]} for r in rows]


def server_ms_to_utc_iso_on(server_ms: int, clock: ServerClock) -> str:
    """One server time (a position's open) in UTC text on the clock."""
    return utc_iso_from_ms(round(clock.to_utc(server_ms / 1000) * 1000))


# --- rows -----------------------------------------------------------------------


def deal_row(deal: TerminalDeal, account_id: str, stamp: Stamp, synced_at: str) -> Row:
    """A `deals` row: the deal as reported, words for enums, time in UTC
    (`stamp` from stamp_deals: the time on the account's clock and its offset)."""
    time_msc = deal_time_msc(deal)
    return {
        "account_id": account_id,
        "ticket": deal.ticket,
        "order_ticket": deal.order,
        "position_id": deal.position_id,
        "time": stamp[0],
        "time_msc": time_msc,
        "type": deal_type_word(deal.type),
        "entry": deal_entry_word(deal.entry),
        "reason": deal_reason_word(deal.reason),
        "symbol": deal.symbol,
        "volume": deal.volume,
        "price": deal.price,
        "commission": deal.commission,
        "swap": deal.swap,
        "profit": deal.profit,
        "fee": deal.fee,
        "magic": deal.magic,
        "comment": deal.comment,
        "external_id": deal.external_id,
        "synced_at": synced_at,
        "server_utc_offset_minutes": stamp[1],
    }


def is_trade_deal(row: Row) -> bool:
    """Deals that belong to a position (buy/sell with a position id)."""
    return row["position_id"] != 0 and row["type"] in TRADE_DEAL_TYPES


def account_snapshot_row(account: TerminalAccount, offset_minutes: int | None) -> Row:
    """The trading_accounts columns that come from account_info()."""
    return {
        "login": account.login,
        "server": account.server,
        "name": account.name,
        "company": account.company,
        "currency": account.currency,
        "leverage": account.leverage,
        "trade_mode": trade_mode_word(account.trade_mode),
        "margin_mode": margin_mode_word(account.margin_mode),
        "balance": account.balance,
        "credit": account.credit,
        "equity": account.equity,
        "margin": account.margin,
        "margin_free": account.margin_free,
        "margin_level": account.margin_level,
        "floating_profit": account.profit,
        "server_utc_offset_minutes": offset_minutes,
    }


def equity_snapshot_row(account_id: str, account: TerminalAccount, time_iso: str) -> Row:
    return {
        "account_id": account_id,
        "time": time_iso,
        "balance": account.balance,
        "equity": account.equity,
        "margin": account.margin,
        "margin_free": account.margin_free,
        "floating_profit": account.profit,
    }
