"""The log window: a live tail of the in-memory log ring, filtered.

The ring (logs.memory_handler) is capped and already redacted; this window
caps its own view too (QPlainTextEdit maximumBlockCount) so a chatty day
never grows memory. A queued signal from the bridge only says "new lines":
the window then reads what it has not seen from the ring (by its line
count), at most every 100 ms, so a burst of logging costs one repaint and a
filter change never shows a line twice.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mt5tray.logs import MemoryLogHandler
from mt5tray.ui.bridge import Bridge
from mt5tray.ui.icons import app_icon

LEVELS = {"Debug": logging.DEBUG, "Info": logging.INFO, "Warning": logging.WARNING,
          "Error": logging.ERROR}
MAX_LINES = 5000


class LogWindow(QWidget):
    def __init__(self, bridge: Bridge, memory: MemoryLogHandler, log_dir: Path | None) -> None:
        super().__init__()
        self.memory, self.log_dir = memory, log_dir
        self.setWindowTitle("mt5tray log")
        self.setWindowIcon(app_icon())
        self.resize(900, 500)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.level = QComboBox()
        self.level.addItems(list(LEVELS))
        self.level.setCurrentText("Info")
        self.filter = QLineEdit(placeholderText="Filter text…", clearButtonEnabled=True)
        self.copy_button = QPushButton("Copy", clicked=self.copy)
        self.folder_button = QPushButton("Open log folder", clicked=self.open_folder)
        self.folder_button.setEnabled(log_dir is not None)
        for widget in (self.level, self.filter, self.copy_button, self.folder_button):
            bar.addWidget(widget)
        self.view = QPlainTextEdit(readOnly=True)
        self.view.setMaximumBlockCount(MAX_LINES)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        self.level.currentTextChanged.connect(self.reload)
        self.filter.textChanged.connect(self.reload)
        self._seen = 0
        self._pull_timer = QTimer(self)
        self._pull_timer.setSingleShot(True)
        self._pull_timer.setInterval(100)
        self._pull_timer.timeout.connect(self.pull)
        bridge.connect_queued("log_line", self._new_lines)
        self.reload()

    def matches(self, level: int, line: str) -> bool:
        text = self.filter.text().strip().lower()
        return level >= LEVELS[self.level.currentText()] and (not text or text in line.lower())

    def _snapshot(self) -> tuple[int, list[tuple[int, str]]]:
        with self.memory.lock:  # emit() holds it while appending
            return self.memory.total, list(self.memory.records)

    def reload(self) -> None:
        """Re-filter the whole ring (a filter changed)."""
        self._seen, records = self._snapshot()
        lines = [line for level, line in records if self.matches(level, line)]
        self.view.setPlainText("\n".join(lines[-MAX_LINES:]))
        self.view.moveCursor(self.view.textCursor().MoveOperation.End)

    def _new_lines(self, level: int, line: str) -> None:
        if not self._pull_timer.isActive():
            self._pull_timer.start()

    def pull(self) -> None:
        """Append the lines logged since the last look."""
        total, records = self._snapshot()
        new = records[len(records) - min(total - self._seen, len(records)):]
        self._seen = total
        for level, line in new:
            if self.matches(level, line):
                self.view.appendPlainText(line)

    def visible_lines(self) -> list[str]:
        text = self.view.toPlainText()
        return text.split("\n") if text else []

    def copy(self) -> None:
        selected = self.view.textCursor().selectedText().replace("\u2029", "\n")
        QGuiApplication.clipboard().setText(selected or self.view.toPlainText())

    def open_folder(self) -> None:
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_dir)))

    def present(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()
