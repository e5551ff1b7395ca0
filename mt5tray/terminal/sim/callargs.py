"""How the MetaTrader5 module reads its arguments, re-created for the simulator.

Owns three things the wheel does client-side (mt5-api.md section 1.1 and G4):
the error codes and texts `last_error()` reports, the conversion of date
arguments to a signed 32-bit epoch, and `group=` mask matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

Error = tuple[int, str]

SUCCESS: Error = (1, "Success")
INVALID_ARGS: Error = (-2, "Invalid arguments")
UNNAMED_ARGS: Error = (-2, "Unnamed arguments not allowed")
INVALID_ARG_COUNT: Error = (-2, "Invalid number of arguments")
INVALID_GROUP: Error = (-2, 'Invalid "group" argument')
INVALID_TICKET: Error = (-2, 'Invalid "ticket" argument')
INVALID_LOGIN: Error = (-2, 'Invalid "login" argument')
NOT_FOUND: Error = (-4, "Terminal: Not found")
AUTH_FAILED: Error = (-6, "Terminal: Authorization failed")
NO_IPC: Error = (-10004, "No IPC connection")
IPC_TIMEOUT: Error = (-10005, "IPC timeout")
ALREADY_INITIALIZED: Error = (-10003, "IPC initialize failed, CInterClient already initialized")
TERMINAL_NOT_FOUND: Error = (-10003, "IPC initialize failed, MetaTrader 5 x64 not found")
PROCESS_CREATE_FAILED: Error = (-10003, "IPC initialize failed, Process create failed")

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class BadArgument(Exception):
    """An argument the module refuses; carries the error last_error() reports."""

    def __init__(self, error: Error) -> None:
        super().__init__(error[1])
        self.error = error


def no_keywords(name: str, kwargs: dict[str, Any]) -> None:
    """The wheel's positional-only calls refuse keywords with a TypeError (mt5-api.md 1.1)."""
    if kwargs:  # METH_VARARGS: Python refuses before the module runs
        raise TypeError(f"{name}() takes no keyword arguments")


def to_epoch(value: object) -> int:
    """A date argument as the wheel reads it: int as is, float truncated,
    datetime via .timestamp() (so a naive datetime is host-local time)."""
    if isinstance(value, datetime):
        seconds = int(value.timestamp())
    elif isinstance(value, int):
        seconds = value
    elif isinstance(value, float):
        seconds = int(value)
    else:
        raise BadArgument(INVALID_ARGS)
    if not INT32_MIN <= seconds <= INT32_MAX:
        # PyLong_AsLong overflows on Windows; the wheel then returns garbage or
        # raises SystemError, which is what callers have to guard against.
        raise SystemError("error return without exception set")
    return seconds


def check_ticket(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadArgument(INVALID_TICKET)
    return value


def check_symbol(value: object) -> str:
    if not isinstance(value, str) or len(value) >= 32:
        raise BadArgument(INVALID_ARGS)
    return value


@lru_cache(maxsize=256)
def _compile(group: str) -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    include: list[re.Pattern[str]] = []
    exclude: list[re.Pattern[str]] = []
    for token in (t.strip() for t in group.split(",")):
        if not token:
            continue
        target = exclude if token.startswith("!") else include
        mask = token[1:].strip() if token.startswith("!") else token
        # `*` is the only wildcard; everything else is literal and case-sensitive.
        pattern = ".*".join(re.escape(part) for part in mask.split("*"))
        target.append(re.compile(pattern, re.DOTALL))
    return tuple(include), tuple(exclude)


def group_matcher(group: object) -> Callable[[str], bool]:
    """A predicate symbol -> bool for a `group=` mask such as "*,!*EUR*".

    A symbol is kept when it matches at least one positive mask and no `!`
    mask, whatever their order; the empty symbol of balance deals matches `*`
    but not `*USD*`.
    """
    if not isinstance(group, str) or len(group) >= 2000:
        raise BadArgument(INVALID_GROUP)
    include, exclude = _compile(group)

    def matches(symbol: str) -> bool:
        return any(p.fullmatch(symbol) for p in include) and not any(
            p.fullmatch(symbol) for p in exclude
        )

    return matches
