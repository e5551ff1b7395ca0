"""The MetaTrader5 package's result types and module constants, re-created.

The real wheel (5.0.6231) returns C struct sequences; these are
`collections.namedtuple`s with exactly the same type names, field names and
field order (mt5-api.md section 2), so `TerminalDeal(*deal)` and
`deal._asdict()` work the same on both. A namedtuple is a superset of the real
type: code must not rely on `_fields`, `_replace` or `_make` (the wheel lacks
them). The constants and their values are those of the wheel's `__init__.py`
(mt5-api.md section 3). `FIELD_KINDS` records each field's kind, used to
validate scenario files: "u" unsigned int, "i" signed int, "f" float,
"s" str, "b" bool.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

FIELD_KINDS: dict[str, tuple[str, ...]] = {}


def _struct(name: str, spec: str) -> Any:
    """Build a namedtuple from 'field kind, field kind, ...' (the doc's notation)."""
    pairs = [item.split() for item in spec.replace("\n", " ").split(",") if item.strip()]
    FIELD_KINDS[name] = tuple(kind[0] for _, kind in pairs)
    return namedtuple(name, [field for field, _ in pairs])


AccountInfo = _struct(
    "AccountInfo",
    """login u64, trade_mode u32, leverage u32, limit_orders u32, margin_so_mode u32,
    trade_allowed b, trade_expert b, margin_mode u32, currency_digits u32, fifo_close b,
    balance f, credit f, profit f, equity f, margin f, margin_free f, margin_level f,
    margin_so_call f, margin_so_so f, margin_initial f, margin_maintenance f, assets f,
    liabilities f, commission_blocked f, name s, server s, currency s, company s""",
)
TerminalInfo = _struct(
    "TerminalInfo",
    """community_account b, community_connection b, connected b, dlls_allowed b,
    trade_allowed b, tradeapi_disabled b, email_enabled b, ftp_enabled b,
    notifications_enabled b, mqid b, build u32, maxbars u32, codepage i32, ping_last i32,
    community_balance f, retransmission f, company s, name s, language s, path s,
    data_path s, commondata_path s""",
)
TradePosition = _struct(
    "TradePosition",
    """ticket u64, time i64, time_msc i64, time_update i64, time_update_msc i64, type u32,
    magic u64, identifier u64, reason u32, volume f, price_open f, sl f, tp f,
    price_current f, swap f, profit f, symbol s, comment s, external_id s""",
)
TradeOrder = _struct(
    "TradeOrder",
    """ticket u64, time_setup i64, time_setup_msc i64, time_done i64, time_done_msc i64,
    time_expiration i64, type u32, type_time u32, type_filling u32, state u32, magic u64,
    position_id u64, position_by_id u64, reason u32, volume_initial f, volume_current f,
    price_open f, sl f, tp f, price_current f, price_stoplimit f, symbol s, comment s,
    external_id s""",
)
TradeDeal = _struct(
    "TradeDeal",
    """ticket u64, order u64, time i64, time_msc i64, type u32, entry u32, magic u64,
    position_id u64, reason u32, volume f, price f, commission f, swap f, profit f, fee f,
    symbol s, comment s, external_id s""",
)
Tick = _struct(
    "Tick",
    "time i64, bid f, ask f, last f, volume u64, time_msc i64, flags u32, volume_real f",
)
_SYMBOL_INTS = """custom, chart_mode, select, visible, session_deals, session_buy_orders,
session_sell_orders, volume, volumehigh, volumelow, time, digits, spread, spread_float,
ticks_bookdepth, trade_calc_mode, trade_mode, start_time, expiration_time, trade_stops_level,
trade_freeze_level, trade_exemode, swap_mode, swap_rollover3days, margin_hedged_use_leg,
expiration_mode, filling_mode, order_mode, order_gtc_mode, option_mode, option_right"""
_SYMBOL_FLOATS = """bid, bidhigh, bidlow, ask, askhigh, asklow, last, lasthigh, lastlow,
volume_real, volumehigh_real, volumelow_real, option_strike, point, trade_tick_value,
trade_tick_value_profit, trade_tick_value_loss, trade_tick_size, trade_contract_size,
trade_accrued_interest, trade_face_value, trade_liquidity_rate, volume_min, volume_max,
volume_step, volume_limit, swap_long, swap_short, margin_initial, margin_maintenance,
session_volume, session_turnover, session_interest, session_buy_orders_volume,
session_sell_orders_volume, session_open, session_close, session_aw, session_price_settlement,
session_price_limit_min, session_price_limit_max, margin_hedged, price_change,
price_volatility, price_theoretical, price_greeks_delta, price_greeks_theta,
price_greeks_gamma, price_greeks_vega, price_greeks_rho, price_greeks_omega,
price_sensitivity"""
_SYMBOL_STRS = """basis, category, currency_base, currency_profit, currency_margin, bank,
description, exchange, formula, isin, name, page, path"""


def _kinds(names: str, kind: str) -> str:
    return ", ".join(f"{n.strip()} {kind}" for n in names.split(",") if n.strip())


SymbolInfo = _struct(
    "SymbolInfo",
    ", ".join(
        (_kinds(_SYMBOL_INTS, "i64"), _kinds(_SYMBOL_FLOATS, "f"), _kinds(_SYMBOL_STRS, "s"))
    ),
)

# --- constants (values from the wheel's __init__.py) -------------------------

DEAL_TYPE_BUY, DEAL_TYPE_SELL, DEAL_TYPE_BALANCE, DEAL_TYPE_CREDIT = 0, 1, 2, 3
DEAL_TYPE_CHARGE, DEAL_TYPE_CORRECTION, DEAL_TYPE_BONUS, DEAL_TYPE_COMMISSION = 4, 5, 6, 7
DEAL_TYPE_COMMISSION_DAILY, DEAL_TYPE_COMMISSION_MONTHLY = 8, 9
DEAL_TYPE_COMMISSION_AGENT_DAILY, DEAL_TYPE_COMMISSION_AGENT_MONTHLY = 10, 11
DEAL_TYPE_INTEREST, DEAL_TYPE_BUY_CANCELED, DEAL_TYPE_SELL_CANCELED = 12, 13, 14
# 15-17 have no TYPE_ infix in the wheel (nor in MQL5).
DEAL_DIVIDEND, DEAL_DIVIDEND_FRANKED, DEAL_TAX = 15, 16, 17

DEAL_ENTRY_IN, DEAL_ENTRY_OUT, DEAL_ENTRY_INOUT, DEAL_ENTRY_OUT_BY = 0, 1, 2, 3

DEAL_REASON_CLIENT, DEAL_REASON_MOBILE, DEAL_REASON_WEB, DEAL_REASON_EXPERT = 0, 1, 2, 3
DEAL_REASON_SL, DEAL_REASON_TP, DEAL_REASON_SO, DEAL_REASON_ROLLOVER = 4, 5, 6, 7
DEAL_REASON_VMARGIN, DEAL_REASON_SPLIT = 8, 9

POSITION_TYPE_BUY, POSITION_TYPE_SELL = 0, 1
POSITION_REASON_CLIENT, POSITION_REASON_MOBILE = 0, 1
POSITION_REASON_WEB, POSITION_REASON_EXPERT = 2, 3

ORDER_TYPE_BUY, ORDER_TYPE_SELL, ORDER_TYPE_BUY_LIMIT, ORDER_TYPE_SELL_LIMIT = 0, 1, 2, 3
ORDER_TYPE_BUY_STOP, ORDER_TYPE_SELL_STOP = 4, 5
ORDER_TYPE_BUY_STOP_LIMIT, ORDER_TYPE_SELL_STOP_LIMIT, ORDER_TYPE_CLOSE_BY = 6, 7, 8

ORDER_STATE_STARTED, ORDER_STATE_PLACED, ORDER_STATE_CANCELED = 0, 1, 2
ORDER_STATE_PARTIAL, ORDER_STATE_FILLED, ORDER_STATE_REJECTED = 3, 4, 5
ORDER_STATE_EXPIRED, ORDER_STATE_REQUEST_ADD = 6, 7
ORDER_STATE_REQUEST_MODIFY, ORDER_STATE_REQUEST_CANCEL = 8, 9

ORDER_REASON_CLIENT, ORDER_REASON_MOBILE, ORDER_REASON_WEB, ORDER_REASON_EXPERT = 0, 1, 2, 3
ORDER_REASON_SL, ORDER_REASON_TP, ORDER_REASON_SO = 4, 5, 6

ORDER_FILLING_FOK, ORDER_FILLING_IOC, ORDER_FILLING_RETURN, ORDER_FILLING_BOC = 0, 1, 2, 3
ORDER_TIME_GTC, ORDER_TIME_DAY, ORDER_TIME_SPECIFIED, ORDER_TIME_SPECIFIED_DAY = 0, 1, 2, 3

ACCOUNT_TRADE_MODE_DEMO, ACCOUNT_TRADE_MODE_CONTEST, ACCOUNT_TRADE_MODE_REAL = 0, 1, 2
ACCOUNT_STOPOUT_MODE_PERCENT, ACCOUNT_STOPOUT_MODE_MONEY = 0, 1
ACCOUNT_MARGIN_MODE_RETAIL_NETTING = 0
ACCOUNT_MARGIN_MODE_EXCHANGE = 1
ACCOUNT_MARGIN_MODE_RETAIL_HEDGING = 2

RES_S_OK = 1
RES_E_FAIL = -1
RES_E_INVALID_PARAMS = -2
RES_E_NO_MEMORY = -3
RES_E_NOT_FOUND = -4
RES_E_INVALID_VERSION = -5
RES_E_AUTH_FAILED = -6
RES_E_UNSUPPORTED = -7
RES_E_AUTO_TRADING_DISABLED = -8
RES_E_INTERNAL_FAIL = -10000
RES_E_INTERNAL_FAIL_SEND = -10001
RES_E_INTERNAL_FAIL_RECEIVE = -10002
RES_E_INTERNAL_FAIL_INIT = -10003
RES_E_INTERNAL_FAIL_CONNECT = -10004  # the docs say -10003; the wheel uses -10004
RES_E_INTERNAL_FAIL_TIMEOUT = -10005

TICK_FLAG_BID, TICK_FLAG_ASK, TICK_FLAG_LAST = 0x02, 0x04, 0x08
TICK_FLAG_VOLUME, TICK_FLAG_BUY, TICK_FLAG_SELL = 0x10, 0x20, 0x40

_PREFIXES = (
    "DEAL_", "POSITION_", "ORDER_", "ACCOUNT_", "RES_", "TICK_FLAG_",
)  # fmt: skip
CONSTANTS: dict[str, int] = {
    name: value
    for name, value in dict(globals()).items()
    if name.startswith(_PREFIXES) and isinstance(value, int)
}
TYPES: dict[str, Any] = {
    t.__name__: t
    for t in (AccountInfo, TerminalInfo, TradePosition, TradeOrder, TradeDeal, Tick, SymbolInfo)
}


def empty_record(type_name: str) -> dict[str, Any]:
    """Every field of a type at its zero value (0, 0.0, '' or False)."""
    zero = {"u": 0, "i": 0, "f": 0.0, "s": "", "b": False}
    fields = TYPES[type_name]._fields
    return {f: zero[k] for f, k in zip(fields, FIELD_KINDS[type_name], strict=True)}
