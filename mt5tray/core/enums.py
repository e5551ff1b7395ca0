"""MT5 enumeration values and the lower-case words the data contract stores.

The words derive from the MT5 constant suffix (`DEAL_TYPE_BUY` -> `buy`,
`DEAL_ENTRY_OUT_BY` -> `out_by`). The tables are open-ended: a value MT5 adds
later is stored as `unknown_<n>` rather than refused.
"""

from __future__ import annotations

from enum import IntEnum


class DealType(IntEnum):
    BUY = 0
    SELL = 1
    BALANCE = 2
    CREDIT = 3
    CHARGE = 4
    CORRECTION = 5
    BONUS = 6
    COMMISSION = 7
    COMMISSION_DAILY = 8
    COMMISSION_MONTHLY = 9
    COMMISSION_AGENT_DAILY = 10
    COMMISSION_AGENT_MONTHLY = 11
    INTEREST = 12
    BUY_CANCELED = 13
    SELL_CANCELED = 14
    DIVIDEND = 15
    DIVIDEND_FRANKED = 16
    TAX = 17


class DealEntry(IntEnum):
    IN = 0
    OUT = 1
    INOUT = 2
    OUT_BY = 3


class DealReason(IntEnum):
    CLIENT = 0
    MOBILE = 1
    WEB = 2
    EXPERT = 3
    SL = 4
    TP = 5
    SO = 6
    ROLLOVER = 7
    VMARGIN = 8
    SPLIT = 9
    CORPORATE_ACTION = 10


class PositionType(IntEnum):
    BUY = 0
    SELL = 1


class AccountTradeMode(IntEnum):
    DEMO = 0
    CONTEST = 1
    REAL = 2


class AccountMarginMode(IntEnum):
    NETTING = 0  # ACCOUNT_MARGIN_MODE_RETAIL_NETTING
    EXCHANGE = 1
    HEDGING = 2  # ACCOUNT_MARGIN_MODE_RETAIL_HEDGING


def _words(enum: type[IntEnum]) -> dict[int, str]:
    return {member.value: member.name.lower() for member in enum}


_DEAL_TYPE = _words(DealType)
_DEAL_ENTRY = _words(DealEntry)
_DEAL_REASON = _words(DealReason)
_TRADE_MODE = _words(AccountTradeMode)
_MARGIN_MODE = _words(AccountMarginMode)


def _word(table: dict[int, str], value: int) -> str:
    return table.get(value) or f"unknown_{value}"


def deal_type_word(value: int) -> str:
    return _word(_DEAL_TYPE, value)


def deal_entry_word(value: int) -> str:
    return _word(_DEAL_ENTRY, value)


def deal_reason_word(value: int) -> str:
    return _word(_DEAL_REASON, value)


def trade_mode_word(value: int) -> str:
    return _word(_TRADE_MODE, value)


def margin_mode_word(value: int) -> str:
    return _word(_MARGIN_MODE, value)


# Reasons whose deals carry money but no traded volume (MetaQuotes' own
# position report leaves them out of VWAP and volume).
NON_VOLUME_REASONS = frozenset({"rollover", "vmargin", "split"})

# The only deal types that belong to a position; everything else is an
# account operation and goes to `deals` only.
TRADE_DEAL_TYPES = frozenset({"buy", "sell"})
EXIT_ENTRIES = frozenset({"out", "out_by"})
