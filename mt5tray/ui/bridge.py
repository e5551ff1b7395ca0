"""Service and log events -> Qt signals, delivered on the GUI thread.

Syncs run on the scheduler's thread and log lines come from any thread, so
listeners here only emit signals; every connection to a widget is queued
(`connect_queued`), which makes Qt deliver it in the GUI thread's event loop.
The widgets never touch the service from a worker thread. Signals are
emitted through qtcompat.emit (PySide6 6.12 leaks a reference per emit).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal

from mt5tray.core.publisher import SnapshotPublisher
from mt5tray.core.service import SyncEvent, SyncService
from mt5tray.core.snapshot import AppSnapshot
from mt5tray.logs import MemoryLogHandler
from mt5tray.ui.qtcompat import emit

log = logging.getLogger(__name__)


class Bridge(QObject):
    sync_event = Signal(object)  # SyncEvent
    log_line = Signal(int, str)  # level, formatted line
    snapshot = Signal(object)  # core.snapshot.AppSnapshot, from the publisher's thread

    def __init__(self, service: SyncService, memory: MemoryLogHandler,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service, self._memory = service, memory
        self._closed = False
        service.subscribe(self._on_sync_event)
        memory.listeners.append(self._on_log_line)

    def _on_sync_event(self, event: SyncEvent) -> None:
        if not self._closed:
            emit(self.sync_event, event)

    def attach(self, publisher: SnapshotPublisher) -> None:
        """Forward every published snapshot (issue 11, B1: what the windows paint)."""
        self._publisher = publisher
        publisher.subscribe(self._on_snapshot)

    def _on_snapshot(self, snapshot: AppSnapshot) -> None:
        if not self._closed:
            emit(self.snapshot, snapshot)

    def _on_log_line(self, level: int, line: str) -> None:
        if not self._closed:
            try:
                emit(self.log_line, level, line)
            except RuntimeError:  # Qt deleted this bridge without close(): stop forwarding
                self._closed = True

    def connect_queued(self, signal_name: str, slot: object) -> None:
        """Connect a slot so it always runs on the GUI thread."""
        getattr(self, signal_name).connect(slot, Qt.ConnectionType.QueuedConnection)

    def close(self) -> None:
        """Stop forwarding (the service and the log ring outlive the UI in tests)."""
        self._closed = True
        if self._on_sync_event in self._service.listeners:
            self._service.listeners.remove(self._on_sync_event)
        publisher = getattr(self, "_publisher", None)
        if publisher is not None and self._on_snapshot in publisher.listeners:
            publisher.listeners.remove(self._on_snapshot)
        if self._on_log_line in self._memory.listeners:
            self._memory.listeners.remove(self._on_log_line)
