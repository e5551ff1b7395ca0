"""The status window follows service events; Sync Now's busy state and rate
limit; the progress bar during a full import; the UI stays responsive while
a slow sync runs on the sync thread."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QTimer

from mt5tray.core.models import SyncType
from mt5tray.core.status_view import COLUMNS
from tests.ui.conftest import slow_down


def cell(window: Any, row: int, column: str) -> str:
    item = window.table.item(row, COLUMNS.index(column))
    return item.text() if item else ""


def test_status_window_follows_a_sync(shell: Any, qtbot: Any) -> None:
    shell.show_status()
    window = shell._status
    qtbot.addWidget(window)
    assert cell(window, 0, "Last sync") == "never"
    window.sync_button.click()
    qtbot.waitUntil(lambda: cell(window, 0, "Result") == "success", timeout=10_000)
    result = shell.runtime.service.last_result(shell.runtime.accounts()[0])
    assert cell(window, 0, "Account") == str(result.login)
    assert cell(window, 0, "Server") == result.server
    assert cell(window, 0, "Balance") != ""
    assert cell(window, 0, "Last sync") == "just now"
    assert cell(window, 0, "Failures") == "0"
    assert "1 syncs (1 successful, 0 failed)" in window.totals.text()
    assert "connected" in window.terminal.text()
    assert "not configured" in window.supabase.text()
    assert not window.dashboard_button.isEnabled()


def test_rate_limit_message_in_the_window(shell: Any, qtbot: Any) -> None:
    shell.show_status()
    window = shell._status
    window.sync_button.click()
    qtbot.waitUntil(lambda: cell(window, 0, "Result") == "success", timeout=10_000)
    window.sync_button.click()
    qtbot.waitUntil(lambda: "available again in" in window.message.text(), timeout=5000)
    assert window.message.text().rstrip(".").endswith(" s")


def test_full_import_shows_progress_and_busy_button(shell: Any, qtbot: Any) -> None:
    slow_down(shell.app, 1.0)
    shell.show_status()
    window = shell._status
    shell.runtime.full_resync(None)
    qtbot.waitUntil(lambda: window.progress.isVisible(), timeout=5000)
    assert window.sync_button.text() == "Syncing…" and not window.sync_button.isEnabled()
    qtbot.waitUntil(lambda: not window.progress.isVisible(), timeout=10_000)
    assert window.sync_button.isEnabled()
    last = shell.runtime.service.last_result(shell.runtime.accounts()[0])
    assert last.sync_type is SyncType.FULL


def test_failure_shows_the_error_in_full(shell: Any, qtbot: Any) -> None:
    from mt5tray.core.errors import TerminalNotRunning

    def closed() -> Any:
        raise TerminalNotRunning("The MT5 terminal is not running. Start MetaTrader 5.")

    shell.app.engine.terminal_factory = closed
    shell.runtime.grace_s = 0  # past the start-up grace
    shell.show_status()
    window = shell._status
    window.sync_button.click()
    qtbot.waitUntil(lambda: cell(window, 0, "Result") == "failed", timeout=10_000)
    assert "Start MetaTrader 5." in window.error.toPlainText()
    assert cell(window, 0, "Failures") == "1"
    assert shell.tray.state == "terminal_off"
    assert shell.tray.last_notice.is_error


def test_a_failure_that_needs_the_user_says_so_in_next_run(shell: Any, qtbot: Any) -> None:
    from mt5tray.core.errors import AuthorizationFailed

    def refused() -> Any:
        raise AuthorizationFailed("MT5 refused the password for account 1001; set it again.")

    shell.app.engine.terminal_factory = refused
    shell.show_status()
    window = shell._status
    window.sync_button.click()
    qtbot.waitUntil(lambda: cell(window, 0, "Result") == "failed", timeout=10_000)
    assert cell(window, 0, "Next run").startswith("waits for you")
    shell.apply_settings(shell.app.settings)  # saving the settings lifts it
    window.refresh()
    assert not cell(window, 0, "Next run").startswith("waits for you")


def test_ui_stays_responsive_during_a_slow_sync(shell: Any, qtbot: Any) -> None:
    slow_down(shell.app, 2.0)
    ticks: list[float] = []
    timer = QTimer(interval=20, timeout=lambda: ticks.append(time.monotonic()))
    timer.start()
    started = time.monotonic()
    shell.tray.sync_action.trigger()
    assert time.monotonic() - started < 0.2  # the click returned at once
    qtbot.waitUntil(lambda: shell.runtime.service.busy, timeout=2000)
    account = shell.runtime.accounts()[0]
    qtbot.waitUntil(lambda: not shell.runtime.service.busy
                    and shell.runtime.service.last_result(account) is not None, timeout=10_000)
    timer.stop()
    elapsed = time.monotonic() - started
    assert elapsed >= 2.0
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert len(ticks) >= 0.5 * elapsed / 0.02  # most 20 ms ticks ran during the sync
    assert max(gaps) < 0.5  # the event loop never stalled


def test_without_the_metatrader5_package_the_tray_says_why(home: Any, autostart: Any,
                                                            qtbot: Any) -> None:
    """No --simulate on a machine without MetaTrader5 (Linux here): the app
    starts, and the status says why it cannot sync and what to do."""
    from mt5tray.bootstrap import build_app
    from mt5tray.ui.app import TrayShell

    app = build_app(None)
    shell = TrayShell(app, autostart=autostart, startup_delay_s=0.05)
    shell.start()
    try:
        shell.show_status()
        window = shell._status
        qtbot.waitUntil(lambda: shell.tray.state == "terminal_off", timeout=10_000)
        qtbot.waitUntil(lambda: "can only run its simulated demo"  # and no CLI flag
                        in window.error.toPlainText(), timeout=10_000)
        assert "MetaTrader 5 unavailable" in window.terminal.text()
        assert "MetaTrader 5 unavailable" in shell.tray.icon.toolTip()
    finally:
        shell.stop()
        shell._status.close()
        app.close()


def test_an_account_switched_off_is_shown_as_such(shell: Any, qtbot: Any) -> None:
    import os
    from datetime import datetime, timedelta, timezone
    from pathlib import Path

    from mt5tray.core.status_view import INACTIVE_TEXT
    from tests.ui.conftest import REPO

    shell.show_status()
    window = shell._status
    window.sync_button.click()
    qtbot.waitUntil(lambda: cell(window, 0, "Result") == "success", timeout=10_000)
    with shell.app.store.transaction() as conn:  # what the Supabase agent mirrors from the web
        conn.execute("UPDATE trading_accounts SET is_active = 0, last_sync_at = ?",
                     [(datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()])
    shell.runtime.service.cooldown_s = 0
    qtbot.waitUntil(window.sync_button.isEnabled, timeout=10_000)
    window.sync_button.click()
    account = shell.runtime.accounts()[0]
    qtbot.waitUntil(lambda: shell.runtime.service.last_result(account).status.value
                    == "skipped", timeout=10_000)
    window.refresh()
    assert cell(window, 0, "Result") == INACTIVE_TEXT
    assert cell(window, 0, "Next run") == "not synced (switched off)"
    assert cell(window, 0, "Last sync") == "2 h ago"  # the last real sync, not the skip
    window.resize(1100, 420)
    artifacts = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(artifacts / "status-switched-off.png"))
