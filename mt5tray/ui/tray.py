"""The tray icon and its menu: paints the latest snapshot, forwards clicks.

No policy here: states and which results deserve a notification come from
core.health, the texts from core.snapshot / core.tray_text; what a click does
comes from core.runtime. Painting reads only the published AppSnapshot
(issue 11, B1), never the store, the terminal or the network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from mt5tray.autostart import Autostart, AutostartStatus
from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.formatting import countdown
from mt5tray.core.health import Notice, NoticePolicy
from mt5tray.core.models import AccountRef
from mt5tray.core.runtime import Runtime
from mt5tray.core.service import SyncEvent
from mt5tray.core.snapshot import AppSnapshot
from mt5tray.core.tray_text import status_line, tray_tooltip
from mt5tray.ui.bridge import Bridge
from mt5tray.ui.full_resync_dialog import ask_full_resync
from mt5tray.ui.icons import state_icon

log = logging.getLogger(__name__)
REFRESH_MS = 30_000  # relative times in the tooltip (repainted from the last snapshot)


@dataclass
class TrayCallbacks:
    show_status: Callable[[], None]
    show_logs: Callable[[], None]
    show_settings: Callable[[], None]
    quit: Callable[[], None]
    notifications_on: Callable[[], bool] = lambda: True
    full_resync_days: Callable[[], int] = lambda: 30
    start_at_login_changed: Callable[[bool], None] = lambda enabled: None


class Tray(QObject):
    def __init__(self, runtime: Runtime, bridge: Bridge, autostart: Autostart,
                 callbacks: TrayCallbacks, snapshot: Callable[[], AppSnapshot],
                 poke: Callable[[], None] = lambda: None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runtime, self.autostart, self.cb = runtime, autostart, callbacks
        self.latest, self.poke = snapshot, poke
        self.policy = NoticePolicy()
        self.icon = QSystemTrayIcon(state_icon("syncing"), self)
        self.menu = QMenu()
        self.menu.setToolTipsVisible(True)
        self._build_menu()
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        bridge.connect_queued("sync_event", self.on_event)
        bridge.connect_queued("snapshot", lambda _snapshot: self.refresh())
        self._timer = QTimer(self, interval=REFRESH_MS, timeout=self.refresh)
        self._timer.start()
        self.last_notice: Notice | None = None
        self.refresh()

    def _build_menu(self) -> None:
        m = self.menu
        self.status_action = m.addAction("mt5tray")  # "Up to date · synced 2 min ago" (P3)
        self.status_action.setEnabled(False)
        self.header = m.addSection("mt5tray")
        self.sync_action = m.addAction("Sync Now", lambda: self.sync_now(None))
        self.full_action = m.addAction("Full Resync…", lambda: self.full_resync(None))
        self.accounts_menu = m.addMenu("Accounts")
        m.addSeparator()
        self.pause_action = m.addAction("Pause automatic sync", self.toggle_pause)
        m.addAction("Status…", self.cb.show_status)
        m.addAction("Logs…", self.cb.show_logs)
        m.addAction("Settings…", self.cb.show_settings)
        self.autostart_action = m.addAction("Start at login")
        self.autostart_action.setCheckable(True)
        self.autostart_action.triggered.connect(self.set_autostart)
        m.addSeparator()
        m.addAction("Quit", self.cb.quit)
        m.aboutToShow.connect(self.about_to_show)

    def show(self) -> None:
        self.icon.show()

    # --- painting -------------------------------------------------------------------

    def refresh(self) -> None:
        """Paint the latest snapshot: no I/O, so it is cheap on the GUI thread."""
        snap = self.latest()
        if snap.state != getattr(self, "state", None):  # some tray hosts redraw on every set
            self.icon.setIcon(state_icon(snap.state))
        tip = tray_tooltip(snap)
        if tip != self.icon.toolTip():
            self.icon.setToolTip(tip)
        self.status_action.setText(status_line(snap))
        busy = snap.busy
        left = snap.cooldown_left()
        self.sync_action.setEnabled(not busy and left <= 0)
        self.sync_action.setText("Syncing…" if busy else f"Sync Now (in {countdown(left)})"
                                 if left > 0 else "Sync Now")
        self.full_action.setEnabled(not busy)
        paused = snap.paused
        self.pause_action.setText("Resume automatic sync" if paused else "Pause automatic sync")
        self.state = snap.state

    def about_to_show(self) -> None:
        """Re-read what may have changed outside: accounts and the OS autostart."""
        self.refresh()
        snap = self.latest()
        accounts = self.runtime.accounts()
        self.header.setText(", ".join(a.title for a in snap.accounts) or "No account")
        self.accounts_menu.clear()
        self.accounts_menu.menuAction().setVisible(len(accounts) > 1)
        if len(accounts) > 1:
            for account in accounts:
                sub = self.accounts_menu.addMenu(self._label(account))
                sub.addAction("Sync Now", lambda a=account: self.sync_now([a]))
                sub.addAction("Full Resync…", lambda a=account: self.full_resync([a]))
        self._read_autostart()

    def _read_autostart(self) -> None:
        action = self.autostart_action
        try:
            state = self.autostart.is_enabled()
        except Mt5TrayError as exc:
            action.setEnabled(False)
            action.setToolTip(str(exc))
            return
        action.setChecked(state.enabled)
        by_user = state.status is AutostartStatus.DISABLED_BY_USER
        action.setEnabled(not by_user)
        action.setText("Start at login (turned off in the OS)" if by_user else "Start at login")
        action.setToolTip(state.explanation)

    def _label(self, account: AccountRef) -> str:
        if account.login is None:  # the terminal's account: named by the last snapshot
            for shown in self.latest().accounts:
                if shown.login is not None:
                    return f"{shown.login}@{shown.server}"
        return account.label or account.describe()

    # --- actions --------------------------------------------------------------------

    def sync_now(self, accounts: list[AccountRef] | None) -> None:
        self.runtime.sync_now(accounts)  # rate limits come back as events
        self.poke()

    def full_resync(self, accounts: list[AccountRef] | None) -> None:
        names = ", ".join(self._label(a) for a in (accounts or self.runtime.accounts()))
        ok, days = ask_full_resync(names or "the terminal's account", self.cb.full_resync_days())
        if ok:
            self.runtime.full_resync(days, accounts)
            self.poke()

    def toggle_pause(self) -> None:
        self.runtime.set_paused(not self.runtime.paused)
        self.poke()

    def set_autostart(self, on: bool) -> None:
        try:
            self.autostart.enable() if on else self.autostart.disable()
        except Mt5TrayError as exc:
            self.notify(Notice(exc.title, exc.message, True))
        self._read_autostart()
        self.cb.start_at_login_changed(self.autostart_action.isChecked())

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.cb.show_status()

    # --- events -----------------------------------------------------------------------

    def on_event(self, event: SyncEvent) -> None:
        if event.kind == "rate_limited":
            seconds = int((event.retry_in_s or 0) + 0.999)
            self.notify(Notice("Sync Now", f"{self._label(event.account)} was synced moments "
                                           f"ago; try again in {seconds} s."))
        elif event.kind == "finished" and event.result is not None:
            key = (event.account.login, event.account.server)
            notice = self.policy.on_result(key, event.result)
            if notice is not None:
                self.notify(notice)

    def notify(self, notice: Notice) -> None:
        self.last_notice = notice
        log.info("Notification: %s: %s", notice.title, notice.message)
        if self.cb.notifications_on() and self.icon.isVisible():
            icon = (QSystemTrayIcon.MessageIcon.Warning if notice.is_error
                    else QSystemTrayIcon.MessageIcon.Information)
            self.icon.showMessage(notice.title, notice.message, icon, 8000)
