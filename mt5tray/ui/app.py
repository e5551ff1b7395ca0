"""The tray app's composition: Qt application, single instance, scheduler,
tray, windows, clean shutdown.

`run_tray()` is what `mt5tray tray` (and `mt5tray` alone) calls. Windows are
created on first use, so an idle tray costs little. SIGTERM/SIGINT quit the
event loop cleanly (a wake-up socket lets Python run its handler while Qt
sleeps), so a running sync finishes its transaction before the exit.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSocketNotifier, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from mt5tray.autostart import Autostart, autostart_for_platform
from mt5tray.bootstrap import (
    App,
    Simulation,
    account_refs,
    build_app,
    build_watcher,
    ignored_accounts_note,
)
from mt5tray.buildinfo import startup_line
from mt5tray.config import Settings
from mt5tray.core.errors import Mt5TrayError
from mt5tray.core.publisher import SnapshotPublisher
from mt5tray.core.runtime import Runtime
from mt5tray.core.scheduler import SyncScheduler
from mt5tray.logs import memory_handler
from mt5tray.secrets import KeyringSecrets
from mt5tray.store.local_cards import read_store_facts, upload_cause
from mt5tray.ui.bridge import Bridge
from mt5tray.ui.icons import app_icon
from mt5tray.ui.log_window import LogWindow
from mt5tray.ui.settings_dialog import SettingsDialog
from mt5tray.ui.single_instance import SERVE_REQUESTS, SingleInstance, describe_launch
from mt5tray.ui.tray import Tray, TrayCallbacks

if TYPE_CHECKING:
    from mt5tray.ui.status_window import StatusWindow

log = logging.getLogger(__name__)
READY_FILE_ENV = "MT5TRAY_READY_FILE"  # tests and the idle benchmark wait on it
STARTUP_DELAY_ENV = "MT5TRAY_STARTUP_DELAY_S"


def has_console() -> bool:
    """False in PyInstaller's windowed build: since PyInstaller 5.7 its
    noconsole bootloader leaves sys.stdout and sys.stderr at None, as pythonw
    does (PyInstaller changelog 5.7.0; pyinstaller/pyinstaller#7325)."""
    return sys.stderr is not None


class TrayShell(QObject):
    """Owns the running tray app's parts; one per process."""

    def __init__(self, app: App, autostart: Autostart | None = None,
                 startup_delay_s: float = 5.0) -> None:
        super().__init__()
        self.app = app
        self.hooks = app.hooks
        self.autostart = autostart or autostart_for_platform()
        self.scheduler = SyncScheduler(app.service, app.settings.sync_interval_minutes * 60.0,
                                       self.hooks, startup_delay_s=startup_delay_s,
                                       watcher=build_watcher(app))
        self.runtime = Runtime(app.service, self.scheduler, self.hooks)
        self.bridge = Bridge(app.service, memory_handler, self)
        # Everything the windows show is composed off the GUI thread (issue 11, B1).
        self.publisher = SnapshotPublisher(
            self.runtime, lambda cards, previous: read_store_facts(
                app.store, self.hooks, self.upload_cause(), cards=cards, previous=previous),
            urls=lambda: (self.app.settings.supabase.url, self.app.settings.dashboard_url),
            note=lambda: ignored_accounts_note(self.app.settings, self.app.simulation))
        self.bridge.attach(self.publisher)
        callbacks = TrayCallbacks(
            self.show_status, self.show_logs, self.show_settings, QApplication.quit,
            notifications_on=lambda: self.app.settings.notifications,
            full_resync_days=lambda: self.app.settings.full_resync_days,
            start_at_login_changed=self.remember_start_at_login)
        self.tray = Tray(self.runtime, self.bridge, self.autostart, callbacks,
                         lambda: self.publisher.latest, self.publisher.poke, self)
        self._status: StatusWindow | None = None
        self._logs: LogWindow | None = None

    def upload_cause(self) -> str | None:
        """Why rows wait to upload (called on the publisher's reader thread)."""
        return upload_cause(self.app.remote, self.hooks)

    def start(self) -> None:
        self.scheduler.start()
        self.publisher.start()
        self.tray.show()
        QTimer.singleShot(0, self._ready)

    def _ready(self) -> None:
        available = QSystemTrayIcon.isSystemTrayAvailable()
        log.info("Tray icon shown (system tray available: %s)", available)
        if not available and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
            log.warning("No system tray here; showing the status window instead")
            self.show_status()
        ready = os.environ.get(READY_FILE_ENV)
        if ready:
            Path(ready).write_text(json.dumps({"pid": os.getpid(), "time": time.time(),
                                               "tray_available": available}))

    def serve_requests_now(self) -> bool:
        """`mt5tray serve-requests --once` run beside the tray hands its job here
        (issue 8): serve the web journal's Sync Now requests on the sync thread.
        False when this tray has no Supabase store to serve them from."""
        poll = self.hooks.poll_remote_requests
        if poll is None:
            log.info("serve-requests asked the tray to serve Sync Now requests: no Supabase "
                     "store here, so it serves them itself")
            return False
        log.info("serve-requests handed its job to the tray: serving Sync Now requests now")
        self.scheduler.submit(poll, name="Sync Now requests (handed over by serve-requests)")
        return True

    def stop(self) -> None:
        self.bridge.close()
        self.publisher.stop()
        self.runtime.shutdown()
        self.tray.icon.hide()

    # --- windows --------------------------------------------------------------------

    def status_window(self) -> StatusWindow:
        if self._status is None:
            # Imported on first use: pyqtgraph and numpy cost an idle tray ~20 MB.
            from mt5tray.ui.status_window import StatusWindow

            self._status = StatusWindow(self.runtime, self.bridge,
                                        lambda: self.publisher.latest, self.publisher.poke,
                                        self.publisher.want_cards)
        return self._status

    def show_status(self) -> None:
        self.status_window().present()

    def show_logs(self) -> None:
        if self._logs is None:
            self._logs = LogWindow(self.bridge, memory_handler, self.app.paths.log_dir)
        self._logs.present()

    def show_settings(self) -> None:
        dialog = SettingsDialog(self.app.settings, self.app.settings_file, KeyringSecrets(),
                                self.autostart, self.hooks, self.apply_settings)
        dialog.setWindowIcon(app_icon())
        dialog.exec()

    def remember_start_at_login(self, enabled: bool) -> None:
        """The tray's check box changed the OS entry: keep the settings in step."""
        if self.app.settings.start_at_login == enabled:
            return
        settings = self.app.settings.model_copy(update={"start_at_login": enabled})
        try:
            self.app.settings_file.save(settings)
        except (Mt5TrayError, OSError) as exc:
            log.warning("Start at login is %s, but the settings were not saved: %s",
                        "on" if enabled else "off", exc)
            return
        self.app.settings = settings

    def apply_settings(self, settings: Settings) -> None:
        """Use saved settings at once: accounts, tuning, interval."""
        self.app.settings = settings
        simulation = self.app.simulation
        simulated = self.app.simulated_accounts
        self.app.service.accounts = lambda: account_refs(settings, simulation, simulated)
        self.app.engine.tuning = settings.tuning()
        self.app.service.user_acted()  # a fixed password is tried at the next run
        self.scheduler.set_interval(settings.sync_interval_minutes * 60.0)
        if self.scheduler.watcher is not None:
            self.scheduler.watcher.configure(settings.watch.enabled,
                                             settings.watch.probe_interval_s)
        self.publisher.poke()


def quit_on_signals(qapp: QApplication) -> QSocketNotifier | None:
    """SIGTERM and SIGINT end the event loop the way Quit does."""
    try:
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        signal.set_wakeup_fd(writer.fileno())
    except (OSError, ValueError):
        return None
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, qapp)
    notifier.activated.connect(lambda *_: reader.recv(64))
    notifier._sockets = (reader, writer)  # type: ignore[attr-defined] - keep them alive
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: qapp.quit())
    return notifier


