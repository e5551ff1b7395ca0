"""What the status window shows, as plain strings (Qt-free, testable).

Merges three sources: the accounts the runtime syncs (configured, or the
terminal's current one), the service's memory of each one's last result and
failure streak, and the journal's snapshot (balance, equity, totals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mt5tray.core import errors
from mt5tray.core.health import relative_time
from mt5tray.core.models import AccountRef, SyncResult, SyncStatus
from mt5tray.core.runtime import Runtime

COLUMNS = ("Account", "Server", "Balance", "Equity", "Margin", "Last sync", "Result",
           "Failures", "Next run")

# An account switched off (is_active = false, e.g. in the web journal).
INACTIVE_TEXT = "switched off (is_active = false): not synced"

TERMINAL_TITLES = {cls.title for cls in (
    errors.TerminalUnavailable, errors.TerminalNotRunning, errors.TerminalTimeout,
    errors.BrokerNotConnected, errors.AuthorizationFailed, errors.AccountMismatch,
    errors.TerminalCallFailed)}


@dataclass
class StatusView:
    rows: list[tuple[str, ...]] = field(default_factory=list)
    totals: str = ""
    terminal: str = ""
    supabase: str = ""
    last_error: str = ""


def build_view(runtime: Runtime, summary: dict[str, Any], supabase_url: str = "") -> StatusView:
    stored = {(a["login"], a["server"]): a for a in summary.get("accounts", [])}
    next_run = runtime.next_sync_at()
    view = StatusView()
    errors: list[str] = []
    for ref in runtime.accounts():
        result = runtime.service.last_result(ref)
        login = ref.login or (result.login if result else None)
        server = ref.server or (result.server if result else None)
        row = stored.get((login, server), {})
        streak = runtime.service.failure_streak(ref) or int(row.get("sync_failure_count") or 0)
        view.rows.append((
            str(login or "(terminal's account)"), server or "",
            _money(row.get("balance")), _money(row.get("equity")), _money(row.get("margin")),
            _last_sync(result, row), _result_text(result, row), str(streak),
            _next_run(runtime, ref, next_run, row),
        ))
        if result is not None and result.status is SyncStatus.FAILED:
            errors.append(f"{ref.describe()}: {result.error_title}\n{result.error}")
        elif result is None and row.get("last_connection_error"):
            errors.append(f"{login}@{server}: {row['last_connection_error']}")
    view.totals = _totals(summary.get("totals", {}), runtime.hooks.pending())
    view.terminal = terminal_text(runtime.results())
    view.supabase = supabase_text(runtime, supabase_url)
    view.last_error = "\n\n".join(errors)
    return view


def _next_run(runtime: Runtime, ref: AccountRef, next_run: datetime | None,
              row: dict[str, Any]) -> str:
    if row.get("is_active") is False:
        return "not synced (switched off)"
    if runtime.paused:
        return "paused"
    if runtime.service.waits_for_user(ref):
        return "waits for you (fix it, then Sync Now)"
    return relative_time(next_run) if next_run else ""


def terminal_text(results: list[SyncResult | None]) -> str:
    known = [r for r in results if r is not None]
    if not known:
        return "MT5 terminal: not contacted yet"
    failed = [r for r in known if r.status is SyncStatus.FAILED
              and r.error_title in TERMINAL_TITLES]
    if failed:
        return f"MT5 terminal: {failed[0].error_title}"
    return "MT5 terminal: connected at the last sync"


def supabase_text(runtime: Runtime, url: str) -> str:
    if not url:
        return "Supabase: not configured (journal kept locally)"
    user = runtime.hooks.user()
    text = f"Supabase: {url} - " + (f"signed in as {user}" if user else "not signed in")
    warning = runtime.hooks.warning()
    return f"{text}\n{warning}" if warning else text


def _totals(t: dict[str, Any], pending: int) -> str:
    if not t:
        return ""
    return (f"{t.get('syncs', 0)} syncs ({t.get('successful', 0)} successful, "
            f"{t.get('failed', 0)} failed) · positions {t.get('positions_created', 0)} created / "
            f"{t.get('positions_updated', 0)} updated / {t.get('positions_closed', 0)} closed · "
            f"{t.get('deals_synced', 0)} deals synced · {pending} pending uploads")


def _money(value: Any) -> str:
    return f"{value:,.2f}" if isinstance(value, (int, float)) else ""


def _last_sync(result: SyncResult | None, row: dict[str, Any]) -> str:
    if (result is not None and result.finished_at is not None
            and result.status is not SyncStatus.SKIPPED):  # a skip is no sync
        return relative_time(result.finished_at)
    stamp = row.get("last_sync_at")
    if stamp:
        try:
            return relative_time(datetime.fromisoformat(stamp))
        except ValueError:
            return str(stamp)
    return "never"


def _result_text(result: SyncResult | None, row: dict[str, Any]) -> str:
    if row.get("is_active") is False:
        return INACTIVE_TEXT
    if result is not None:
        return result.status.value
    last = row.get("last_sync") or {}
    return str(last.get("status") or "")

