"""Pure: the one line people read about an account's server clock.

Used by `doctor`, `status` and (after issue 11's rebuild) the status window:
`server_clock_line(account_row)` takes the stored trading_accounts columns
(server_timezone, server_timezone_source, server_timezone_evidence,
server_timezone_checked_at) and says e.g. "Server clock GMT+2/+3 (US dates),
detected from 147 weeks of EURUSD, live-checked 2026-12-02 14:02 UTC".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mt5tray.core.server_clock import ServerClockError, parse_clock


def _evidence(row: Mapping[str, Any]) -> dict[str, Any]:
    raw = row.get("server_timezone_evidence")
    if isinstance(raw, dict):
        return raw
    try:
        found = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _when(text: str | None) -> str | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def server_clock_line(row: Mapping[str, Any]) -> str:
    """"Server clock ..." for one stored account row (see the module doc)."""
    spec = row.get("server_timezone")
    if not spec:
        return "Server clock not known yet (it is detected at the next sync)"
    try:
        words = parse_clock(str(spec)).describe()
    except ServerClockError:
        words = str(spec)
    source = row.get("server_timezone_source")
    evidence = _evidence(row)
    symbol = evidence.get("symbol") or "price history"
    weeks = evidence.get("weeks_total")
    if source == "user":
        how = "set in the settings"
    elif source == "auto":
        how = f"detected from {weeks} weeks of {symbol}" if weeks else "detected"
    elif source == "provisional":
        others = [c for c in evidence.get("candidates") or [] if c != spec]
        how = (f"provisional: {weeks or 'too few'} weeks of {symbol} also fit "
               + (", ".join(others) if others else "other clocks")
               + "; checked again after the next daylight-saving switch")
    else:
        how = "assumed: no price history to detect it from yet"
    line = f"Server clock {words}, {how}"
    checked = _when(row.get("server_timezone_checked_at"))
    return line + (f", live-checked {checked}" if checked else "")
