"""Pure transforms: terminal records -> data-contract rows.

Owns the trade-server clock conversion, the deal row, and the rebuild of one
trade (one position identifier) from all of its deals. No I/O here, so every
rule about partial closes, close-by and reversals is testable in isolation.
Imports only the standard library and core.
"""

from __future__ import annotations

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


def detect_offset_minutes(
    tick_time: int | None, utc_now: float, tolerance_s: int = 120
) -> int | None:
    """Offset of the server clock from UTC, from a fresh tick.

    The tick's server time minus true UTC is the offset plus the tick's age.
    Offsets are whole quarter hours, so a fresh tick lands within seconds of
    a multiple of 15 minutes; a stale one (weekend, closed market) usually
    does not, and then the caller keeps the last known offset.
    """
    if not tick_time:
        return None
    raw = tick_time - utc_now
    rounded = round(raw / 900) * 900
    if abs(raw - rounded) > tolerance_s or not -12 * 3600 <= rounded <= 14 * 3600:
        return None
    return int(rounded // 60)


# --- rows -----------------------------------------------------------------------


def deal_row(deal: TerminalDeal, account_id: str, offset_minutes: int, synced_at: str) -> Row:
    """A `deals` row: the deal as reported, words for enums, time in UTC."""
    time_msc = deal_time_msc(deal)
    return {
        "account_id": account_id,
        "ticket": deal.ticket,
        "order_ticket": deal.order,
        "position_id": deal.position_id,
        "time": server_ms_to_utc_iso(time_msc, offset_minutes),
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
