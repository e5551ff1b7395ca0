"""Texts the status window and `mt5tray status` share (Qt-free, testable).

The window itself paints core.snapshot's AppSnapshot (issue 11); what is
left here are the sentences both surfaces use.
"""

from __future__ import annotations

from mt5tray.core import errors
from mt5tray.core.models import SyncResult, SyncStatus

# An account switched off (is_active = false, e.g. in the web journal).
INACTIVE_TEXT = "switched off (is_active = false): not synced"

TERMINAL_TITLES = {cls.title for cls in (
    errors.TerminalUnavailable, errors.TerminalNotRunning, errors.TerminalTimeout,
    errors.BrokerNotConnected, errors.AuthorizationFailed, errors.AccountMismatch,
    errors.TerminalCallFailed)}


def terminal_text(results: list[SyncResult | None]) -> str:
    known = [r for r in results if r is not None]
    if not known:
        return "MT5 terminal: not contacted yet"
    failed = [r for r in known if r.status is SyncStatus.FAILED
              and r.error_title in TERMINAL_TITLES]
    if failed:
        return f"MT5 terminal: {failed[0].error_title}"
    return "MT5 terminal: connected at the last sync"