def run_tray(simulate: str | None, store_url: str | None, argv: list[str] | None = None) -> int:
    qapp = QApplication.instance() or QApplication(argv or sys.argv[:1])
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("mt5tray")
    qapp.setQuitOnLastWindowClosed(False)
    qapp.setWindowIcon(app_icon())
    guard = SingleInstance(launch=describe_launch(simulate, store_url))
    if not guard.acquire():
        log.info("mt5tray is already running; asked it to show its status window")
        if (ignored := guard.ignored_arguments()) is not None:  # C10: say so, never silently
            log.warning("%s", ignored)
            if has_console():
                print(f"mt5tray: {ignored}", file=sys.stderr)
            else:  # the windowed exe has no console: a window is the only way to say it
                QMessageBox.information(None, "mt5tray is already running", ignored)
        return 0
    try:
        app = build_app(Simulation.from_arg(simulate), store_url)
    except Mt5TrayError as exc:
        log.error("Cannot start: %s", exc)
        QMessageBox.critical(None, exc.title, exc.message)
        guard.release()
        return 2
    log.info("%s", startup_line(app.store_label, app.terminal_label()))
    delay = float(os.environ.get(STARTUP_DELAY_ENV, "5"))
    shell = TrayShell(app, startup_delay_s=delay)
    guard.activation_requested.connect(shell.show_status)
    guard.handlers[SERVE_REQUESTS] = shell.serve_requests_now
    notifier = quit_on_signals(qapp)
    shell.start()
    try:
        code = qapp.exec()
    finally:
        shell.stop()
        guard.release()
        app.close()
        del notifier
    log.info("mt5tray stopped")
    return int(code)
