"""The status window: per-account health, totals, connections, Sync Now.

Paints core.status_view.build_view(); refreshes when the service reports
an event (queued from the sync thread) and every few seconds while shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mt5tray.core.models import SyncType
from mt5tray.core.runtime import Runtime
from mt5tray.core.service import SyncEvent
from mt5tray.core.status_view import COLUMNS, build_view
from mt5tray.ui.bridge import Bridge
from mt5tray.ui.icons import app_icon

Summary = Callable[[], dict[str, Any]]


class StatusWindow(QWidget):
    def __init__(self, runtime: Runtime, bridge: Bridge, summary: Summary,
                 settings: Callable[[], Any]) -> None:
        super().__init__()
        self.runtime, self.summary, self.settings = runtime, summary, settings
        self.setWindowTitle("mt5tray status")
        self.setWindowIcon(app_icon())
        self.resize(820, 420)
        self._build()
        bridge.connect_queued("sync_event", self.on_event)
        self._timer = QTimer(self, interval=5000, timeout=self.refresh)

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.totals = QLabel(wordWrap=True)
        self.terminal = QLabel(wordWrap=True)
        self.supabase = QLabel(wordWrap=True)
        self.message = QLabel(wordWrap=True)
        self.progress = QProgressBar(visible=False, minimum=0, maximum=0)  # indeterminate
        self.progress.setFormat("Full import running…")
        self.error = QPlainTextEdit(readOnly=True, maximumHeight=110)
        self.error.setPlaceholderText("No errors.")
        buttons = QHBoxLayout()
        self.sync_button = QPushButton("Sync Now", clicked=self.sync_now)
        self.dashboard_button = QPushButton("Open dashboard", clicked=self.open_dashboard)
        buttons.addWidget(self.sync_button)
        buttons.addStretch(1)
        buttons.addWidget(self.dashboard_button)
        for widget in (self.table, self.totals, self.terminal, self.supabase, self.progress,
                       self.message, QLabel("Last error:"), self.error):
            layout.addWidget(widget)
        layout.addLayout(buttons)

    # --- painting -----------------------------------------------------------------

    def refresh(self) -> None:
        settings = self.settings()
        view = build_view(self.runtime, self.summary(), settings.supabase.url)
        self.table.setRowCount(len(view.rows))
        for r, row in enumerate(view.rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.totals.setText(f"Totals: {view.totals}")
        self.terminal.setText(view.terminal)
        self.supabase.setText(view.supabase)
        self.error.setPlainText(view.last_error)
        busy = self.runtime.service.busy
        self.sync_button.setEnabled(not busy)
        self.sync_button.setText("Syncing…" if busy else "Sync Now")
        self.dashboard_button.setEnabled(bool(settings.dashboard_url))
        self.dashboard_button.setToolTip(
            settings.dashboard_url or "Set the dashboard URL in Settings.")

    def on_event(self, event: SyncEvent) -> None:
        if event.kind == "rate_limited":
            seconds = int((event.retry_in_s or 0) + 0.999)
            self.message.setText(f"{event.account.describe()} was synced moments ago; "
                                 f"Sync Now is available again in {seconds} s.")
            return
        if event.kind == "started":
            self.progress.setVisible(event.sync_type is SyncType.FULL)
            self.message.setText(f"Syncing {event.account.describe()}…")
        elif event.kind == "finished":
            self.progress.setVisible(False)
            self.message.setText(event.result.summary() if event.result else "")
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.refresh()
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._timer.stop()
        super().hideEvent(event)

    def present(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

    # --- actions --------------------------------------------------------------------

    def sync_now(self) -> None:
        self.runtime.sync_now()

    def open_dashboard(self) -> None:
        url = self.settings().dashboard_url
        if url:
            QDesktopServices.openUrl(QUrl(url))
