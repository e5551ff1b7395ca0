"""The status window a trader keeps open (issue 11): one card per account with
money in the account's currency, open positions, the curve, the sync strip,
state and countdowns; Sync Now's busy state and cool-down; and B1: a locked
journal never freezes the menu, the tooltip or the window."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from mt5tray.core.formatting import money, parse_time
from mt5tray.core.models import SyncType
from mt5tray.core.trading_day import trading_day_start
from tests.ui.conftest import REPO, slow_down


def artifacts() -> Path:
    path = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


MONEY = re.compile(r"^[+−]?\d{1,3}(,\d{3})*\.\d{2} [A-Z]{3}$")


def synced_window(shell: Any, qtbot: Any) -> Any:
    shell.show_status()
    window = shell._status
    qtbot.addWidget(window)
    window.sync_button.click()
    account = shell.runtime.accounts()[0]
    qtbot.waitUntil(lambda: shell.runtime.service.last_result(account) is not None
                    and window.cards and window.cards[0].values["Balance"].text() != "—"
                    and window.cards[0].last_sync.text() == "Last sync just now", timeout=10_000)
    return window


def stored_account(shell: Any) -> dict[str, Any]:
    return dict(shell.app.store.query("SELECT * FROM trading_accounts")[0])


def test_a_card_shows_money_in_the_accounts_currency(shell: Any, qtbot: Any) -> None:
    window = synced_window(shell, qtbot)
    card, row = window.cards[0], stored_account(shell)
    assert card.title.text().endswith(f"{row['login']}@{row['server']}")
    assert card.values["Balance"].text() == money(row["balance"], row["currency"])
    assert card.values["Equity"].text() == money(row["equity"], row["currency"])
    for caption in ("Balance", "Equity", "Floating P&L", "Today (realized)"):
        assert MONEY.match(card.values[caption].text()), card.values[caption].text()
    # the open positions, as the journal holds them
    opened = shell.app.store.query(
        "SELECT symbol, side, volume FROM trades WHERE status = 'open' ORDER BY open_time, ticket")
    assert card.positions.rowCount() == len(opened) > 0
    assert [card.cell(i, "Symbol") for i in range(len(opened))] == [r[0] for r in opened]
    assert card.cell(0, "Side") == opened[0][1]
    assert MONEY.match(card.cell(0, "P&L"))
    assert "1 sync (1 successful, 0 failed)" in window.totals.text()
    assert "connected" in window.terminal.text()
    assert "not configured" in window.supabase.text()
    assert not window.error.isVisible() and not window.error_caption.isVisible()
    assert not window.dashboard_button.isEnabled()
    # the scenario's server runs a fixed GMT+2 clock; auto-detection finds it from its bars
    assert card.server_clock.isVisible()
    assert card.server_clock.text().startswith("Server clock GMT+2 (fixed), detected from")


def test_todays_realized_pnl_counts_from_the_servers_midnight(shell: Any, qtbot: Any) -> None:
    window = synced_window(shell, qtbot)
    row = stored_account(shell)
    start = trading_day_start(datetime.now(timezone.utc), row["server_utc_offset_minutes"])
    assert start.astimezone(timezone(timedelta(minutes=row["server_utc_offset_minutes"] or 0))
                            ).hour == 0
    expected = 0.0
    for deal in shell.app.store.query("SELECT * FROM deals"):
        at = parse_time(deal["time"])
        if deal["type"] in ("buy", "sell") and at is not None and at >= start:
            expected += sum(deal[k] or 0 for k in ("profit", "commission", "swap", "fee"))
    text = window.cards[0].values["Today (realized)"].text()
    assert text == money(expected, row["currency"], signed=True)


def test_the_curve_holds_balance_and_equity_of_the_chosen_days(shell: Any, qtbot: Any) -> None:
    window = synced_window(shell, qtbot)
    curve, row = window.cards[0].curve, stored_account(shell)
    curve.set_days(90)
    equity, balance = curve.shown()
    assert balance[-1][1] == row["balance"]  # the curve ends at today's balance
    assert equity[-1][1] == row["equity"]
    deals = shell.app.store.query(
        "SELECT coalesce(sum(profit + commission + swap + fee), 0) FROM deals")
    if parse_time(shell.app.store.query("SELECT min(time) FROM deals")[0][0]) > (
            datetime.now(timezone.utc) - timedelta(days=90)):  # all history is in the window
        assert abs(balance[0][1] - (row["balance"] - deals[0][0])) < 0.01
    curve.set_days(7)
    week = curve.shown()[1]
    since = (curve.now - timedelta(days=7)).timestamp()
    assert all(t >= since for t, _ in week) and len(week) <= len(balance)


def test_the_strip_marks_each_sync_in_its_colour(shell: Any, qtbot: Any) -> None:
    from mt5tray.core.errors import TerminalNotRunning

    window = synced_window(shell, qtbot)
    strip = window.cards[0].strip
    qtbot.waitUntil(lambda: len(strip.marks) == 1, timeout=5000)
    assert strip.colour_at(0) == "#2e7d32"  # green: success
    account_id = stored_account(shell)["id"]
    now = datetime.now(timezone.utc)
    with shell.app.store.transaction() as conn:  # two earlier syncs, as sync_logs keeps them
        for minutes, status, error in ((50, "failed", "Another program is using the journal."),
                                       (30, "partial", "2 deals could not be read."),
                                       (25 * 60, "failed", "older than the strip")):
            at = (now - timedelta(minutes=minutes)).isoformat()
            conn.execute("INSERT INTO sync_logs (id, account_id, sync_type, trigger, status, "
                         "started_at, finished_at, duration_ms, error) VALUES "
                         "(?, ?, 'incremental', 'schedule', ?, ?, ?, 40, ?)",
                         (f"t{minutes}", account_id, status, at, at, error))
    shell.publisher.poke()
    qtbot.waitUntil(lambda: len(strip.marks) == 3, timeout=5000)  # 25 h ago is not shown
    assert [strip.colour_at(i) for i in range(3)] == ["#c62828", "#f9a825", "#2e7d32"]
    hover = strip.mark_near(strip.x_of(strip.marks[0].at))
    assert hover is not None and "failed" in hover.details
    assert "Another program is using the journal." in hover.details
    assert strip.mark_near(-50) is None

    def closed() -> Any:
        raise TerminalNotRunning("The MT5 terminal is not running. Start MetaTrader 5.")

    shell.app.engine.terminal_factory = closed
    shell.runtime.service.cooldown_s = 0
    qtbot.waitUntil(window.sync_button.isEnabled, timeout=5000)
    window.sync_button.click()
    card = window.cards[0]
    qtbot.waitUntil(lambda: card.last_sync.text().startswith("Last attempt failed"),
                    timeout=10_000)
    assert card.last_sync.text().startswith("Last attempt failed just now · last success")


def test_sync_now_counts_its_cool_down_down(shell: Any, qtbot: Any) -> None:
    window = synced_window(shell, qtbot)
    button = window.sync_button
    qtbot.waitUntil(lambda: button.text().startswith("Sync Now (in "), timeout=5000)
    assert not button.isEnabled()  # C13
    assert "available again in" in button.toolTip()
    first = int(re.search(r"in (\d+) s", button.text()).group(1))
    qtbot.wait(2100)
    later = int(re.search(r"in (\d+) s", button.text()).group(1))
    assert first - 3 <= later <= first - 1
    assert 50 <= first <= 60
    shell.tray.refresh()
    assert not shell.tray.sync_action.isEnabled()
    assert shell.tray.sync_action.text().startswith("Sync Now (in ")


def test_full_import_shows_progress_and_busy_button(shell: Any, qtbot: Any) -> None:
    slow_down(shell.app, 1.0)
    shell.show_status()
    window = shell._status
    shell.runtime.full_resync(None)
    qtbot.waitUntil(lambda: window.progress.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: window.sync_button.text() == "Syncing…", timeout=5000)
    assert not window.sync_button.isEnabled()
    qtbot.waitUntil(lambda: not window.progress.isVisible(), timeout=10_000)
    last = shell.runtime.service.last_result(shell.runtime.accounts()[0])
    assert last.sync_type is SyncType.FULL
    assert "first import succeeded" in window.message.text()  # the journal was empty
    assert "imported 14 deals" in window.message.text()


def test_failure_shows_the_error_in_full(shell: Any, qtbot: Any) -> None:
    from mt5tray.core.errors import TerminalNotRunning

    def closed() -> Any:
        raise TerminalNotRunning("The MT5 terminal is not running. Start MetaTrader 5.")

    shell.app.engine.terminal_factory = closed
    shell.runtime.grace_s = 0  # past the start-up grace
    shell.show_status()
    window = shell._status
    window.sync_button.click()
    qtbot.waitUntil(lambda: "Start MetaTrader 5." in window.error.text(), timeout=10_000)
    assert window.error.isVisible()
    assert window.cards[0].state.text().endswith("Last sync failed")
    qtbot.waitUntil(lambda: shell.tray.state == "terminal_off", timeout=5000)
    assert shell.tray.last_notice.is_error


def test_a_failure_that_needs_the_user_is_no_next_sync_anywhere(shell: Any, qtbot: Any) -> None:
    from mt5tray.core.errors import AuthorizationFailed

    def refused() -> Any:
        raise AuthorizationFailed("MT5 refused the password for account 1001; set it again.")

    shell.app.engine.terminal_factory = refused
    shell.show_status()
    window = shell._status
    window.sync_button.click()
    qtbot.waitUntil(lambda: window.cards and window.cards[0].next_sync.text().startswith(
        "Waits for you"), timeout=10_000)
    tip = shell.tray.icon.toolTip()
    assert "Waits for you" in tip and "Next sync in" not in tip  # C4: never contradicts
    shell.apply_settings(shell.app.settings)  # saving the settings lifts it
    qtbot.waitUntil(lambda: window.cards[0].next_sync.text().startswith("Next sync in"),
                    timeout=5000)


def test_a_locked_journal_never_freezes_menu_tooltip_or_window(shell: Any, qtbot: Any) -> None:
    """B1: another program holds the journal (BEGIN EXCLUSIVE) while a sync waits
    on SQLite's busy timeout holding the store's lock; the GUI answers at once."""
    window = synced_window(shell, qtbot)
    shell.runtime.service.cooldown_s = 0
    store_lock = shell.app.store._lock
    locker = sqlite3.connect(shell.app.store.path, isolation_level=None, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")
    ticks: list[float] = []
    timer = QTimer(interval=10, timeout=lambda: ticks.append(time.monotonic()))
    try:
        shell.runtime.sync_now()

        def sync_holds_the_store() -> bool:
            if store_lock.acquire(blocking=False):  # free (or ours): not yet
                store_lock.release()
                return False
            return True

        qtbot.waitUntil(lambda: shell.runtime.service.busy and sync_holds_the_store(),
                        timeout=5000)
        timer.start()
        worst = 0.0
        for _ in range(5):
            started = time.monotonic()
            shell.tray.about_to_show()  # what opening the menu runs
            shell.tray.menu.popup(shell.tray.menu.pos())
            shell.tray.menu.hide()
            shell.tray.refresh()
            tip = shell.tray.icon.toolTip()
            window.refresh()
            worst = max(worst, time.monotonic() - started)
            qtbot.wait(150)
        assert sync_holds_the_store()  # the lock was held all along
        assert worst < 0.1, f"the GUI waited {worst:.3f} s"
        assert "Syncing" in tip and window.sync_button.text() == "Syncing…"
        gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
        assert gaps and max(gaps) < 0.1  # the event loop never stalled
    finally:
        timer.stop()
        locker.execute("ROLLBACK")
        locker.close()
    account = shell.runtime.accounts()[0]
    qtbot.waitUntil(lambda: not shell.runtime.service.busy
                    and shell.runtime.service.last_result(account).ok, timeout=40_000)


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
        qtbot.waitUntil(lambda: "MetaTrader 5 unavailable" in window.terminal.text(),
                        timeout=5000)
        assert window.error.isVisible()
        qtbot.waitUntil(lambda: "can only run its simulated demo"  # and no CLI flag
                        in window.error.text(), timeout=10_000)
        assert "--simulate" not in window.error.text()
        assert "MetaTrader 5 unavailable" in shell.tray.icon.toolTip()
        window.resize(1000, 600)
        window.grab().save(str(artifacts() / "status-mt5-unavailable.png"))
    finally:
        shell.stop()
        shell._status.close()
        app.close()


def test_an_account_switched_off_is_shown_as_such(shell: Any, qtbot: Any) -> None:
    window = synced_window(shell, qtbot)
    with shell.app.store.transaction() as conn:  # what the Supabase agent mirrors from the web
        conn.execute("UPDATE trading_accounts SET is_active = 0, last_sync_at = ?, "
                     "last_successful_sync_at = ?",
                     [(datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()] * 2)
    shell.runtime.service.cooldown_s = 0
    qtbot.waitUntil(window.sync_button.isEnabled, timeout=10_000)
    window.sync_button.click()
    account = shell.runtime.accounts()[0]
    qtbot.waitUntil(lambda: shell.runtime.service.last_result(account).status.value
                    == "skipped", timeout=10_000)
    card = window.cards[0]
    # the last real sync, not the skip (once the snapshot after the skip arrives)
    qtbot.waitUntil(lambda: card.state.text().endswith("Switched off")
                    and card.last_sync.text() == "Last sync 2 h ago", timeout=5000)
    assert card.next_sync.text() == "Not synced: switched off in the web journal"


def test_esc_and_ctrl_w_close_the_window(shell: Any, qtbot: Any) -> None:
    from PySide6.QtCore import Qt

    for key, modifier in ((Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
                          (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)):
        shell.show_status()
        window = shell._status
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.keyClick(window, key, modifier)
        qtbot.waitUntil(lambda w=window: not w.isVisible(), timeout=2000)


def test_the_server_clock_line_shows_only_when_the_snapshot_has_one(shell: Any,
                                                                    qtbot: Any) -> None:
    from dataclasses import replace

    window = synced_window(shell, qtbot)
    card, snap = window.cards[0], shell.publisher.latest
    line = "Server clock GMT+3 (fixed), set in the settings"
    account = replace(snap.accounts[0], server_clock=line)
    card.paint(snap, account, datetime.now(timezone.utc))
    assert not card.server_clock.isHidden()
    assert card.server_clock.text() == line
    card.paint(snap, replace(account, server_clock=None), datetime.now(timezone.utc))
    assert card.server_clock.isHidden()


def test_the_menu_starts_with_a_status_line(shell: Any, qtbot: Any) -> None:
    action = shell.tray.status_action
    assert shell.tray.menu.actions()[0] is action and not action.isEnabled()
    assert action.text().endswith("not synced yet")
    shell.tray.sync_action.trigger()
    qtbot.waitUntil(lambda: action.text() == "Up to date · synced just now", timeout=10_000)
    tip = shell.tray.icon.toolTip()
    assert tip.startswith("mt5tray: Journal up to date\nLast sync just now\nNext sync in ")


def test_a_simulated_session_names_the_configured_accounts_it_leaves_alone(
        home: Any, autostart: Any, qtbot: Any) -> None:
    """Issue 11 C9: accounts added in Settings are not synced by a simulated
    session; the status window says so instead of dropping them silently."""
    from mt5tray.bootstrap import Simulation, build_app
    from mt5tray.config import AccountSettings, SettingsFile
    from mt5tray.paths import app_paths
    from mt5tray.ui.app import TrayShell
    from tests.ui.conftest import SCENARIO

    settings_file = SettingsFile(app_paths().settings_file)
    settings = settings_file.load()
    settings.accounts.append(AccountSettings(login=12345678, server="Broker-Live"))
    settings_file.save(settings)
    app = build_app(Simulation(SCENARIO))
    shell = TrayShell(app, autostart=autostart, startup_delay_s=3600)
    shell.start()
    try:
        shell.show_status()
        window = shell._status
        qtbot.waitUntil(lambda: window.note.isVisible(), timeout=5000)
        assert "not the account in settings (12345678@Broker-Live)" in window.note.text()
        assert len(window.cards) == 1  # only the scenario's account has a card
    finally:
        shell.stop()
        shell._status.close()
        app.close()
